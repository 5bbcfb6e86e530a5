"""The HTTP side of the gateway: CORS preflights, token enforcement, rate
limits, header hygiene and the streaming reverse proxy (a plain ASGI handler:
Django only serves the gateway's own pages, see gateway.app)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field

import aiohttp
from rentezy_platform.parsing import bearer_token
from rentezy_platform.trust import gateway_headers
from yarl import URL

from gateway import routes
from gateway.headers import Headers, clean_request_headers, clean_response_headers
from gateway.ratelimit import Limited, LoginReservation, LoginUnavailable
from gateway.runtime import Runtime
from gateway.tokens import AuthUnavailable, InvalidToken, TokenIdentity, token_key

logger = logging.getLogger(__name__)

# A login body is a few hundred bytes; it is read whole to count failures per account.
MAX_LOGIN_BODY_BYTES = 64 * 1024
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


class ClientDisconnected(Exception):
    """The client went away: nothing is answered (logged as 499)."""


class GatewayError(Exception):
    """A refusal or an upstream failure, answered in the error shape as ERRORS
    says; `params` fill its message and headers."""

    def __init__(self, **params: object) -> None:
        super().__init__(params)
        self.params = params


class RouteNotFound(GatewayError):
    pass


class NotAuthenticated(GatewayError):
    """params: detail."""


class RateLimited(GatewayError):
    """params: retry_after (seconds)."""


class LoginLimitUnavailable(GatewayError):
    """The failed-login limit cannot be checked (Redis down): fail closed."""


class LoginBodyUnreadable(GatewayError):
    """The login body is not UTF-8 JSON, so the gateway cannot tell which account
    it counts a failed attempt against. params: detail."""


class BadContentLength(GatewayError):
    pass


class BodyTooLarge(GatewayError):
    """params: limit (bytes)."""


class UpstreamUnavailable(GatewayError):
    """params: service."""


class UpstreamTimeout(GatewayError):
    """params: service."""


class BadGateway(GatewayError):
    """params: service."""


_CHALLENGE = ((b"www-authenticate", 'Bearer realm="rentezy"'),)

# Exception -> (status, code, message, headers); message and header values are
# str.format templates over the exception's params. The one place a gateway
# failure gets its answer.
ERRORS: dict[type[Exception], tuple[int, str, str, tuple[tuple[bytes, str], ...]]] = {
    RouteNotFound: (404, "not_found", "Not found.", ()),
    NotAuthenticated: (401, "not_authenticated", "{detail}", _CHALLENGE),
    RateLimited: (
        429,
        "rate_limited",
        "Too many requests. Retry in {retry_after} seconds.",
        ((b"retry-after", "{retry_after}"),),
    ),
    AuthUnavailable: (
        503,
        "upstream_unavailable",
        "Authentication is temporarily unavailable.",
        (),
    ),
    LoginLimitUnavailable: (
        503,
        "upstream_unavailable",
        "Sign-in is temporarily unavailable. Retry in a few seconds.",
        ((b"retry-after", "5"),),
    ),
    # Worded as the services' own JSON parser words it.
    LoginBodyUnreadable: (400, "parse_error", "JSON parse error - {detail}", ()),
    BadContentLength: (400, "bad_request", "Invalid Content-Length.", ()),
    BodyTooLarge: (413, "payload_too_large", "The request body exceeds {limit} bytes.", ()),
    UpstreamUnavailable: (503, "upstream_unavailable", "The {service} service is unavailable.", ()),
    UpstreamTimeout: (504, "upstream_timeout", "The {service} service did not answer in time.", ()),
    BadGateway: (502, "bad_gateway", "The {service} service gave no valid answer.", ()),
}
_ANSWERED = tuple(ERRORS)


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

    async def answer(self, exc: Exception) -> None:
        """The error-shape answer ERRORS gives `exc`."""
        status, code, message, headers = ERRORS[type(exc)]
        params = getattr(exc, "params", {})
        await self.error(
            status,
            code,
            message.format(**params),
            [(name, value.format(**params).encode()) for name, value in headers],
        )


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
            raise BodyTooLarge(limit=limit)
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
            raise BadContentLength
        size = int(length)
        if size > limit:
            raise BodyTooLarge(limit=limit)
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


def _login_email(body: bytes) -> str | None:
    """The lowercased e-mail of a login body (None when it has none).

    The body must be UTF-8 JSON: the gateway forwards it as `application/json`
    without a charset, so auth_service reads exactly the e-mail counted here
    (a body declared as another charset could otherwise name the account
    differently to the two, and dodge the per-account failed-login limit)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise LoginBodyUnreadable(detail=str(exc)) from exc
    email = data.get("email") if isinstance(data, dict) else None
    if not isinstance(email, str) or not email.strip():
        return None
    return email.strip().lower()


