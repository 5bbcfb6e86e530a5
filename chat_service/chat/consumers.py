"""The chat socket, `/ws/chat/<conversation_id>` behind the gateway's
WebSocket proxy (the handshake's identity verified by
rentezy_platform.sockets.GatewayTrustWebSocketMiddleware).

Only a participant gets in (anyone else's handshake is refused). Then frames,
JSON text:

- `{"type": "message", "body": "...", "client_id": "..."}`: stored by
  services.message_send (the sender is the socket's user, whatever the frame
  says) and pushed to every socket of the conversation as
  `{"type": "message", "message": {...}}`; a resend with the same `client_id`
  stores nothing and only this socket gets the stored message back;
- `{"type": "typing"}`: relayed to the other participant as
  `{"type": "typing", "user_id": ...}`;
- `{"type": "read", "up_to": message_id}`: the read mark moves
  (services.read_up_to) and the other participant gets
  `{"type": "read", "user_id": ..., "up_to": ...}`.

Anything else gets `{"type": "error", "code", "message"}` and the socket stays
open. Messages and typing frames are rate limited per socket (a token bucket:
CHAT_SOCKET_RATE per second, bursts of CHAT_SOCKET_BURST); over it, an error
frame `rate_limited`. While open, the socket keeps its user present in the
conversation (rentezy_platform.presence) so notifications skip them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import redis.asyncio as aioredis
from channels.db import database_sync_to_async
from django.conf import settings
from rentezy_platform.errors import ApplicationError, InvalidInput, flatten_fields
from rentezy_platform.presence import (
    PRESENCE_REFRESH_SECONDS,
    presence_enter,
    presence_leave,
)
from rentezy_platform.redisconf import retrying
from rentezy_platform.sockets import FrameError, JsonSocketConsumer
from rentezy_platform.throttle import TokenBucket
from rentezy_platform.trust import Actor

from chat import broadcast, services

logger = logging.getLogger(__name__)

_redis: aioredis.Redis | None = None


def _presence_redis() -> aioredis.Redis:
    global _redis
    if _redis is None:
        _redis = aioredis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, **retrying(asyncio=True)
        )
    return _redis


def _frame_error(exc: ApplicationError) -> FrameError:
    detail = exc.message
    if isinstance(exc, InvalidInput) and exc.fields:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in flatten_fields(exc.fields).items())
    return FrameError(exc.code, detail)


class ChatConsumer(JsonSocketConsumer):
    async def connect(self) -> None:
        self.actor = Actor.of(self.scope["identity"])
        self.conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        self.group = None
        self.presence_task = None
        try:
            conversation = await database_sync_to_async(services.conversation_for)(
                actor=self.actor, conversation_id=self.conversation_id
            )
        except ApplicationError:
            await self.close()  # not a participant (or no such conversation): refused
            return
        self.conversation_id = str(conversation.pk)
        self.group = broadcast.group_name(self.conversation_id)
        self.bucket = TokenBucket(rate=settings.CHAT_SOCKET_RATE, burst=settings.CHAT_SOCKET_BURST)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.presence_task = asyncio.create_task(self._keep_present())

    async def disconnect(self, code: int) -> None:
        if self.group is None:
            return
        if self.presence_task is not None:
            self.presence_task.cancel()
        await self.channel_layer.group_discard(self.group, self.channel_name)
        with contextlib.suppress(Exception):
            await presence_leave(
                _presence_redis(),
                conversation_id=self.conversation_id,
                user_id=self.actor.user_id,
                connection=self.channel_name,
            )

    async def _keep_present(self) -> None:
        while True:
            try:
                await presence_enter(
                    _presence_redis(),
                    conversation_id=self.conversation_id,
                    user_id=self.actor.user_id,
                    connection=self.channel_name,
                )
            except Exception:  # Redis away: presence is a hint, the chat goes on
                logger.warning("presence refresh failed", exc_info=True)
            await asyncio.sleep(PRESENCE_REFRESH_SECONDS)

    # --- frames from the client ------------------------------------------------------

    async def receive_frame(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "message":
            await self._limited()
            await self._message(frame)
        elif kind == "typing":
            await self._limited()
            await self.channel_layer.group_send(
                self.group, {"type": broadcast.TYPING, "user_id": str(self.actor.user_id)}
            )
        elif kind == "read":
            await self._read(frame)
        else:
            raise FrameError("unknown_type", 'Frame types are "message", "typing" and "read".')

    async def _limited(self) -> None:
        if not self.bucket.take():
            raise FrameError("rate_limited", "Too many frames: slow down.")

    async def _message(self, frame: dict[str, Any]) -> None:
        try:
            message, created = await database_sync_to_async(services.message_send)(
                actor=self.actor,
                conversation_id=self.conversation_id,
                body=frame.get("body"),
                client_id=frame.get("client_id"),
            )
        except ApplicationError as exc:
            raise _frame_error(exc) from None
        if not created:  # a resend: the others have it already
            await self.send_json({"type": "message", "message": services.message_payload(message)})

    async def _read(self, frame: dict[str, Any]) -> None:
        try:
            await database_sync_to_async(services.read_up_to)(
                actor=self.actor, conversation_id=self.conversation_id, message_id=frame.get("up_to")
            )
        except ApplicationError as exc:
            raise _frame_error(exc) from None

    # --- events from the group ------------------------------------------------------

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "message", "message": event["message"]})

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event["user_id"] != str(self.actor.user_id):
            await self.send_json({"type": "typing", "user_id": event["user_id"]})

    async def chat_read(self, event: dict[str, Any]) -> None:
        if event["user_id"] != str(self.actor.user_id):
            await self.send_json(
                {"type": "read", "user_id": event["user_id"], "up_to": event["up_to"]}
            )
