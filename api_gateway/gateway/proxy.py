"""The HTTP side of the gateway: CORS preflights, token enforcement, rate
limits, header hygiene and the streaming reverse proxy (a plain ASGI handler:
Django only serves the gateway's own pages, see gateway.app)."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field

import aiohttp
from rentezy_platform.trust import gateway_headers
from yarl import URL

from gateway import routes
from gateway.headers import Headers, clean_request_headers, clean_response_headers
from gateway.ratelimit import Limited, LoginReservation
from gateway.runtime import Runtime
from gateway.tokens import AuthUnavailable, InvalidToken, TokenIdentity

logger = logging.getLogger(__name__)

# A login body is a few hundred bytes; it is read whole to count failures per account.
MAX_LOGIN_BODY_BYTES = 64 * 1024
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


class ClientDisconnected(Exception):
    pass


class BodyTooLarge(Exception):
    pass


@dataclass
class Exchange:
    """One HTTP request as the gateway handles it (and logs it)."""

    scope: dict
    receive: object
    send: object
    runtime: Runtime
    request_id: str
    client_ip: str
    forwarded_for: list[str]
    origin: str | None
    headers: dict[bytes, bytes]
    status: int = 0
    user_id: str = ""
    service: str = ""
    extra_headers: Headers = field(default_factory=list)

    def response_headers(self, headers: Headers, *, docs: bool = False) -> Headers:
        rt = self.runtime
        out = rt.security.apply(headers, docs=docs)
        out.extend(rt.cors.response_headers(self.origin))
        out.extend(self.extra_headers)
        out.append((b"x-request-id", self.request_id.encode()))
        return out

    async def respond(
        self, status: int, body: bytes, headers: Headers, *, docs: bool = False
    ) -> None:
        self.status = status
        await self.send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": self.response_headers(headers, docs=docs),
            }
        )
        await self.send({"type": "http.response.body", "body": body, "more_body": False})

    async def error(self, status: int, code: str, message: str, headers: Headers = ()) -> None:
        body = json.dumps({"code": code, "message": message}).encode()
        await self.respond(
            status,
            body,
            [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        )

    async def rate_limited(self, limited: Limited) -> None:
        await self.error(
            429,
            "rate_limited",
            f"Too many requests. Retry in {limited.retry_after} seconds.",
            [(b"retry-after", str(limited.retry_after).encode())],
        )


def _bearer(value: bytes) -> str | None:
    scheme, _, token = value.decode("latin-1").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


async def handle_preflight(ex: Exchange) -> None:
    """OPTIONS with Origin and Access-Control-Request-Method: answered here,
    never forwarded, no token needed."""
    cors = ex.runtime.cors
    if not cors.allows(ex.origin):
        await ex.error(403, "forbidden", "Origin not allowed.")
        return
    requested = ex.headers.get(b"access-control-request-headers", b"").decode("latin-1")
    headers = cors.preflight_headers(ex.origin, requested)
    ex.status = 204
    await ex.send(
        {
            "type": "http.response.start",
            "status": 204,
            # Preflight headers already carry the CORS set: no second copy.
            "headers": [
                *ex.runtime.security.apply(headers),
                (b"x-request-id", ex.request_id.encode()),
            ],
        }
    )
    await ex.send({"type": "http.response.body", "body": b"", "more_body": False})


async def _read_body(receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        if chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class _StreamedBody:
    """A request body of known length, passed on chunk by chunk as the client
    sends it. aiohttp writes it from a task of its own and reports a failure
    as a connection error: `disconnected` tells a client that went away from
    an upstream that did."""

    __slots__ = ("receive", "first", "disconnected")

    def __init__(self, receive, first: bytes) -> None:
        self.receive = receive
        self.first = first
        self.disconnected = False

    async def chunks(self):
        yield self.first
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                raise ClientDisconnected
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


async def _request_body(ex: Exchange, limit: int) -> tuple[bytes | object | None, int | None]:
    """(body to send on, content length). Streams a body of known length;
    buffers a chunked one (up to the limit) so services behind WSGI, which
    need a Content-Length, get one."""
    length = ex.headers.get(b"content-length")
    if length is not None:
        if not length.isdigit():
            raise ValueError("Content-Length")
        size = int(length)
        if size > limit:
            raise BodyTooLarge
        if size == 0:
            return b"", 0
        message = await ex.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        first = message.get("body", b"")
        if not message.get("more_body", False):
            return first, size
        return _StreamedBody(ex.receive, first), size
    if b"transfer-encoding" in ex.headers:
        body = await _read_body(ex.receive, limit)
        return body, len(body)
    return None, None


class LoginBodyUnreadable(ValueError):
    """The login body is not UTF-8 JSON, so the gateway cannot tell which account
    it counts a failed attempt against."""


def _login_email(body: bytes) -> str | None:
    """The lowercased e-mail of a login body (None when it has none).

    The body must be UTF-8 JSON: the gateway forwards it as `application/json`
    without a charset, so auth_service reads exactly the e-mail counted here
    (a body declared as another charset could otherwise name the account
    differently to the two, and dodge the per-account failed-login limit)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise LoginBodyUnreadable(str(exc)) from exc
    email = data.get("email") if isinstance(data, dict) else None
    if not isinstance(email, str) or not email.strip():
        return None
    return email.strip().lower()


