"""Gateway trust: the gateway signs the identity it injects, services verify it.

The signature is the lowercase hex HMAC-SHA256, keyed with GATEWAY_SIGNING_KEY,
of the UTF-8 string

    METHOD \\n PATH_WITH_QUERY \\n USER_ID \\n ROLE \\n TIMESTAMP

where PATH_WITH_QUERY is what the service's `request.get_full_path()` rebuilds
from the request it receives: `escape_uri_path()` of the percent-decoded path,
then `?` and `iri_to_uri()` of the query string. The gateway must forward that
canonical form and sign exactly it (after any rewriting), or a client's
harmless escaping choice (`%7E` for `~`) would break the signature. The body is
not signed: the 60 s window and the network policy bound replays; the email
header is informative only (the user id is what the services authorise on).

Anonymous callers have an empty user id and the role `anonymous`. A service
accepts a signature whose timestamp (unix seconds) is within
GATEWAY_SIGNATURE_MAX_AGE (60 s) of its own clock in either direction, which
also absorbs small clock skew between hosts.

Services run GatewayTrustMiddleware; the gateway, being the signer, does not.

The signature covers the full path (`request.path`, script prefix included)
but Django routes `request.path_info`, the path without the prefix. The
middleware therefore refuses (400) any request whose routed path is not its
full path, before anything else (the probe exemption included): a script
prefix from a header (gunicorn's SCRIPT_NAME), from the ASGI `root_path` or
from FORCE_SCRIPT_NAME would otherwise let a signed `/a/x/internal/y` route to
`/internal/y`. No server of the stack sets one (rentezy_platform.servers).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import uuid
from dataclasses import dataclass

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, JsonResponse
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from rentezy_platform.errors import Forbidden, error_response
from rentezy_platform.parsing import uuid_or_none
from rentezy_platform.request_id import REQUEST_ID_HEADER, new_request_id

logger = logging.getLogger(__name__)

USER_ID_HEADER = "X-User-ID"
USER_ROLE_HEADER = "X-User-Role"
USER_EMAIL_HEADER = "X-User-Email"
TIMESTAMP_HEADER = "X-Gateway-Timestamp"
SIGNATURE_HEADER = "X-Gateway-Signature"

ANONYMOUS_ROLE = "anonymous"
# The role of a service calling another service's /internal/ route itself (not
# on behalf of a user): the gateway never sends it and never routes /internal/.
SERVICE_ROLE = "service"
DEFAULT_MAX_AGE_SECONDS = 60
DEFAULT_EXEMPT_PATHS = ("/healthz", "/readyz")


def sign_gateway_request(
    *, key: str, method: str, path_with_query: str, user_id: str, role: str, timestamp: int | str
) -> str:
    message = "\n".join((method.upper(), path_with_query, user_id, role, str(timestamp)))
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def gateway_headers(
    *,
    key: str,
    method: str,
    path_with_query: str,
    user_id: str | None = None,
    role: str | None = None,
    email: str = "",
    request_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """Every header the gateway injects on a forwarded request (anonymous when
    `user_id` is None)."""
    user_id = user_id or ""
    role = role or ANONYMOUS_ROLE
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        USER_ID_HEADER: user_id,
        USER_ROLE_HEADER: role,
        USER_EMAIL_HEADER: email if user_id else "",
        REQUEST_ID_HEADER: request_id or new_request_id(),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign_gateway_request(
            key=key,
            method=method,
            path_with_query=path_with_query,
            user_id=user_id,
            role=role,
            timestamp=timestamp,
        ),
    }


def internal_service_headers(*, method: str, path_with_query: str) -> dict[str, str]:
    """Headers for one service calling another's `/internal/...` route directly
    (e.g. search_service reading property_service's export): signed like the
    gateway signs, with the role `service` and this service's name as the
    caller. Only holders of GATEWAY_SIGNING_KEY can make them, and the gateway
    never routes `/internal/` from outside."""
    return gateway_headers(
        key=settings.GATEWAY_SIGNING_KEY,
        method=method,
        path_with_query=path_with_query,
        user_id=getattr(settings, "SERVICE_NAME", "service"),
        role=SERVICE_ROLE,
    )


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the gateway says is calling. Also DRF's `request.user`."""

    user_id: str | None
    role: str
    email: str = ""

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    @property
    def id(self) -> str | None:
        return self.user_id

    # DRF's throttles and some third-party code look for `pk`.
    pk = id


ANONYMOUS = Identity(user_id=None, role=ANONYMOUS_ROLE)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling, as a service function takes it: the gateway identity's
    user id (a UUID) and role. `Actor.of(request.user)` in a view."""

    user_id: uuid.UUID
    role: str

    @classmethod
    def of(cls, identity: object) -> Actor:
        user_id = uuid_or_none(getattr(identity, "user_id", None))
        if user_id is None:
            raise Forbidden()
        return cls(user_id=user_id, role=getattr(identity, "role", ""))


def anonymous_identity() -> Identity:
    """DRF's UNAUTHENTICATED_USER factory."""
    return ANONYMOUS


class UntrustedRequest(Exception):
    """The request does not carry a valid, fresh gateway signature."""


def verify_gateway_request(
    request: HttpRequest, *, key: str, max_age: int, now: float | None = None
) -> Identity:
    """The identity a correctly signed request carries; raises UntrustedRequest."""
    signature = request.headers.get(SIGNATURE_HEADER)
    timestamp = request.headers.get(TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise UntrustedRequest("Missing gateway signature.")
    if not timestamp.isascii() or not timestamp.isdigit():
        raise UntrustedRequest("Invalid gateway timestamp.")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > max_age:
        raise UntrustedRequest("Stale gateway signature.")

    user_id = request.headers.get(USER_ID_HEADER, "")
    role = request.headers.get(USER_ROLE_HEADER, "")
    expected = sign_gateway_request(
        key=key,
        method=request.method or "",
        path_with_query=request.get_full_path(),
        user_id=user_id,
        role=role,
        timestamp=timestamp,
    )
    # Bytes: compare_digest refuses non-ASCII str, and a header may carry anything.
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise UntrustedRequest("Invalid gateway signature.")

    if not user_id:
        return ANONYMOUS
    return Identity(user_id=user_id, role=role, email=request.headers.get(USER_EMAIL_HEADER, ""))


class GatewayTrustMiddleware:
    """Refuses (401) any request without a valid gateway signature, except on
    GATEWAY_TRUST_EXEMPT_PATHS (probes) and GATEWAY_TRUST_EXEMPT_PREFIXES (an
    operators' admin reachable only by port-forward); sets `request.identity`."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        if not getattr(settings, "GATEWAY_SIGNING_KEY", ""):
            # Never degrade into "accept everything".
            raise ImproperlyConfigured("GATEWAY_SIGNING_KEY is required by GatewayTrustMiddleware.")
        self.get_response = get_response
        self._is_async = iscoroutinefunction(get_response)
        if self._is_async:
            markcoroutinefunction(self)

    def _refusal(self, request: HttpRequest) -> JsonResponse | None:
        path = request.path_info
        if request.path != path or request.META.get("SCRIPT_NAME"):
            logger.warning(
                "Refused a request routed under a script prefix",
                extra={"method": request.method, "path": request.path},
            )
            return error_response(
                "bad_request",
                "The request carries a script prefix (SCRIPT_NAME): its routed path "
                "would not be the path it was sent to.",
                status=400,
            )
        # Settings are read per request so tests can override them.
        # Routing and this exemption read the same `path_info`, equal to the full
        # path here, so nothing outside an exempt prefix can reach a view unsigned.
        if path in getattr(settings, "GATEWAY_TRUST_EXEMPT_PATHS", DEFAULT_EXEMPT_PATHS) or (
            path.startswith(tuple(getattr(settings, "GATEWAY_TRUST_EXEMPT_PREFIXES", ())))
        ):
            request.identity = ANONYMOUS
            return None
        try:
            request.identity = verify_gateway_request(
                request,
                key=settings.GATEWAY_SIGNING_KEY,
                max_age=getattr(settings, "GATEWAY_SIGNATURE_MAX_AGE", DEFAULT_MAX_AGE_SECONDS),
            )
        except UntrustedRequest as exc:
            logger.warning(
                "Refused a request without valid gateway trust: %s",
                exc,
                extra={"method": request.method, "path": request.path_info},
            )
            return error_response("not_authenticated", str(exc), status=401)
        return None

    def __call__(self, request):
        if self._is_async:
            return self.__acall__(request)
        return self._refusal(request) or self.get_response(request)

    async def __acall__(self, request):
        return self._refusal(request) or await self.get_response(request)


class IsInternalService(BasePermission):
    """DRF permission of `/internal/` routes meant for other services only
    (signed with the role `service`, see internal_service_headers)."""

    message = "Only RentEzy services may call this route."

    def has_permission(self, request, view) -> bool:
        identity = getattr(request._request, "identity", None)
        return identity is not None and identity.role == SERVICE_ROLE


class GatewayIdentityAuthentication(BaseAuthentication):
    """DRF authentication from the identity GatewayTrustMiddleware verified: no
    sessions, no tokens in the services themselves."""

    def authenticate(self, request):
        identity = getattr(request._request, "identity", None)
        if identity is None or not identity.is_authenticated:
            return None
        return (identity, None)

    def authenticate_header(self, request) -> str:
        # Without a challenge DRF would turn "not authenticated" into 403; the
        # client's credential is the gateway's bearer token.
        return 'Bearer realm="rentezy"'
