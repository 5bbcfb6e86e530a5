"""Who has a conversation open right now, in Redis, shared by chat_service
(which records it while a participant's socket is open) and
notification_service (which skips a `message.received` notification for a
recipient already reading the conversation).

One sorted set per conversation: a member per open socket
(`<user_id>|<connection id>`), scored by when it lapses. A socket refreshes its
member every PRESENCE_REFRESH_SECONDS and removes it when it closes; a socket
of a process that died lapses PRESENCE_TTL_SECONDS later, so a crash never
leaves someone "present" for good.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

PRESENCE_TTL_SECONDS = 60
PRESENCE_REFRESH_SECONDS = 20


def presence_key(conversation_id: Any) -> str:
    prefix = getattr(settings, "CHANNEL_LAYER_PREFIX", "")
    return f"{prefix}rentezy:presence:conversation:{conversation_id}"


def _member(user_id: Any, connection: str) -> str:
    return f"{user_id}|{connection}"


async def presence_enter(redis, *, conversation_id: Any, user_id: Any, connection: str) -> None:
    """Mark (or refresh) one open socket of `user_id` on the conversation."""
    key = presence_key(conversation_id)
    now = time.time()
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zadd(key, {_member(user_id, connection): now + PRESENCE_TTL_SECONDS})
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.expire(key, PRESENCE_TTL_SECONDS)
        await pipe.execute()


async def presence_leave(redis, *, conversation_id: Any, user_id: Any, connection: str) -> None:
    await redis.zrem(presence_key(conversation_id), _member(user_id, connection))


def present_user_ids(redis, *, conversation_id: Any) -> set[str]:
    """The users with the conversation open now (a synchronous client)."""
    members = redis.zrangebyscore(presence_key(conversation_id), time.time(), "+inf")
    return {(m.decode() if isinstance(m, bytes) else m).split("|", 1)[0] for m in members}
