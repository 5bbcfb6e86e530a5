"""The WebSocket proxy: `/ws/...` with the access token in the `token` query
parameter.

Handshake: route, Origin (the CORS allowlist; a handshake without Origin comes
from a non-browser client and is allowed unless GATEWAY_WS_ALLOW_MISSING_ORIGIN
is off), token (validated like a bearer token), the user's request budget,
then the upstream socket, opened with the signed identity headers for the path
and query WITHOUT the token (the service never sees it). Any refusal closes
before accepting: the client gets HTTP 403. Then text and binary frames are
piped both ways and a close code on either side is passed to the other.

An accepted socket lives only while its token is good: its revocation, the
end of its session (logout), a password change of its user, or its `exp`
close it on both sides with code 4401 (gateway.sockets: CLOSE_AUTH_ENDED,
reason `token revoked` or `token expired`). The client then gets a fresh
token (refresh, or log in) and reconnects.

`_handle` runs the steps in order: `_route`, `_check_origin`, `_token_param`,
`_identify`, `_spend_budget`, `_connect_upstream`, then `_pipe`; each step
refuses by raising `Refused(why)`.

Limits on what a client sends: a frame over 64 KiB is closed with 1009 by
uvicorn itself (--ws-max-size, config/server.py) before the gateway reads
it; more frames than GATEWAY_WS_FRAMES_PER_SECOND (bursts of
GATEWAY_WS_FRAME_BURST) close the socket on both sides with 1008 "too many
frames".

The signature covers method `GET` (the handshake's) and the forwarded path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from rentezy_platform.request_id import bind_request_id
from rentezy_platform.throttle import TokenBucket
from rentezy_platform.trust import gateway_headers
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from gateway import routes
from gateway.headers import client_address
from gateway.runtime import Runtime
from gateway.sockets import CLOSE_AUTH_ENDED, OpenSocket
from gateway.tokens import AuthUnavailable, InvalidToken, TokenIdentity, token_key

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("gateway.access")

UPSTREAM_OPEN_TIMEOUT = 10.0
MAX_MESSAGE_BYTES = 1024 * 1024
CLOSE_GRACE_SECONDS = 5.0
CLOSE_POLICY = 1008
TOO_MANY_FRAMES = "too many frames"

# Codes that exist on the wire but may not be sent in a close frame.
_UNSENDABLE = {1005: 1000, 1006: 1011, 1015: 1011}


def sendable_code(code: int | None, default: int = 1000) -> int:
    if code is None:
        return default
    code = _UNSENDABLE.get(code, code)
    if code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or 3000 <= code <= 4999:
        return code
    return default


async def handle_websocket(runtime: Runtime, scope, receive, send) -> None:
    started = time.perf_counter()
    headers = dict(scope["headers"])
    raw_id = headers.get(b"x-request-id")
    with bind_request_id(raw_id.decode("latin-1") if raw_id else None) as request_id:
        client_ip, chain = client_address(
            scope, headers.get(b"x-forwarded-for"), runtime.config.trusted_proxy_hops
        )
        outcome = {"status": "refused", "user_id": "", "service": "", "close": None, "why": ""}
        try:
            await _handle(
                runtime, scope, receive, send, headers, request_id, client_ip, chain, outcome
            )
        finally:
            access_logger.info(
                "WS %s %s",
                scope["path"],
                outcome["status"],
                extra={
                    "request_id": request_id,
                    "method": "WS",
                    "path": scope["path"],
                    "status": outcome["status"],
                    "close_code": outcome["close"],
                    "reason": outcome["why"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "client_ip": client_ip,
                    "user_id": outcome["user_id"],
                    "upstream": outcome["service"],
                },
            )


class Refused(Exception):
    """A handshake step said no: the socket is closed before it is accepted
    (the client gets HTTP 403), with `why` in the access log."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass(frozen=True, slots=True)
class Handshake:
    """What the steps read of one handshake."""

    scope: dict
    headers: dict[bytes, bytes]
    request_id: str
    client_ip: str
    chain: list[str]

    @property
    def origin(self) -> str | None:
        origin = self.headers.get(b"origin")
        return origin.decode("latin-1") if origin is not None else None


