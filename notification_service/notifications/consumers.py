"""The notification socket, `/ws/notifications?after=<id>` behind the
gateway's WebSocket proxy (the handshake's identity verified by
rentezy_platform.sockets.GatewayTrustWebSocketMiddleware).

Each user's sockets join the group `user.<id>`; a notification is pushed
there after it commits as `{"type": "notification", "notification": {...}}`.
The channel layer is not durable, so a client that reconnects passes the id
of the last notification it saw as `after`: the socket joins the group
first, then sends every later one of the user's feed, oldest first, and
drops any push it already sent that way. Nothing is missed, nothing doubled.
An `after` that is not one of the user's gets an error frame
(`invalid_after`) and no catch-up.

The client sends nothing but `{"type": "ping"}` (answered `{"type": "pong"}`);
anything else gets an error frame, and the socket stays open.
"""

from __future__ import annotations

from collections import deque
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from rentezy_platform.parsing import uuid_or_none
from rentezy_platform.sockets import FrameError, JsonSocketConsumer
from rentezy_platform.trust import Actor

from notifications import selectors, services

# Ids of the pushes already sent that a socket remembers (catch-up overlap).
SENT_MEMORY = 1000


class NotificationConsumer(JsonSocketConsumer):
    async def connect(self) -> None:
        self.actor = Actor.of(self.scope["identity"])
        self.group = services.user_group(self.actor.user_id)
        self.sent: deque[str] = deque(maxlen=SENT_MEMORY)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        after = (query.get("after") or [None])[-1]
        if after:
            await self._catch_up(after)

    async def _catch_up(self, after: str) -> None:
        after_id = uuid_or_none(after)
        missed = (
            None
            if after_id is None
            else await database_sync_to_async(selectors.missed_since)(
                user_id=self.actor.user_id, after_id=after_id
            )
        )
        if missed is None:
            await self.send_json(
                {
                    "type": "error",
                    "code": "invalid_after",
                    "message": "`after` is not one of your notifications: nothing to catch up.",
                }
            )
            return
        for notification in missed:
            await self._send_notification(services.notification_payload(notification))

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_frame(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "ping":
            await self.send_json({"type": "pong"})
            return
        raise FrameError("unknown_type", 'The only client frame is {"type": "ping"}.')

    async def notify(self, event: dict[str, Any]) -> None:
        await self._send_notification(event["notification"])

    async def _send_notification(self, payload: dict[str, Any]) -> None:
        if payload["id"] in self.sent:
            return
        self.sent.append(payload["id"])
        await self.send_json({"type": "notification", "notification": payload})
