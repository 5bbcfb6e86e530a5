"""How an idempotent POST documents its `Idempotency-Key` in OpenAPI:

@extend_schema(parameters=[IDEMPOTENCY_KEY], responses={..., 422: KEY_REUSED})
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter

from rentezy_platform.idempotency.models import KEY_MAX_LENGTH
from rentezy_platform.idempotency.services import HEADER
from rentezy_platform.openapi import error_schema

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    pattern=rf"^[\x21-\x7e]{{1,{KEY_MAX_LENGTH}}}$",
    description=(
        f"Any 1-{KEY_MAX_LENGTH} visible ASCII characters (a UUID): a retry with the same key "
        "gets the first response again (`Idempotent-Replayed: true`) and changes nothing."
    ),
)
KEY_REUSED = error_schema(
    "`idempotency_key_reused`: this Idempotency-Key was used with another request."
)