async def _handle(runtime, scope, receive, send, headers, request_id, client_ip, chain, outcome):
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    handshake = Handshake(scope, headers, request_id, client_ip, chain)
    sock: OpenSocket | None = None
    try:
        try:
            service = _route(handshake)
            outcome["service"] = service
            _check_origin(runtime, handshake)
            query, token = _token_param(handshake)
            since = runtime.sockets.mark()
            identity = await _identify(runtime, handshake, token)
            outcome["user_id"] = identity.user_id
            # Registered before any further wait: from here a revocation or
            # the token's expiry ends it (gateway.sockets).
            sock = runtime.sockets.open(identity=identity, token=token, since=since)
            await _spend_budget(runtime, handshake, identity)
            upstream = await _connect_upstream(runtime, handshake, service, query, identity)
        except Refused as refused:
            outcome["why"] = refused.why
            await send({"type": "websocket.close", "code": 1008})
            return
        try:
            if sock.ended.is_set():  # during the upstream handshake
                outcome["why"] = sock.reason
                await send({"type": "websocket.close", "code": 1008})
                return
            await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})
            outcome["status"] = "accepted"
            frames = TokenBucket(
                rate=runtime.config.ws_frames_per_second, burst=runtime.config.ws_frame_burst
            )
            closed = await _pipe(receive, send, upstream, sock, frames)
            outcome["close"] = closed.code
            if closed.why is not None:
                outcome["why"] = closed.why
        finally:
            await upstream.close()
    finally:
        if sock is not None:
            runtime.sockets.close(sock)


def _route(handshake: Handshake) -> str:
    service = routes.resolve_ws(handshake.scope["path"])
    if service is None:
        raise Refused("no route")
    return service


def _check_origin(runtime: Runtime, handshake: Handshake) -> None:
    """The CORS allowlist; no Origin at all is a non-browser client, allowed
    unless GATEWAY_WS_ALLOW_MISSING_ORIGIN is off."""
    origin = handshake.origin
    if origin is None:
        if not runtime.config.ws_allow_missing_origin:
            raise Refused("origin missing")
    elif not runtime.cors.allows(origin):
        raise Refused("origin not allowed")


def _token_param(handshake: Handshake) -> tuple[bytes, str]:
    """The query without `token`, and the token."""
    query, token = routes.strip_query_param(handshake.scope.get("query_string", b""), "token")
    if not token:
        raise Refused("no token")
    return query, token


async def _identify(runtime: Runtime, handshake: Handshake, token: str) -> TokenIdentity:
    """As on HTTP (gateway.proxy._authenticate): a token that is not cached
    spends the client IP's budget before its round trip to auth_service, so
    handshakes with fresh junk tokens cannot starve it."""
    validator = runtime.validator
    key = token_key(token)
    identity = validator.cache.get(key)
    if identity is not None:
        return identity
    limited = await runtime.limiter.spend_budget(user_id=None, client_ip=handshake.client_ip)
    if limited is not None:
        raise Refused("rate limited")
    try:
        return await validator.identify(token, request_id=handshake.request_id, key=key)
    except InvalidToken:
        raise Refused("invalid token") from None
    except AuthUnavailable:
        raise Refused("auth unavailable") from None


async def _spend_budget(runtime: Runtime, handshake: Handshake, identity: TokenIdentity) -> None:
    limited = await runtime.limiter.spend_budget(
        user_id=identity.user_id, client_ip=handshake.client_ip
    )
    if limited is not None:
        raise Refused("rate limited")


def _upstream_request(
    runtime: Runtime, handshake: Handshake, service: str, query, identity: TokenIdentity
) -> tuple[str, list[tuple[str, str]]]:
    """The service's URI and the handshake headers: the signed identity for
    the path and query without the token (the service never sees it)."""
    target = routes.forwarded_path(handshake.scope["path"], query)
    signed = gateway_headers(
        key=runtime.config.signing_key,
        method="GET",
        path_with_query=target,
        user_id=identity.user_id,
        role=identity.role,
        email=identity.email,
        request_id=handshake.request_id,
    )
    headers = [
        *signed.items(),
        ("X-Forwarded-For", ", ".join(handshake.chain)),
        ("X-Real-IP", handshake.client_ip),
        ("X-Forwarded-Proto", "https" if handshake.scope.get("scheme") == "wss" else "http"),
    ]
    if handshake.origin is not None:
        headers.append(("Origin", handshake.origin))
    base = runtime.config.upstreams[service]
    uri = "ws" + base[len("http") :] + target if base.startswith("http") else base + target
    return uri, headers


