"""Reads of chat_service: the caller's conversations (with their last
message and unread count) and a conversation's history, newest first. Only a
participant ever reads a conversation (services.conversation_for)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from rentezy_platform.trust import Actor

from chat.models import ChatUser, Conversation, Message
from chat.services import conversation_for

_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def conversation_list_for(*, actor: Actor) -> QuerySet[Conversation]:
    """The actor's conversations, latest activity first, each with
    `unread_count`: the other participant's messages after the actor's read mark."""
    me = actor.user_id
    unread = (
        Message.objects.filter(conversation=OuterRef("pk"), created_at__gt=OuterRef("read_mark"))
        .exclude(sender_id=me)
        .order_by()
        .values("conversation")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        Conversation.objects.annotate(
            mine=FilteredRelation("participants", condition=Q(participants__user_id=me))
        )
        .filter(mine__isnull=False)
        .annotate(read_mark=Coalesce(F("mine__last_read_at"), Value(_NEVER)))
        .annotate(unread_count=Coalesce(Subquery(unread), 0))
        .select_related("last_message")
        .order_by(F("last_message_at").desc(nulls_last=True), "-created_at", "-id")
    )


def conversation_detail_for(*, actor: Actor, conversation_id: Any) -> Conversation:
    conversation_for(actor=actor, conversation_id=conversation_id)  # 404 for anyone else
    return conversation_list_for(actor=actor).get(pk=conversation_id)


def message_list(*, actor: Actor, conversation_id: Any) -> QuerySet[Message]:
    conversation = conversation_for(actor=actor, conversation_id=conversation_id)
    return Message.objects.filter(conversation=conversation).order_by("-created_at", "-id")


def display_names(user_ids) -> dict[Any, str]:
    return dict(ChatUser.objects.filter(pk__in=set(user_ids)).values_list("pk", "full_name"))
