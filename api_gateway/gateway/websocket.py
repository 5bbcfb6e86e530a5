"""The WebSocket proxy: `/ws/...` with the access token in the `token` query
parameter.

Handshake: route, Origin (the CORS allowlist; a handshake without Origin comes
from a non-browser client and is allowed unless GATEWAY_WS_ALLOW_MISSING_ORIGIN
is off), token (validated like a bearer token), the user's request budget,
then the upstream socket, opened with the signed identity headers for the path
and query WITHOUT the token (the service never sees it). Any refusal closes
before accepting: the client gets HTTP 403. Then text and binary frames are
piped both ways and a close code on either side is passed to the other.

The signature covers method `GET` (the handshake's) and the forwarded path.
"""

from __future__ import annotations

import asyncio
import logging
import time

from rentezy_platform.request_id import bind_request_id
from rentezy_platform.trust import gateway_headers
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from gateway import routes
from gateway.headers import client_address
from gateway.runtime import Runtime
from gateway.tokens import AuthUnavailable, InvalidToken

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("gateway.access")

UPSTREAM_OPEN_TIMEOUT = 10.0
MAX_MESSAGE_BYTES = 1024 * 1024
CLOSE_GRACE_SECONDS = 5.0

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
            await _handle(runtime, scope, receive, send, headers, request_id, client_ip, chain, outcome)
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


async def _handle(runtime, scope, receive, send, headers, request_id, client_ip, chain, outcome):
    message = await receive()
    if message["type"] != "websocket.connect":
        return

    async def refuse(why: str) -> None:
        outcome["why"] = why
        await send({"type": "websocket.close", "code": 1008})

    path = scope["path"]
    service = routes.resolve_ws(path)
    if service is None:
        await refuse("no route")
        return
    outcome["service"] = service

    origin = headers.get(b"origin")
    if origin is None:
        if not runtime.config.ws_allow_missing_origin:
            await refuse("origin missing")
            return
    elif not runtime.cors.allows(origin.decode("latin-1")):
        await refuse("origin not allowed")
        return

    query, token = routes.strip_query_param(scope.get("query_string", b""), "token")
    if not token:
        await refuse("no token")
        return
    try:
        identity = await runtime.validator.identify(token, request_id=request_id)
    except InvalidToken:
        await refuse("invalid token")
        return
    except AuthUnavailable:
        await refuse("auth unavailable")
        return
    outcome["user_id"] = identity.user_id

    limited = await runtime.limiter.spend_budget(user_id=identity.user_id, client_ip=client_ip)
    if limited is not None:
        await refuse("rate limited")
        return

    target = routes.forwarded_path(path, query)
    signed = gateway_headers(
        key=runtime.config.signing_key,
        method="GET",
        path_with_query=target,
        user_id=identity.user_id,
        role=identity.role,
        email=identity.email,
        request_id=request_id,
    )
    upstream_headers = [
        *signed.items(),
        ("X-Forwarded-For", ", ".join(chain)),
        ("X-Real-IP", client_ip),
        ("X-Forwarded-Proto", "https" if scope.get("scheme") == "wss" else "http"),
    ]
    if origin is not None:
        upstream_headers.append(("Origin", origin.decode("latin-1")))
    base = runtime.config.upstreams[service]
    uri = "ws" + base[len("http"):] + target if base.startswith("http") else base + target

    try:
        upstream = await connect(
            uri,
            additional_headers=upstream_headers,
            subprotocols=scope.get("subprotocols") or None,
            open_timeout=UPSTREAM_OPEN_TIMEOUT,
            max_size=MAX_MESSAGE_BYTES,
            user_agent_header=None,
            compression=None,
            proxy=None,
        )
    except InvalidStatus as exc:
        await refuse(f"upstream refused ({exc.response.status_code})")
        return
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        logger.warning("WebSocket upstream %s unavailable: %s", service, type(exc).__name__)
        await refuse("upstream unavailable")
        return

    await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})
    outcome["status"] = "accepted"
    try:
        outcome["close"] = await _pipe(receive, send, upstream)
    finally:
        await upstream.close()


async def _pipe(receive, send, upstream) -> int | None:
    """Frames both ways until one side closes; returns the close code seen."""
    closed: dict[str, int | None] = {"code": None}

    async def client_to_upstream() -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.receive":
                if message.get("text") is not None:
                    await upstream.send(message["text"])
                elif message.get("bytes") is not None:
                    await upstream.send(message["bytes"])
            elif message["type"] == "websocket.disconnect":
                code = message.get("code", 1000)
                closed["code"] = closed["code"] or code
                await upstream.close(code=sendable_code(code), reason=message.get("reason") or "")
                return

    async def upstream_to_client() -> None:
        try:
            async for frame in upstream:
                if isinstance(frame, str):
                    await send({"type": "websocket.send", "text": frame})
                else:
                    await send({"type": "websocket.send", "bytes": frame})
        except ConnectionClosed:
            pass
        received = upstream.close_code
        code = sendable_code(received, default=1011)
        closed["code"] = closed["code"] or received
        await send({"type": "websocket.close", "code": code, "reason": upstream.close_reason or ""})

    to_upstream = asyncio.create_task(client_to_upstream())
    to_client = asyncio.create_task(upstream_to_client())
    try:
        done, _ = await asyncio.wait({to_upstream, to_client}, return_when=asyncio.FIRST_COMPLETED)
        if to_client in done:
            # The service closed: let the client's close handshake finish.
            try:
                await asyncio.wait_for(asyncio.shield(to_upstream), CLOSE_GRACE_SECONDS)
            except (TimeoutError, ConnectionClosed):
                pass
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                # Either side going away mid-frame is the normal end of a socket.
                if not isinstance(exc, (ConnectionClosed, OSError)):  # uvicorn: ClientDisconnected
                    logger.warning("WebSocket pipe error: %r", exc)
    finally:
        for task in (to_upstream, to_client):
            task.cancel()
        await asyncio.gather(to_upstream, to_client, return_exceptions=True)
    return closed["code"]
