"""chat_service's data: the users it knows (from rentezy.user), conversations
between two of them (optionally about a property), their participants' read
state, and messages.

A conversation is unique per (pair, property): the pair is stored ordered
(`user_low` < `user_high`) under a unique constraint whose NULL property counts
as one value, so opening it again, even concurrently, finds the same row.
A message is unique per (conversation, sender, client_id): a client resending
after a dropped connection gets the stored one back.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

BODY_MAX_CHARS = 4000
CLIENT_ID_MAX_CHARS = 64
PREVIEW_CHARS = 140


class ChatUser(models.Model):
    """A registered user, from rentezy.user events: who can be talked to, and
    the display name shown beside their messages."""

    id = models.UUIDField(primary_key=True)  # the user_id
    role = models.CharField(max_length=16)
    full_name = models.CharField(max_length=200, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.full_name or str(self.id)


class Conversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_low = models.UUIDField()
    user_high = models.UUIDField()
    property_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user_low", "user_high", "property_id"],
                name="conversation_unique_pair_property",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(user_low__lt=F("user_high")), name="conversation_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_low} ↔ {self.user_high}"

    @property
    def participant_ids(self) -> list[uuid.UUID]:
        return [self.user_low, self.user_high]

    def other(self, user_id: uuid.UUID) -> uuid.UUID:
        return self.user_high if user_id == self.user_low else self.user_low


class Participant(models.Model):
    """One of the two users of a conversation and how far they have read."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user_id = models.UUIDField()
    last_read_at = models.DateTimeField(null=True, blank=True)
    last_read_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user_id"], name="participant_unique_per_conversation"
            )
        ]
        indexes = [models.Index(fields=["user_id"], name="participant_user")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender_id = models.UUIDField()
    body = models.TextField()
    client_id = models.CharField(max_length=CLIENT_ID_MAX_CHARS, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["conversation", "-created_at", "-id"], name="message_history"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "sender_id", "client_id"],
                condition=~Q(client_id=""),
                name="message_unique_client_id",
            ),
            models.CheckConstraint(condition=Q(body__regex=r"\S"), name="message_body_not_blank"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), BODY_MAX_CHARS),
                name="message_body_at_most_4000",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender_id}: {self.body[:40]}"

    @property
    def preview(self) -> str:
        return self.body[:PREVIEW_CHARS]
