"""WebSockets of a Channels service (chat, notification) behind the gateway.

`GatewayTrustWebSocketMiddleware` is GatewayTrustMiddleware for the handshake:
the gateway opens the upstream socket with the same signed identity headers as
an HTTP request (method `GET`, the path and query it forwards, never the
token). A handshake without a valid, fresh signature, or an anonymous one, is
refused before it is accepted (the client sees HTTP 403); otherwise
`scope["identity"]` is the rentezy_platform.trust.Identity.

    application = ProtocolTypeRouter({
        "http": django_asgi_app,
        "websocket": GatewayTrustWebSocketMiddleware(URLRouter(websocket_urlpatterns)),
    })

`group_push(group, event)` sends to a channel-layer group from sync code,
best effort (after a commit: the database has the change, a client catches
up from it).

`JsonSocketConsumer` is the base of the services' consumers: JSON text frames
in and out, a bad frame answered by an error frame (`{"type": "error", "code",
"message"}`) on a socket that stays open, never an exception.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils.datastructures import CaseInsensitiveMapping
from django.utils.encoding import escape_uri_path, iri_to_uri

from rentezy_platform.servers import WS_MAX_SIZE_BYTES
from rentezy_platform.trust import (
    DEFAULT_MAX_AGE_SECONDS,
    UntrustedRequest,
    verify_gateway_request,
)

logger = logging.getLogger(__name__)

# Close codes a service sends: 1008 policy violation (refused), 4404 no such
# conversation of the caller's (chat), after accepting.
CLOSE_POLICY = 1008
# A frame larger than this is refused with an error frame; one past the
# servers' --ws-max-size (4 bytes a character) never reaches the consumer.
MAX_FRAME_CHARS = WS_MAX_SIZE_BYTES // 4


def group_push(group: str, event: dict[str, Any]) -> bool:
    """Send `event` (its "type" names the consumers' handler) to `group`
    now; a failure (Redis down) is logged and returns False, never raised:
    the channel layer is not durable, the database is."""
    try:
        async_to_sync(get_channel_layer().group_send)(group, event)
    except Exception:
        logger.warning("push to %s failed", group, exc_info=True)
        return False
    return True


class _Handshake:
    """The handshake as verify_gateway_request reads a request."""

    method = "GET"

    def __init__(self, scope: dict[str, Any]) -> None:
        self.headers = CaseInsensitiveMapping(
            {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        )
        query = scope.get("query_string", b"").decode("latin-1")
        self._full_path = escape_uri_path(scope["path"]) + (
            f"?{iri_to_uri(query)}" if query else ""
        )

    def get_full_path(self) -> str:
        return self._full_path


def verify_handshake(scope: dict[str, Any]):
    """The signed identity of a WebSocket handshake; UntrustedRequest otherwise
    (also for a routed path under a root path, as the HTTP middleware)."""
    if scope.get("root_path"):
        raise UntrustedRequest("The handshake carries a root path.")
    identity = verify_gateway_request(
        _Handshake(scope),
        key=settings.GATEWAY_SIGNING_KEY,
        max_age=getattr(settings, "GATEWAY_SIGNATURE_MAX_AGE", DEFAULT_MAX_AGE_SECONDS),
    )
    if identity.user_id is None:
        raise UntrustedRequest("A WebSocket needs a signed-in user.")
    return identity


class GatewayTrustWebSocketMiddleware:
    """Verifies the gateway's signature on every WebSocket handshake (see the
    module doc); other scopes pass through untouched."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        try:
            identity = verify_handshake(scope)
        except UntrustedRequest as exc:
            logger.warning(
                "Refused a WebSocket without valid gateway trust: %s",
                exc,
                extra={"path": scope.get("path")},
            )
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.close", "code": CLOSE_POLICY})
            return None
        return await self.inner({**scope, "identity": identity}, receive, send)


class FrameError(Exception):
    """A client frame this consumer refuses: answered by an error frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class JsonSocketConsumer(AsyncWebsocketConsumer):
    """JSON frames: `receive_frame(frame)` gets each client frame as a dict
    with a string `type`; raising FrameError (or sending a bad frame) answers
    `{"type": "error", "code", "message"}` and keeps the socket open."""

    async def receive(self, text_data=None, bytes_data=None):
        try:
            if text_data is None:
                raise FrameError("invalid_frame", "Frames are JSON text.")
            if len(text_data) > MAX_FRAME_CHARS:
                raise FrameError(
                    "frame_too_large", f"Frames are at most {MAX_FRAME_CHARS} characters."
                )
            try:
                frame = json.loads(text_data)
            except ValueError:
                raise FrameError("invalid_json", "A frame is a JSON object.") from None
            if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
                raise FrameError("invalid_frame", 'A frame is a JSON object with a string "type".')
            await self.receive_frame(frame)
        except FrameError as exc:
            await self.send_json({"type": "error", "code": exc.code, "message": exc.message})

    async def receive_frame(self, frame: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":"), default=str))
