"""Integration events chat_service publishes (topic `rentezy.chat`, key
conversation_id): messages sent.

Schema: contracts/events/rentezy.chat.message_sent.v1.schema.json. Enqueued by
the service function that stores the message, inside its transaction
(outbox_enqueue), so an event exists exactly when its message committed. It
carries a preview (the first 140 characters), never the whole body. The
handlers of other services' events live in `handlers.py`.
"""

from __future__ import annotations

from rentezy_platform.outbox.services import outbox_enqueue

from chat.models import Conversation, Message

MESSAGE_SENT = "rentezy.chat.message_sent.v1"


def enqueue_message_sent(message: Message, conversation: Conversation) -> None:
    outbox_enqueue(
        type=MESSAGE_SENT,
        subject=str(conversation.id),
        data={
            "message_id": message.id,
            "conversation_id": conversation.id,
            "property_id": conversation.property_id,
            "sender_id": message.sender_id,
            "recipient_ids": [conversation.other(message.sender_id)],
            "preview": message.preview,
            "sent_at": message.created_at,
        },
    )
