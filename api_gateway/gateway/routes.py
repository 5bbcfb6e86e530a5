"""The route table: which service answers a public path, which requests need no
token, and how long a service may take.

Paths are forwarded as they came (see `forwarded_path`); `/internal/...` and
anything not listed here is never routed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.encoding import escape_uri_path, iri_to_uri

# Prefix → service name (settings.UPSTREAM_URLS). A prefix without a trailing
# slash also matches itself exactly (`/api/bookings` and `/api/bookings/...`,
# never `/api/bookingsX`).
HTTP_ROUTES: tuple[tuple[str, str], ...] = (
    ("/api/auth/", "auth"),
    ("/api/properties", "property"),
    ("/media/", "property"),
    ("/api/bookings", "booking"),
    ("/api/rent/", "rent"),
    ("/api/chat/", "chat"),
    ("/api/notifications", "notification"),
    ("/api/search/", "search"),
)
WS_ROUTES: tuple[tuple[str, str], ...] = (
    ("/ws/chat/", "chat"),
    ("/ws/notifications", "notification"),
)

# Served by the gateway itself (Django), public.
GATEWAY_PATHS = frozenset({"/healthz", "/readyz", "/api/schema/", "/api/docs/"})
# The docs page's own assets (Swagger UI from drf-spectacular-sidecar, settings
# STATIC_URL): served by the gateway so the page works offline, no CDN.
DOCS_ASSETS_PREFIX = "/api/docs/assets/"

# Exact public (method, path) pairs; HEAD counts as GET.
_PUBLIC_EXACT = frozenset(
    {
        ("POST", "/api/auth/register"),
        ("POST", "/api/auth/login"),
        ("POST", "/api/auth/refresh"),
        ("POST", "/api/auth/password/reset"),
        ("POST", "/api/auth/password/reset/confirm"),
        ("GET", "/api/properties"),
        ("GET", "/api/search/properties"),
        ("GET", "/api/bookings/slots"),
        ("POST", "/api/rent/webhooks/stripe"),
    }
)
_PUBLIC_PROPERTY_DETAIL = re.compile(r"/api/properties/[^/]+")
_IMAGE_UPLOAD = re.compile(r"/api/properties/[^/]+/images")

LOGIN_PATH = "/api/auth/login"

# The longest request target (path and query, as forwarded) the gateway
# forwards: gunicorn refuses a request line over 4094 bytes
# (limit_request_line) with an HTML 414 of its own, so the gateway answers
# 414 in the error shape first, for every upstream alike.
MAX_TARGET_BYTES = 4000


@dataclass(frozen=True, slots=True)
class Route:
    service: str
    public: bool
    timeout: float
    upload: bool = False  # an image upload: the user's upload budget applies


def _match(path: str, routes: tuple[tuple[str, str], ...]) -> str | None:
    for prefix, service in routes:
        bare = prefix.rstrip("/")
        if path == bare or path.startswith(bare + "/"):
            return service
    return None


def _is_routable(path: str) -> bool:
    # Dot segments would let `/api/auth/../internal/validate` reach a service
    # path the table never routes; nothing legitimate needs them.
    if not path.startswith("/") or "\x00" in path or "\\" in path:
        return False
    segments = path.split("/")
    if segments[1] == "internal":
        return False
    return not any(segment in (".", "..") for segment in segments)


def is_gateway_path(path: str) -> bool:
    """Whether the gateway answers `path` itself (Django) instead of proxying it."""
    return path in GATEWAY_PATHS or path.startswith(DOCS_ASSETS_PREFIX)


def is_public(method: str, path: str) -> bool:
    method = "GET" if method == "HEAD" else method
    if (method, path) in _PUBLIC_EXACT or is_gateway_path(path):
        return True
    if method == "GET":
        return path.startswith("/media/") or bool(_PUBLIC_PROPERTY_DETAIL.fullmatch(path))
    return False


def resolve_http(
    method: str, path: str, *, default_timeout: float, upload_timeout: float
) -> Route | None:
    """The route of an HTTP request, or None (404)."""
    if not _is_routable(path):
        return None
    service = _match(path, HTTP_ROUTES)
    if service is None:
        return None
    upload = method == "POST" and _IMAGE_UPLOAD.fullmatch(path) is not None
    return Route(
        service=service,
        public=is_public(method, path),
        timeout=upload_timeout if upload else default_timeout,
        upload=upload,
    )


def resolve_ws(path: str) -> str | None:
    """The service of a WebSocket path (every one needs a token), or None."""
    if not _is_routable(path):
        return None
    return _match(path, WS_ROUTES)


def forwarded_path(path: str, query_string: bytes) -> str:
    """The path and query the gateway forwards, and signs.

    Exactly what Django's `request.get_full_path()` rebuilds on the service
    from what it receives (escape_uri_path of the decoded path, iri_to_uri of
    the query), so the signature verifies byte for byte whatever escaping the
    client used.
    """
    full = escape_uri_path(path)
    if query_string:
        # `#` would start a fragment on the way out; keep it data.
        full += "?" + iri_to_uri(query_string.decode("latin-1")).replace("#", "%23")
    return full


def target_too_long(path: str, query_string: bytes) -> bool:
    """Whether the forwarded target would exceed MAX_TARGET_BYTES."""
    # Escaping at most triples a byte: short targets need no escaping to know.
    if (
        3 * (len(path.encode("utf-8", "surrogateescape")) + len(query_string)) + 1
        <= MAX_TARGET_BYTES
    ):
        return False
    return len(forwarded_path(path, query_string)) > MAX_TARGET_BYTES


def strip_query_param(query_string: bytes, name: str) -> tuple[bytes, str | None]:
    """`query_string` without every `name=` parameter, and that parameter's last
    value (URL-decoded). The other parameters keep their exact bytes."""
    from urllib.parse import unquote_plus

    kept: list[bytes] = []
    value: str | None = None
    needle = name.encode()
    for part in query_string.split(b"&"):
        if not part:
            continue
        key, _, raw = part.partition(b"=")
        if unquote_plus(key.decode("latin-1")) == name or key == needle:
            value = unquote_plus(raw.decode("latin-1"))
            continue
        kept.append(part)
    return b"&".join(kept), value
