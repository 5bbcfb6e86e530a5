"""The gateway's ASGI application.

A plain ASGI layer in front of everything (Django's request/response machinery
would cost more than the proxying itself):

- `lifespan`: the per-process Runtime (upstream pool, Redis, revocation
  subscriber), also created lazily on the first request for servers that do
  not speak lifespan;
- `http`: request id, client address, CORS preflight, then either Django (the
  gateway's own pages: /healthz, /readyz, /api/schema/, /api/docs/) or the
  reverse proxy (gateway.proxy); security headers, CORS headers and
  X-Request-ID on every response; one JSON access-log line per request;
- `websocket`: gateway.websocket.

Access-log lines carry the path without its query string (a WebSocket token
travels there) and never the Authorization header.
"""

from __future__ import annotations

import asyncio
import logging
import time

from django.conf import settings
from rentezy_platform.request_id import REQUEST_ID_HEADER, bind_request_id

from gateway import routes
from gateway.headers import client_address
from gateway.logs import install_redaction
from gateway.proxy import Exchange, handle_preflight, handle_proxy
from gateway.runtime import GatewayConfig, Runtime
from gateway.websocket import handle_websocket

access_logger = logging.getLogger("gateway.access")
logger = logging.getLogger(__name__)

_WANTED_HEADERS = frozenset(
    {
        b"authorization",
        b"origin",
        b"x-request-id",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"host",
        b"content-length",
        b"transfer-encoding",
        b"access-control-request-method",
        b"access-control-request-headers",
        b"sec-websocket-protocol",
    }
)
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.lower().encode()


def wanted_headers(scope: dict) -> dict[bytes, bytes]:
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in _WANTED_HEADERS:
            if name == b"x-forwarded-for" and name in found:
                value = found[name] + b", " + value
            found[name] = value
    return found


class GatewayApplication:
    def __init__(self, django_app, config: GatewayConfig | None = None) -> None:
        self.django_app = django_app
        self.config = config or GatewayConfig.from_settings(settings)
        self._runtime: Runtime | None = None
        install_redaction()

    def runtime(self) -> Runtime:
        # Called from inside the serving event loop; no await in between, so
        # one Runtime per process.
        if self._runtime is None:
            self._runtime = Runtime(self.config)
        return self._runtime

    async def __call__(self, scope, receive, send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, receive, send)
        elif kind == "websocket":
            await handle_websocket(self.runtime(), scope, receive, send)
        elif kind == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    runtime = self.runtime()
                    # Give the subscription a moment so the first requests
                    # already use the cache; bypass mode is safe either way.
                    try:
                        await asyncio.wait_for(runtime.subscriber.subscribed.wait(), 2.0)
                    except TimeoutError:
                        logger.warning("Started without the revocation subscription (Redis down?).")
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._runtime is not None:
                    await self._runtime.aclose()
                    self._runtime = None
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope, receive, send) -> None:
        started = time.perf_counter()
        runtime = self.runtime()
        headers = wanted_headers(scope)
        raw_id = headers.get(_REQUEST_ID_HEADER)
        with bind_request_id(raw_id.decode("latin-1") if raw_id else None) as request_id:
            client_ip, chain = client_address(
                scope, headers.get(b"x-forwarded-for"), runtime.config.trusted_proxy_hops
            )
            origin = headers.get(b"origin")
            ex = Exchange(
                scope=scope,
                receive=receive,
                send=send,
                runtime=runtime,
                request_id=request_id,
                client_ip=client_ip,
                forwarded_for=chain,
                origin=origin.decode("latin-1") if origin is not None else None,
                headers=headers,
            )
            try:
                method, path = scope["method"], scope["path"]
                if (
                    method == "OPTIONS"
                    and ex.origin is not None
                    and b"access-control-request-method" in headers
                ):
                    await handle_preflight(ex)
                elif routes.is_gateway_path(path):
                    await self._django(ex)
                elif routes.target_too_long(path, scope.get("query_string", b"")):
                    await ex.error(414, "uri_too_long", "The request URI is too long.")
                else:
                    await handle_proxy(ex)
            except Exception:
                logger.exception("Gateway error")
                if ex.status == 0:
                    await ex.error(500, "server_error", "Internal server error.")
                ex.status = ex.status or 500
            finally:
                access_logger.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    ex.status,
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": ex.status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                        "client_ip": client_ip,
                        "user_id": ex.user_id,
                        "upstream": ex.service,
                    },
                )

    async def _django(self, ex: Exchange) -> None:
        """The gateway's own pages, with the request id it chose."""
        scope = dict(ex.scope)
        scope["headers"] = [
            (name, value) for name, value in scope["headers"] if name != _REQUEST_ID_HEADER
        ] + [(_REQUEST_ID_HEADER, ex.request_id.encode())]
        docs = scope["path"] == "/api/docs/"

        async def send(message):
            if message["type"] == "http.response.start":
                ex.status = message["status"]
                upstream = [
                    (n.lower(), v)
                    for n, v in message.get("headers", [])
                    if n.lower()
                    not in (b"x-request-id", b"x-frame-options", b"x-content-type-options")
                ]
                message = {**message, "headers": ex.response_headers(upstream, docs=docs)}
            await ex.send(message)

        await self.django_app(scope, ex.receive, send)