@dataclass(slots=True)
class Outgoing:
    """The request body as it goes upstream, and the login attempt it reserved."""

    content: bytes | _StreamedBody | None
    length: int | None
    # Set when the gateway vouches for the body's encoding (the login body).
    content_type: str | None = None
    reservation: LoginReservation | None = None


async def handle_proxy(ex: Exchange) -> None:
    """Route, authenticate, spend budgets, read the body, forward: each step
    raises what ERRORS answers."""
    outgoing: Outgoing | None = None
    status = 0
    try:
        route = _route(ex)
        identity = await _authenticate(ex, route)
        if route.upload and identity is not None:
            await _spend(ex.runtime.limiter.spend_upload(user_id=identity.user_id))
        outgoing = await _read_request(ex)
        status = await _forward(ex, route, identity, outgoing)
    except ClientDisconnected:
        ex.status = 499
    except _ANSWERED as exc:
        await ex.answer(exc)
        status = ex.status
    finally:
        if outgoing is not None and outgoing.reservation is not None:
            await ex.runtime.limiter.settle_login(outgoing.reservation, status=status)


def _route(ex: Exchange) -> routes.Route:
    cfg = ex.runtime.config
    route = routes.resolve_http(
        ex.scope["method"],
        ex.scope["path"],
        default_timeout=cfg.upstream_timeout,
        upload_timeout=cfg.upload_timeout,
    )
    if route is None:
        raise RouteNotFound
    ex.service = route.service
    return route


async def _spend(spending: Awaitable[Limited | None]) -> None:
    """Await a budget; RateLimited when it is spent."""
    limited = await spending
    if limited is not None:
        raise RateLimited(retry_after=limited.retry_after)


async def _authenticate(ex: Exchange, route: routes.Route) -> TokenIdentity | None:
    """Who is calling. A bearer token, when sent, is validated even on public
    routes (it identifies the user there too; a bad one is refused).

    Budgets: a request without a valid cached token spends the client IP's
    budget first, so a client past it gets 429 before any round trip to
    auth_service (junk tokens cannot starve it); a valid token then spends its
    user's budget."""
    limiter = ex.runtime.limiter
    authorization = ex.headers.get(b"authorization")
    if authorization is None:
        await _spend(limiter.spend_budget(user_id=None, client_ip=ex.client_ip))
        if route.public:
            return None
        raise NotAuthenticated(detail="Authentication credentials were not provided.")
    token = bearer_token(authorization)
    if token is None:
        await _spend(limiter.spend_budget(user_id=None, client_ip=ex.client_ip))
        raise NotAuthenticated(detail="Malformed Authorization header: expected 'Bearer <token>'.")
    validator = ex.runtime.validator
    key = token_key(token)
    identity = validator.cache.get(key)
    if identity is None:
        await _spend(limiter.spend_budget(user_id=None, client_ip=ex.client_ip))
        try:
            identity = await validator.identify(token, request_id=ex.request_id, key=key)
        except InvalidToken:
            raise NotAuthenticated(detail="The token is invalid, expired or revoked.") from None
    await _spend(limiter.spend_budget(user_id=identity.user_id, client_ip=ex.client_ip))
    ex.user_id = identity.user_id
    return identity


