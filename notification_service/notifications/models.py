"""notification_service's data: the user directory it mails (from
rentezy.user), each user's notification feed and e-mail preferences.

Feed order: every notification of a user gets the next number of that user's
feed (`Feed.last_seq`, incremented under the feed row's lock in the
notification's own transaction), so one user's notifications commit in
`seq` order whatever process creates them. A socket that reconnects "after"
notification N receives exactly those with a higher `seq`.

A notification is unique per (source event, user): an event delivered twice
notifies once.
"""

from __future__ import annotations

import uuid

from django.db import models


class Contact(models.Model):
    """A registered user: where their e-mail goes and how to greet them."""

    id = models.UUIDField(primary_key=True)  # the user_id
    email = models.EmailField()
    full_name = models.CharField(max_length=200, blank=True, default="")
    role = models.CharField(max_length=16)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.email


class Feed(models.Model):
    user_id = models.UUIDField(primary_key=True)
    last_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.last_seq}"


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField()
    seq = models.BigIntegerField()
    type = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField()
    data = models.JSONField(default=dict)
    source_event_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # E-mail: wanted when created (the type mails and the user's preference
    # said yes), then sent once by the notifications.send_email task.
    email_wanted = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-seq"]
        constraints = [
            models.UniqueConstraint(fields=["user_id", "seq"], name="notification_feed_seq"),
            models.UniqueConstraint(
                fields=["source_event_id", "user_id"], name="notification_once_per_event_user"
            ),
        ]
        indexes = [
            # The pending-e-mail sweep (tasks.send_pending_emails): small, as
            # nearly every wanted e-mail is sent within seconds.
            models.Index(
                fields=["created_at"],
                condition=models.Q(email_wanted=True, emailed_at__isnull=True),
                name="notification_email_pending",
            ),
            models.Index(
                fields=["user_id", "-seq"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} → {self.user_id}"


class Preference(models.Model):
    """Which notification types also go by e-mail, per user: `email` maps a
    type to true/false; a type not named follows catalog.EMAIL_BY_DEFAULT."""

    user_id = models.UUIDField(primary_key=True)
    email = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return str(self.user_id)
