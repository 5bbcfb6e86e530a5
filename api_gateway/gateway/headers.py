"""Header hygiene on the way in and out: hop-by-hop headers, client-forged
identity, forwarding headers, CORS and the security headers every response
carries."""

from __future__ import annotations

from collections.abc import Iterable

Headers = list[tuple[bytes, bytes]]

# RFC 9110 §7.6.1 plus the classics; also whatever `Connection` lists.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)

# Set by the gateway only: a client's copy of any of these is dropped.
_GATEWAY_OWNED = frozenset(
    {b"host", b"x-request-id", b"x-real-ip", b"forwarded", b"content-length"}
)
_GATEWAY_OWNED_PREFIXES = (b"x-user-", b"x-gateway-", b"x-forwarded-")

# Response headers the gateway replaces with its own.
_RESPONSE_DROPPED = frozenset({b"x-request-id", b"server", b"date"})

CORS_ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_ALLOWED_HEADERS = frozenset(
    {
        "authorization",
        "content-type",
        "idempotency-key",
        "x-request-id",
        "accept",
        "accept-language",
    }
)
CORS_EXPOSED_HEADERS = (
    "X-Request-ID, Retry-After, Location, Content-Disposition, Idempotent-Replayed"
)
CORS_MAX_AGE = "600"

API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI's assets come from the gateway itself (drf-spectacular-sidecar):
# no third-party origin anywhere. Its styles are partly inline.
DOCS_CSP = (
    b"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; connect-src 'self'; "
    b"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _connection_tokens(headers: Iterable[tuple[bytes, bytes]]) -> frozenset[bytes]:
    tokens: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            tokens.update(t.strip().lower() for t in value.split(b","))
    return frozenset(tokens)


def plain_header_name(name: bytes) -> bool:
    """Letters, digits and dashes only (ASCII). Any other name may mean
    something to a server behind the gateway: gunicorn and Django map `_` and
    `-` to the same environ key, and gunicorn reads `SCRIPT_NAME` from a peer
    it trusts as the path prefix to cut off, so the service would route
    another path than the one the gateway routed and signed."""
    return name.replace(b"-", b"").isalnum()


def clean_request_headers(headers: Iterable[tuple[bytes, bytes]]) -> Headers:
    """The client's headers minus hop-by-hop ones, everything the gateway sets
    itself (identity, request id, forwarding, Host, length) and every name
    that is not plain_header_name. ASGI servers give header names in
    lowercase."""
    headers = list(headers)
    listed = _connection_tokens(headers)
    return [
        (name, value)
        for name, value in headers
        if plain_header_name(name)
        and name not in HOP_BY_HOP
        and name not in _GATEWAY_OWNED
        and name not in listed
        and not name.startswith(_GATEWAY_OWNED_PREFIXES)
    ]


def clean_response_headers(headers: Iterable[tuple[bytes, bytes]]) -> Headers:
    headers = [(name.lower(), value) for name, value in headers]
    listed = _connection_tokens(headers)
    return [
        (name, value)
        for name, value in headers
        if name not in HOP_BY_HOP
        and name not in _RESPONSE_DROPPED
        and name not in listed
        and not name.startswith(b"access-control-")
    ]


def client_address(
    scope: dict, forwarded_for: bytes | None, trusted_hops: int
) -> tuple[str, list[str]]:
    """(client IP, the X-Forwarded-For chain to send on). Only the entries the
    `trusted_hops` proxies in front of the gateway added are believed."""
    peer = (scope.get("client") or ("0.0.0.0", 0))[0]
    if trusted_hops <= 0 or not forwarded_for:
        return peer, [peer]
    chain = [part.strip() for part in forwarded_for.decode("latin-1").split(",") if part.strip()]
    chain.append(peer)
    # The last `trusted_hops` entries were written by our proxies; the one
    # before them is the client as the outermost proxy saw it.
    index = max(0, len(chain) - 1 - trusted_hops)
    return chain[index], chain[index:]


class SecurityHeaders:
    def __init__(self, *, hsts_seconds: int) -> None:
        self.forced: Headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
        ]
        if hsts_seconds > 0:
            self.forced.append(
                (
                    b"strict-transport-security",
                    f"max-age={hsts_seconds}; includeSubDomains".encode(),
                )
            )
        self.forced_names = frozenset(name for name, _ in self.forced)

    def apply(self, headers: Headers, *, docs: bool = False) -> Headers:
        """Headers plus the security set: the forced ones replace a service's,
        Referrer-Policy and CSP only fill in what a service did not choose."""
        out = [(n, v) for n, v in headers if n not in self.forced_names]
        out.extend(self.forced)
        names = {n for n, _ in out}
        if b"referrer-policy" not in names:
            out.append((b"referrer-policy", b"no-referrer"))
        if b"content-security-policy" not in names:
            out.append((b"content-security-policy", DOCS_CSP if docs else API_CSP))
        return out


class Cors:
    """CORS for an exact allowlist of origins; no credentials (bearer tokens
    travel in a header, never in cookies)."""

    def __init__(self, allowed_origins: Iterable[str]) -> None:
        self.allowed = frozenset(o.rstrip("/") for o in allowed_origins)

    def allows(self, origin: str | None) -> bool:
        return origin is not None and origin in self.allowed

    def response_headers(self, origin: str | None) -> Headers:
        if origin is None:
            return []
        if origin not in self.allowed:
            return [(b"vary", b"Origin")]
        return [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-expose-headers", CORS_EXPOSED_HEADERS.encode()),
            (b"vary", b"Origin"),
        ]

    def preflight_headers(self, origin: str, requested_headers: str | None) -> Headers:
        wanted = [h.strip().lower() for h in (requested_headers or "").split(",") if h.strip()]
        allowed = [h for h in wanted if h in CORS_ALLOWED_HEADERS]
        return [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", CORS_ALLOWED_METHODS.encode()),
            (
                b"access-control-allow-headers",
                ", ".join(allowed or sorted(CORS_ALLOWED_HEADERS)).encode(),
            ),
            (b"access-control-max-age", CORS_MAX_AGE.encode()),
            (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        ]