async def _connect_upstream(
    runtime: Runtime, handshake: Handshake, service: str, query, identity: TokenIdentity
) -> ClientConnection:
    uri, headers = _upstream_request(runtime, handshake, service, query, identity)
    try:
        return await connect(
            uri,
            additional_headers=headers,
            subprotocols=handshake.scope.get("subprotocols") or None,
            open_timeout=UPSTREAM_OPEN_TIMEOUT,
            max_size=MAX_MESSAGE_BYTES,
            user_agent_header=None,
            compression=None,
            proxy=None,
        )
    except InvalidStatus as exc:
        raise Refused(f"upstream refused ({exc.response.status_code})") from None
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        logger.warning("WebSocket upstream %s unavailable: %s", service, type(exc).__name__)
        raise Refused("upstream unavailable") from None


@dataclass(slots=True)
class Closed:
    """How a piped socket ended: the close code seen (None: none yet) and,
    when the gateway closed it, why (for the access log)."""

    code: int | None = None
    why: str | None = None


async def _pipe(receive, send, upstream, sock: OpenSocket, frames: TokenBucket) -> Closed:
    """Frames both ways until one side closes, the token stops being good
    (`sock.ended`) or the client sends faster than `frames` allows."""
    closed = Closed()

    async def client_to_upstream() -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.receive":
                if not frames.take():
                    closed.code, closed.why = CLOSE_POLICY, TOO_MANY_FRAMES
                    await send({"type": "websocket.close", "code": CLOSE_POLICY,
                                "reason": TOO_MANY_FRAMES})  # fmt: skip
                    await upstream.close(code=CLOSE_POLICY, reason=TOO_MANY_FRAMES)
                    return
                if message.get("text") is not None:
                    await upstream.send(message["text"])
                elif message.get("bytes") is not None:
                    await upstream.send(message["bytes"])
            elif message["type"] == "websocket.disconnect":
                code = message.get("code", 1000)
                closed.code = closed.code or code
                await upstream.close(code=sendable_code(code), reason=message.get("reason") or "")
                return

    async def upstream_to_client() -> None:
        try:
            async for frame in upstream:
                if closed.why == TOO_MANY_FRAMES:  # closed by the gateway meanwhile
                    return
                if isinstance(frame, str):
                    await send({"type": "websocket.send", "text": frame})
                else:
                    await send({"type": "websocket.send", "bytes": frame})
        except ConnectionClosed:
            pass
        received = upstream.close_code
        code = sendable_code(received, default=1011)
        closed.code = closed.code or received
        if closed.why != TOO_MANY_FRAMES:  # (the gateway closed both sides already)
            await send(
                {"type": "websocket.close", "code": code, "reason": upstream.close_reason or ""}
            )

    to_upstream = asyncio.create_task(client_to_upstream())
    to_client = asyncio.create_task(upstream_to_client())
    auth_ended = asyncio.create_task(sock.ended.wait())
    pipes = {to_upstream, to_client}
    try:
        done, _ = await asyncio.wait({*pipes, auth_ended}, return_when=asyncio.FIRST_COMPLETED)
        if not done & pipes:
            await _cancel(pipes)
            return Closed(await _close_for_auth(send, upstream, sock), why=sock.reason)
        if to_client in done:
            # The service closed: let the client's close handshake finish.
            try:
                await asyncio.wait_for(asyncio.shield(to_upstream), CLOSE_GRACE_SECONDS)
            except (TimeoutError, ConnectionClosed):
                pass
        for task in done & pipes:
            if not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                # Either side going away mid-frame is the normal end of a socket.
                if not isinstance(exc, (ConnectionClosed, OSError)):  # uvicorn: ClientDisconnected
                    logger.warning("WebSocket pipe error: %r", exc)
    finally:
        await _cancel({*pipes, auth_ended})
    if closed.why is None and sock.ended.is_set() and closed.code == CLOSE_AUTH_ENDED:
        closed.why = sock.reason  # the service closed it for the same reason first
    return closed


async def _cancel(tasks) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _close_for_auth(send, upstream, sock: OpenSocket) -> int:
    """Close both sides with CLOSE_AUTH_ENDED: the token was revoked, its
    session or its user's tokens ended, or it expired."""
    reason = sock.reason
    try:
        await send({"type": "websocket.close", "code": CLOSE_AUTH_ENDED, "reason": reason})
    except (OSError, RuntimeError):
        pass  # the client went away meanwhile
    await upstream.close(code=CLOSE_AUTH_ENDED, reason=reason)
    return CLOSE_AUTH_ENDED
