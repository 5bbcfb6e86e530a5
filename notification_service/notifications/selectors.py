"""Reads of notification_service: a user's feed (newest first), what a
reconnecting socket missed, the unread count."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from notifications.models import Notification

CATCH_UP_LIMIT = 500


def notification_list(*, user_id: Any, unread: bool | None = None) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user_id=user_id)
    if unread is True:
        notifications = notifications.filter(read_at__isnull=True)
    elif unread is False:
        notifications = notifications.filter(read_at__isnull=False)
    return notifications.order_by("-seq")


def missed_since(*, user_id: Any, after_id: Any) -> list[Notification] | None:
    """The user's notifications after `after_id` (one of theirs), oldest
    first, at most CATCH_UP_LIMIT; None when `after_id` is not theirs."""
    seen = Notification.objects.filter(pk=after_id, user_id=user_id).values_list("seq", flat=True)
    if not seen:
        return None
    return list(
        Notification.objects.filter(user_id=user_id, seq__gt=seen[0]).order_by("seq")[
            :CATCH_UP_LIMIT
        ]
    )


def unread_count(*, user_id: Any) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()