async def handle_proxy(ex: Exchange) -> None:
    rt = ex.runtime
    cfg = rt.config
    scope = ex.scope
    method: str = scope["method"]
    path: str = scope["path"]

    route = routes.resolve_http(
        method, path, default_timeout=cfg.upstream_timeout, upload_timeout=cfg.upload_timeout
    )
    if route is None:
        await ex.error(404, "not_found", "Not found.")
        return
    ex.service = route.service

    # Who is calling: a bearer token, when sent, is validated even on public
    # routes (it identifies the user there too; a bad one is refused).
    identity: TokenIdentity | None = None
    refusal: str | None = None
    authorization = ex.headers.get(b"authorization")
    if authorization is not None:
        token = _bearer(authorization)
        if token is None:
            refusal = "Malformed Authorization header: expected 'Bearer <token>'."
        else:
            try:
                identity = await rt.validator.identify(token, request_id=ex.request_id)
            except InvalidToken:
                refusal = "The token is invalid, expired or revoked."
            except AuthUnavailable:
                await ex.error(
                    503, "upstream_unavailable", "Authentication is temporarily unavailable."
                )
                return
    elif not route.public:
        refusal = "Authentication credentials were not provided."

    # One budget per request: the user's, else the client IP's (failed
    # authentications spend the IP's, so token guessing is throttled too).
    limited = await rt.limiter.spend_budget(
        user_id=identity.user_id if identity else None, client_ip=ex.client_ip
    )
    if limited is not None:
        await ex.rate_limited(limited)
        return
    if refusal is not None:
        await ex.error(
            401,
            "not_authenticated",
            refusal,
            [(b"www-authenticate", b'Bearer realm="rentezy"')],
        )
        return
    if identity is not None:
        ex.user_id = identity.user_id

    reservation: LoginReservation | None = None
    # Set when the gateway vouches for the body's encoding (the login body).
    content_type: str | None = None
    try:
        if method == "POST" and path == routes.LOGIN_PATH:
            body = await _read_body(ex.receive, MAX_LOGIN_BODY_BYTES)
            content, length = body, len(body)
            try:
                email = _login_email(body)
            except LoginBodyUnreadable as exc:
                # Worded as the services' own JSON parser words it.
                await ex.error(400, "parse_error", f"JSON parse error - {exc}")
                return
            content_type = "application/json"
            outcome = await rt.limiter.reserve_login(email=email, client_ip=ex.client_ip)
            if isinstance(outcome, Limited):
                await ex.rate_limited(outcome)
                return
            reservation = outcome
        else:
            content, length = await _request_body(ex, cfg.max_body_bytes)
    except BodyTooLarge:
        limit = MAX_LOGIN_BODY_BYTES if path == routes.LOGIN_PATH else cfg.max_body_bytes
        await ex.error(
            413, "payload_too_large", f"The request body exceeds {limit} bytes."
        )
        return
    except ValueError:
        await ex.error(400, "bad_request", "Invalid Content-Length.")
        return
    except ClientDisconnected:
        ex.status = 499
        return

    status = 0
    try:
        status = await _forward(ex, route, identity, content, length, content_type)
    finally:
        if reservation is not None:
            await rt.limiter.settle_login(reservation, status=status)


def _text(value: bytes) -> str:
    # aiohttp writes header values as UTF-8: valid UTF-8 (and so ASCII) goes
    # on byte for byte; anything else (obs-text) becomes U+FFFD.
    return value.decode("utf-8", "replace")


_TIMEOUTS: dict[tuple[float, float], aiohttp.ClientTimeout] = {}


def _timeout(route_timeout: float, connect_timeout: float) -> aiohttp.ClientTimeout:
    """Per attempt: a pooled connection within the route's time, a new one
    within the connect timeout, then each read within the route's time (the
    whole wait for the response head is bounded in _forward)."""
    key = (route_timeout, connect_timeout)
    timeout = _TIMEOUTS.get(key)
    if timeout is None:
        timeout = _TIMEOUTS[key] = aiohttp.ClientTimeout(
            total=None,
            connect=route_timeout,
            sock_connect=min(connect_timeout, route_timeout),
            sock_read=route_timeout,
        )
    return timeout


