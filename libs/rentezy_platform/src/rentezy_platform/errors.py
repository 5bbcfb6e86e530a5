"""One error shape everywhere: `{"code": "<snake_case>", "message": "...", "fields"?: {...}}`.

Domain code raises ApplicationError (or a subclass) with a stable `code`; the one
DRF `exception_handler` below renders it and every DRF/Django exception in that
shape; the Django `handler400/403/404/500` views cover paths outside DRF.

Codes rendered for framework errors:

| exception                                   | status | code                     |
|---------------------------------------------|--------|--------------------------|
| DRF ValidationError, Django ValidationError | 400    | `invalid` (+ `fields`)   |
| DRF ParseError (malformed JSON body)        | 400    | `parse_error`            |
| NotAuthenticated, AuthenticationFailed      | 401    | `not_authenticated`      |
| PermissionDenied (DRF or Django)            | 403    | `forbidden`              |
| NotFound, Http404                           | 404    | `not_found`              |
| MethodNotAllowed                            | 405    | `method_not_allowed`     |
| NotAcceptable                               | 406    | `not_acceptable`         |
| UnsupportedMediaType                        | 415    | `unsupported_media_type` |
| Throttled (+ `Retry-After`)                 | 429    | `rate_limited`           |
| RequestDataTooBig (body over the limit)     | 413    | `payload_too_large`      |
| database unreachable (OperationalError, InterfaceError) | 503 (+ `Retry-After`) | `service_unavailable` |
| other SuspiciousOperation                   | 400    | `bad_request`            |
| anything unhandled (logged with traceback)  | 500    | `server_error`           |

`fields` has one shape, always: `{"<name>": ["<message>", ...]}`. Errors of a
nested object or of a list item are flattened into dotted keys: the second
item of `amenities` is `amenities.1`, the `url` of the first of `images` is
`images.0.url`; errors about the body as a whole are under `non_field_errors`.

Malformed JSON is `parse_error`, not `invalid`: the body could not be read at
all, so there are no fields to blame; clients treat both as their own 400.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger(__name__)

FieldErrors = dict[str, list[str]]


class ApplicationError(Exception):
    """A domain error with a stable machine-readable `code` for clients."""

    default_code = "invalid"
    default_message = "The request is invalid."
    default_status = 400

    def __init__(
        self,
        code: str | None = None,
        message: str | None = None,
        *,
        status: int | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = message or self.default_message
        self.status = status or self.default_status
        self.fields = fields
        super().__init__(self.message)


class NotAuthenticated(ApplicationError):
    default_code = "not_authenticated"
    default_message = "Authentication credentials were not provided or are invalid."
    default_status = 401


class Forbidden(ApplicationError):
    default_code = "forbidden"
    default_message = "You do not have permission to perform this action."
    default_status = 403


class NotFound(ApplicationError):
    default_code = "not_found"
    default_message = "Not found."
    default_status = 404


class Conflict(ApplicationError):
    default_code = "conflict"
    default_message = "The request conflicts with the current state."
    default_status = 409


class InvalidInput(ApplicationError):
    """400 `invalid` naming the fields at fault: `InvalidInput(fields={"owner": ["..."]})`.
    What a service raises for input a serializer could not judge (a rule that
    needs the database or several fields)."""

    default_code = "invalid"
    default_message = "Invalid input."
    default_status = 400

    def __init__(self, *, fields: FieldErrors, message: str | None = None) -> None:
        super().__init__(message=message, fields=fields)


def error_body(code: str, message: str, fields: FieldErrors | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    return body


def error_response(
    code: str, message: str, *, status: int, fields: FieldErrors | None = None
) -> JsonResponse:
    """The error shape for plain Django views and middleware (outside DRF)."""
    return JsonResponse(error_body(code, message, fields), status=status)


_DRF_CODES: dict[type[drf.APIException], str] = {
    drf.ParseError: "parse_error",
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "not_authenticated",
    drf.PermissionDenied: "forbidden",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "rate_limited",
}

# DRF turns "not authenticated" into 403 when no authenticator offers a challenge.
_CODES_BY_STATUS = {401: "not_authenticated", 403: "forbidden", 404: "not_found"}


def flatten_fields(detail: Any) -> FieldErrors:
    """DRF's (or Django's) error tree as `{dotted.name: [message, ...]}`.

    Nested serializers give dicts, ListField children dicts keyed by index,
    `many=True` serializers lists of dicts (an empty one per valid item): each
    level adds `.<key>` to the name, and the strings at the leaves are that
    name's messages, so clients read one shape whatever the nesting.
    """
    flat: FieldErrors = {}

    def walk(node: Any, name: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{name}.{key}" if name else str(key))
        elif isinstance(node, (list, tuple)):
            for index, item in enumerate(node):
                # Strings in a list are that name's messages; containers are
                # per-item errors (the list's own index is part of the name).
                if isinstance(item, (dict, list, tuple)):
                    walk(item, f"{name}.{index}" if name else str(index))
                else:
                    walk(item, name)
        else:
            flat.setdefault(name or "non_field_errors", []).append(str(node))

    walk(detail, "")
    return flat


def _first_message(detail: Any, fallback: str) -> str:
    if isinstance(detail, (list, tuple)) and detail:
        return _first_message(detail[0], fallback)
    if isinstance(detail, dict) or not detail:
        return fallback
    return str(detail)


def _drf_error(exc: drf.APIException) -> tuple[int, dict[str, Any]]:
    status = exc.status_code
    if isinstance(exc, drf.ValidationError):
        if isinstance(exc.detail, dict):
            return status, error_body("invalid", "Invalid input.", flatten_fields(exc.detail))
        return status, error_body("invalid", _first_message(exc.detail, "Invalid input."))
    code = (
        _CODES_BY_STATUS.get(status)
        or next((c for t, c in _DRF_CODES.items() if isinstance(exc, t)), None)
        or str(exc.default_code)
    )
    return status, error_body(code, _first_message(exc.detail, str(exc.default_detail)))


# The database is down, restarting or unreachable (or a statement was
# cancelled): the request did nothing and may be retried, so 503, never 500.
# Django drops the broken connection and, with CONN_HEALTH_CHECKS, the next
# request opens a new one: the service recovers without a restart.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
DATABASE_RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: Exception) -> tuple[int, dict[str, Any], dict[str, str]]:
    logger.warning(
        "database unavailable: %s", str(exc).strip().splitlines()[0] if str(exc) else exc
    )
    body = error_body("service_unavailable", "The service is temporarily unavailable; retry.")
    return 503, body, {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}


class DatabaseUnavailableMiddleware:
    """The same 503 for views outside DRF (DRF's handler above covers its own)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        status, body, headers = database_unavailable(exception)
        response = JsonResponse(body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error as `{code, message, fields?}`."""
    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        fields = flatten_fields(exc.fields) if exc.fields is not None else None
        status, body = exc.status, error_body(exc.code, exc.message, fields)
    elif isinstance(exc, Http404):
        status, body = 404, error_body("not_found", "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        status, body = 403, error_body("forbidden", Forbidden.default_message)
    elif isinstance(exc, DjangoValidationError):
        fields = flatten_fields(exc.message_dict) if hasattr(exc, "error_dict") else None
        message = "Invalid input." if fields else _first_message(exc.messages, "Invalid input.")
        status, body = 400, error_body("invalid", message, fields)
    elif isinstance(exc, RequestDataTooBig):
        # Raised when DRF first reads a body over DATA_UPLOAD_MAX_MEMORY_SIZE.
        status, body = 413, error_body("payload_too_large", "The request body is too large.")
    elif isinstance(exc, SuspiciousOperation):
        status, body = 400, error_body("bad_request", "Bad request.")
    elif isinstance(exc, DATABASE_UNAVAILABLE):
        status, body, headers = database_unavailable(exc)
    elif isinstance(exc, drf.APIException):
        status, body = _drf_error(exc)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    else:
        view = context.get("view")
        logger.error("Unhandled error in %s", type(view).__name__ if view else "view", exc_info=exc)
        status, body = 500, error_body("server_error", "Internal server error.")
    # Imported here: rest_framework.views loads the authentication classes, whose
    # module (rentezy_platform.trust) imports this one.
    from rest_framework.views import set_rollback

    # Like DRF's own handler: an error response must not commit ATOMIC_REQUESTS work.
    set_rollback()
    return Response(body, status=status, headers=headers)


# Django's handler400/403/404/500 (wired by rentezy_platform.urls), for requests
# that never reach a DRF view. Django logs the 500 traceback itself.


def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    return error_response("bad_request", "Bad request.", status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> JsonResponse:
    return error_response("forbidden", Forbidden.default_message, status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    return error_response("not_found", "Not found.", status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return error_response("server_error", "Internal server error.", status=500)
