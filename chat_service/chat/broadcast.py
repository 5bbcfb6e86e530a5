"""What chat_service pushes to open sockets, over the Redis channel layer:
one group per conversation (`conversation.<id>`) that every open socket of
its participants joins (chat.consumers.ChatConsumer).

Pushed after the change committed (transaction.on_commit), so a client never
sees a message that is not in the history. The channel layer is not durable
and a push that fails (Redis down) is logged, not raised: the message is
stored, and a client catches up from the history when it reconnects.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rentezy_platform.sockets import group_push

MESSAGE = "chat.message"
TYPING = "chat.typing"
READ = "chat.read"


def group_name(conversation_id: Any) -> str:
    return f"conversation.{conversation_id}"


def push_on_commit(conversation_id: Any, event: dict[str, Any]) -> None:
    """Send `event` (its "type" names the consumer's handler) to the
    conversation's sockets once the transaction commits."""
    transaction.on_commit(lambda: group_push(group_name(conversation_id), event))