async def _forward(
    ex: Exchange,
    route: routes.Route,
    identity: TokenIdentity | None,
    content,
    length,
    content_type: str | None = None,
) -> int:
    rt = ex.runtime
    scope = ex.scope
    method = scope["method"]
    target = routes.forwarded_path(scope["path"], scope["query_string"])

    headers = [
        (_text(name), _text(value))
        for name, value in clean_request_headers(scope["headers"])
        if content_type is None or name != b"content-type"
    ]
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    signed = gateway_headers(
        key=rt.config.signing_key,
        method=method,
        path_with_query=target,
        user_id=identity.user_id if identity else None,
        role=identity.role if identity else None,
        email=identity.email if identity else "",
        request_id=ex.request_id,
    )
    headers.extend(signed.items())
    headers.append(("X-Forwarded-For", ", ".join(ex.forwarded_for)))
    headers.append(("X-Real-IP", ex.client_ip))
    headers.append(("X-Forwarded-Proto", _proto(ex)))
    host = ex.headers.get(b"host")
    if host is not None:
        headers.append(("X-Forwarded-Host", _text(host)))
    if length is not None:
        headers.append(("Content-Length", str(length)))

    upload = content if isinstance(content, _StreamedBody) else None
    url = URL(rt.base_urls[route.service] + target, encoded=True)
    timeout = _timeout(route.timeout, rt.config.connect_timeout)
    attempts = 2 if method in _IDEMPOTENT and content is None else 1
    response: aiohttp.ClientResponse | None = None
    for attempt in range(attempts):
        try:
            async with asyncio.timeout(route.timeout):
                response = await rt.client.request(
                    method,
                    url,
                    headers=headers,
                    data=upload.chunks() if upload is not None else content,
                    allow_redirects=False,
                    timeout=timeout,
                )
            break
        except ClientDisconnected:
            ex.status = 499
            return 499
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # Nothing listens, or no connection within the time (pool or connect).
            logger.warning("Upstream %s unavailable: %s", route.service, type(exc).__name__)
            await ex.error(503, "upstream_unavailable", f"The {route.service} service is unavailable.")
            return ex.status
        except TimeoutError:
            logger.warning("Upstream %s timed out after %ss.", route.service, route.timeout)
            await ex.error(504, "upstream_timeout", f"The {route.service} service did not answer in time.")
            return ex.status
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            if upload is not None and upload.disconnected:
                ex.status = 499
                return 499
            # A pooled keep-alive connection the service closed just as it was
            # reused: safe to retry once for a request without a body.
            if attempt + 1 < attempts:
                continue
            logger.warning("Upstream %s connection lost: %s", route.service, type(exc).__name__)
            await ex.error(502, "bad_gateway", f"The {route.service} service gave no valid answer.")
            return ex.status
        except aiohttp.ClientError as exc:
            if upload is not None and upload.disconnected:
                ex.status = 499
                return 499
            logger.warning("Upstream %s gave no valid answer: %s", route.service, type(exc).__name__)
            await ex.error(502, "bad_gateway", f"The {route.service} service gave no valid answer.")
            return ex.status
    assert response is not None

    status = response.status
    complete = False
    try:
        ex.status = status
        await ex.send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": ex.response_headers(clean_response_headers(response.raw_headers)),
            }
        )
        stream = response.content
        try:
            while True:
                chunk = await stream.readany()
                if not chunk:
                    break
                if stream.at_eof():
                    # The common case, a small body read at once: one message.
                    await ex.send({"type": "http.response.body", "body": chunk, "more_body": False})
                    complete = True
                    return status
                await ex.send({"type": "http.response.body", "body": chunk, "more_body": True})
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Too late for an error status: end the connection so the client
            # sees a truncated response rather than a complete-looking one.
            logger.warning("Upstream %s failed mid-response: %s", route.service, type(exc).__name__)
            return status
        await ex.send({"type": "http.response.body", "body": b"", "more_body": False})
        complete = True
    finally:
        if complete:
            response.release()  # the connection goes back to the pool
        else:
            response.close()
    return status


def _proto(ex: Exchange) -> str:
    if ex.runtime.config.trusted_proxy_hops > 0:
        proto = ex.headers.get(b"x-forwarded-proto")
        if proto in (b"http", b"https"):
            return proto.decode()
    return "https" if ex.scope.get("scheme") in ("https", "wss") else "http"