async def _read_request(ex: Exchange) -> Outgoing:
    """The body to send on. A login body is read whole: the failed-login limit
    counts it against its account (and fails closed without Redis)."""
    if ex.scope["method"] != "POST" or ex.scope["path"] != routes.LOGIN_PATH:
        content, length = await _request_body(ex, ex.runtime.config.max_body_bytes)
        return Outgoing(content=content, length=length)
    body = await _read_body(ex.receive, MAX_LOGIN_BODY_BYTES)
    email = _login_email(body)
    outcome = await ex.runtime.limiter.reserve_login(email=email, client_ip=ex.client_ip)
    if isinstance(outcome, Limited):
        raise RateLimited(retry_after=outcome.retry_after)
    if isinstance(outcome, LoginUnavailable):
        raise LoginLimitUnavailable
    return Outgoing(
        content=body, length=len(body), content_type="application/json", reservation=outcome
    )


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
    ex: Exchange, route: routes.Route, identity: TokenIdentity | None, outgoing: Outgoing
) -> int:
    """Send the request upstream and stream its response back; the status sent."""
    target = routes.forwarded_path(ex.scope["path"], ex.scope["query_string"])
    headers = _upstream_headers(ex, identity, outgoing, target)
    response = await _send_upstream(ex, route, headers, outgoing, target)
    return await _stream_response(ex, route, response)


def _upstream_headers(
    ex: Exchange, identity: TokenIdentity | None, outgoing: Outgoing, target: str
) -> list[tuple[str, str]]:
    """The client's clean headers, the signed identity and the forwarding set."""
    content_type = outgoing.content_type
    headers = [
        (_text(name), _text(value))
        for name, value in clean_request_headers(ex.scope["headers"])
        if content_type is None or name != b"content-type"
    ]
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    signed = gateway_headers(
        key=ex.runtime.config.signing_key,
        method=ex.scope["method"],
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
    if outgoing.length is not None:
        headers.append(("Content-Length", str(outgoing.length)))
    return headers


async def _send_upstream(
    ex: Exchange,
    route: routes.Route,
    headers: list[tuple[str, str]],
    outgoing: Outgoing,
    target: str,
) -> aiohttp.ClientResponse:
    """The upstream's response head. A bodiless idempotent request is retried
    once on a pooled connection the service closed just as it was reused."""
    rt = ex.runtime
    method = ex.scope["method"]
    content = outgoing.content
    upload = content if isinstance(content, _StreamedBody) else None
    url = URL(rt.base_urls[route.service] + target, encoded=True)
    timeout = _timeout(route.timeout, rt.config.connect_timeout)
    attempts = 2 if method in _IDEMPOTENT and content is None else 1
    service = route.service
    for attempt in range(attempts):
        try:
            async with asyncio.timeout(route.timeout):
                return await rt.client.request(
                    method,
                    url,
                    headers=headers,
                    data=upload.chunks() if upload is not None else content,
                    allow_redirects=False,
                    timeout=timeout,
                )
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # Nothing listens, or no connection within the time (pool or connect).
            logger.warning("Upstream %s unavailable: %s", service, type(exc).__name__)
            raise UpstreamUnavailable(service=service) from exc
        except TimeoutError as exc:
            logger.warning("Upstream %s timed out after %ss.", service, route.timeout)
            raise UpstreamTimeout(service=service) from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            if upload is not None and upload.disconnected:
                raise ClientDisconnected from exc
            if attempt + 1 < attempts:
                continue
            logger.warning("Upstream %s connection lost: %s", service, type(exc).__name__)
            raise BadGateway(service=service) from exc
        except aiohttp.ClientError as exc:
            if upload is not None and upload.disconnected:
                raise ClientDisconnected from exc
            logger.warning("Upstream %s gave no valid answer: %s", service, type(exc).__name__)
            raise BadGateway(service=service) from exc
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _stream_response(
    ex: Exchange, route: routes.Route, response: aiohttp.ClientResponse
) -> int:
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
