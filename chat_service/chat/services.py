"""Writes of chat_service: the user directory (from rentezy.user), opening a
conversation, sending a message, reading up to a message.

The same functions serve the REST API and the sockets (chat.consumers), so a
message is validated, stored, published (message_sent through the outbox) and
pushed (after commit) the same way whichever way it came. The sender is always
the caller; a conversation is only ever touched by its two participants (any
one else gets 404, as if it did not exist).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from rentezy_platform.errors import InvalidInput, NotFound
from rentezy_platform.parsing import parse_uuid, uuid_or_none
from rentezy_platform.trust import Actor
from rest_framework import serializers

from chat import broadcast
from chat.events import enqueue_message_sent
from chat.models import (
    BODY_MAX_CHARS,
    CLIENT_ID_MAX_CHARS,
    ChatUser,
    Conversation,
    Message,
    Participant,
)

# Times in pushed frames exactly as the REST API renders them.
_DATETIME = serializers.DateTimeField()


def user_apply(*, data: Mapping[str, Any]) -> ChatUser:
    """Keep a user's role and display name from a rentezy.user event (one
    partition per user keeps them in order; a redelivery rewrites the same)."""
    user, _ = ChatUser.objects.update_or_create(
        pk=parse_uuid(data["user_id"]),
        defaults={
            "role": str(data["role"]),
            "full_name": str(data.get("full_name") or "")[:200],
        },
    )
    return user


def conversation_for(*, actor: Actor, conversation_id: Any) -> Conversation:
    """The conversation if the actor is one of its two participants, else 404."""
    me = actor.user_id
    conversation = (
        Conversation.objects.filter(pk=uuid_or_none(conversation_id))
        .filter(Q(user_low=me) | Q(user_high=me))
        .first()
    )
    if conversation is None:
        raise NotFound(message="No such conversation.")
    return conversation


def conversation_open(
    *, actor: Actor, participant_id: Any, property_id: Any = None
) -> tuple[Conversation, bool]:
    """The conversation between the actor and a registered user, optionally
    about a property: created once (True), then found again (False), also when
    two requests race (the unique constraint decides)."""
    other = uuid_or_none(participant_id)
    if other is None or not ChatUser.objects.filter(pk=other).exists():
        raise InvalidInput(fields={"participant_id": ["No registered user has this id."]})
    if other == actor.user_id:
        raise InvalidInput(fields={"participant_id": ["A conversation needs someone else."]})
    low, high = sorted((actor.user_id, other))
    key = {"user_low": low, "user_high": high, "property_id": property_id}
    existing = Conversation.objects.filter(**key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(**key)
            Participant.objects.bulk_create(
                [Participant(conversation=conversation, user_id=user) for user in (low, high)]
            )
    except IntegrityError:  # the same conversation committed meanwhile
        return Conversation.objects.get(**key), False
    return conversation, True


def _clean_body(body: Any) -> str:
    if not isinstance(body, str):
        raise InvalidInput(fields={"body": ["A message body is a string."]})
    text = body.strip()
    if not text:
        raise InvalidInput(fields={"body": ["A message cannot be empty."]})
    if len(text) > BODY_MAX_CHARS:
        raise InvalidInput(fields={"body": [f"At most {BODY_MAX_CHARS} characters."]})
    return text


def _clean_client_id(client_id: Any) -> str:
    if client_id is None or client_id == "":
        return ""
    if (
        not isinstance(client_id, str)
        or len(client_id) > CLIENT_ID_MAX_CHARS
        or not client_id.isprintable()
    ):
        raise InvalidInput(
            fields={"client_id": [f"At most {CLIENT_ID_MAX_CHARS} printable characters."]}
        )
    return client_id


def message_send(
    *, actor: Actor, conversation_id: Any, body: Any, client_id: Any = None
) -> tuple[Message, bool]:
    """Store a message from the actor (never anyone else), publish
    message_sent and push it to the conversation's sockets after commit.
    Returns (message, created): the same `client_id` again returns the stored
    message (False) and stores, publishes and pushes nothing."""
    conversation = conversation_for(actor=actor, conversation_id=conversation_id)
    text, client = _clean_body(body), _clean_client_id(client_id)
    sender = actor.user_id
    if client:
        existing = Message.objects.filter(
            conversation=conversation, sender_id=sender, client_id=client
        ).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation, sender_id=sender, body=text, client_id=client
            )
            Conversation.objects.filter(pk=conversation.pk).filter(
                Q(last_message_at__isnull=True) | Q(last_message_at__lte=message.created_at)
            ).update(last_message=message, last_message_at=message.created_at)
            # The sender has read everything up to their own message.
            _mark_read(conversation=conversation, user_id=sender, message=message)
            enqueue_message_sent(message, conversation)
            broadcast.push_on_commit(
                conversation.pk, {"type": broadcast.MESSAGE, "message": message_payload(message)}
            )
    except IntegrityError:  # the same client_id committed meanwhile
        return Message.objects.get(
            conversation=conversation, sender_id=sender, client_id=client
        ), False
    return message, True


def _mark_read(*, conversation: Conversation, user_id: Any, message: Message) -> bool:
    """Move the user's read mark forward to `message` (never back)."""
    return bool(
        Participant.objects.filter(conversation=conversation, user_id=user_id)
        .filter(Q(last_read_at__isnull=True) | Q(last_read_at__lt=message.created_at))
        .update(last_read_at=message.created_at, last_read_message=message)
    )


def read_up_to(*, actor: Actor, conversation_id: Any, message_id: Any) -> Message:
    """The actor has read the conversation up to `message_id` (a message of
    this conversation): a read receipt goes to the sockets when the mark moves."""
    conversation = conversation_for(actor=actor, conversation_id=conversation_id)
    message = Message.objects.filter(pk=uuid_or_none(message_id), conversation=conversation).first()
    if message is None:
        raise InvalidInput(fields={"up_to": ["No such message in this conversation."]})
    with transaction.atomic():
        if _mark_read(conversation=conversation, user_id=actor.user_id, message=message):
            broadcast.push_on_commit(
                conversation.pk,
                {"type": broadcast.READ, "user_id": str(actor.user_id), "up_to": str(message.pk)},
            )
    return message


def message_payload(message: Message) -> dict[str, Any]:
    """A message as the API and the sockets show it."""
    return {
        "id": str(message.pk),
        "conversation_id": str(message.conversation_id),
        "sender_id": str(message.sender_id),
        "body": message.body,
        "client_id": message.client_id or None,
        "created_at": _DATETIME.to_representation(message.created_at),
    }
