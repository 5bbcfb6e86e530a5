"""Writes of notification_service: the user directory (rentezy.user), the
notifications an event makes (catalog.py), read marks and preferences.

An event's notifications are created in the consumer's transaction, once per
(event, user): a redelivered event creates nothing. After the commit each is
pushed to its user's sockets (group `user.<id>`) and, if it goes by e-mail,
handed to the send_email task. A chat message does not notify a recipient who
has its conversation open right now (rentezy_platform.presence).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from rentezy_platform.errors import InvalidInput, NotFound
from rentezy_platform.parsing import parse_uuid, uuid_or_none
from rentezy_platform.presence import present_user_ids
from rentezy_platform.sockets import group_push

from notifications import catalog
from notifications.models import Contact, Feed, Notification, Preference

logger = logging.getLogger(__name__)

MESSAGE_SENT = "rentezy.chat.message_sent.v1"
PUSH = "notify"  # the consumer's handler: NotificationConsumer.notify


def user_group(user_id: Any) -> str:
    return f"user.{user_id}"


def contact_apply(*, data: Mapping[str, Any]) -> Contact:
    """Keep a user's e-mail, name and role from a rentezy.user event."""
    contact, _ = Contact.objects.update_or_create(
        pk=parse_uuid(data["user_id"]),
        defaults={
            "email": str(data["email"]),
            "full_name": str(data.get("full_name") or "")[:200],
            "role": str(data["role"]),
        },
    )
    return contact


def _next_seq(user_id: Any) -> int:
    """The next number of the user's feed, under the feed row's lock until
    the caller's transaction ends (so the user's notifications commit in order)."""
    table = Feed._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, last_seq) VALUES (%s, 1) "  # noqa: S608 - our table name
            f"ON CONFLICT (user_id) DO UPDATE SET last_seq = {table}.last_seq + 1 "
            "RETURNING last_seq",
            [user_id],
        )
        return cursor.fetchone()[0]


def email_wanted(user_id: Any, kind: str) -> bool:
    preference = Preference.objects.filter(pk=user_id).first()
    chosen = preference.email if preference is not None else {}
    return bool(chosen.get(kind, catalog.EMAIL_BY_DEFAULT.get(kind, False)))


def _absent(plans: list[catalog.Planned], data: Mapping[str, Any]) -> list[catalog.Planned]:
    """The recipients of a chat message who do not have its conversation open."""
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
        present = present_user_ids(client, conversation_id=data["conversation_id"])
    except redis.RedisError:  # presence unknown: notify (a duplicate beats a miss)
        logger.warning("presence unavailable; notifying every recipient", exc_info=True)
        return plans
    return [plan for plan in plans if plan.user_id not in present]


def notify_for_event(
    *, event_id: str, event_type: str, data: Mapping[str, Any]
) -> list[Notification]:
    """The notifications `event_type` makes (catalog.PLANS), once per user
    per event; pushed and mailed after commit. Returns those created now."""
    plan = catalog.PLANS.get(event_type)
    if plan is None:
        return []
    plans = plan(data)
    if event_type == MESSAGE_SENT:
        plans = _absent(plans, data)
    created: list[Notification] = []
    with transaction.atomic():
        for planned in plans:
            user_id = parse_uuid(planned.user_id)
            if Notification.objects.filter(source_event_id=event_id, user_id=user_id).exists():
                continue
            notification = Notification.objects.create(
                user_id=user_id,
                seq=_next_seq(user_id),
                type=planned.type,
                title=planned.title[:200],
                body=planned.body,
                data={k: (str(v) if v is not None else None) for k, v in planned.data.items()},
                source_event_id=event_id,
                email_wanted=email_wanted(user_id, planned.type),
            )
            created.append(notification)
        for notification in created:
            transaction.on_commit(lambda n=notification: _deliver(n))
    return created


def _deliver(notification: Notification) -> None:
    from notifications.tasks import send_email  # the task module imports this one

    group_push(
        user_group(notification.user_id),
        {"type": PUSH, "notification": notification_payload(notification)},
    )
    if notification.email_wanted:
        try:
            send_email.delay(str(notification.pk))
        except Exception:  # the broker is away: Beat's sweep queues it once it is back
            logger.warning(
                "could not queue the e-mail of notification %s; the pending-e-mail sweep will",
                notification.pk,
                exc_info=True,
            )


def notification_payload(notification: Notification) -> dict[str, Any]:
    """A notification as the API and the sockets show it."""
    from rest_framework.fields import DateTimeField

    field = DateTimeField()
    return {
        "id": str(notification.pk),
        "type": notification.type,
        "title": notification.title,
        "body": notification.body,
        "data": notification.data,
        "created_at": field.to_representation(notification.created_at),
        "read_at": field.to_representation(notification.read_at) if notification.read_at else None,
    }


def notification_read(*, user_id: Any, notification_id: Any) -> Notification:
    notification = Notification.objects.filter(
        pk=uuid_or_none(notification_id), user_id=user_id
    ).first()
    if notification is None:
        raise NotFound(message="No such notification.")
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        notification.refresh_from_db()
    return notification


def notifications_read_all(*, user_id: Any) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preferences_get(*, user_id: Any) -> dict[str, bool]:
    preference = Preference.objects.filter(pk=user_id).first()
    chosen = preference.email if preference is not None else {}
    return {
        kind: bool(chosen.get(kind, default)) for kind, default in catalog.EMAIL_BY_DEFAULT.items()
    }


def preferences_update(*, user_id: Any, email: Mapping[str, Any]) -> dict[str, bool]:
    unknown = sorted(set(email) - set(catalog.TYPES))
    wrong = sorted(k for k, v in email.items() if not isinstance(v, bool))
    if unknown or wrong:
        fields = {f"email.{k}": ["Not a notification type."] for k in unknown}
        fields.update({f"email.{k}": ["true or false."] for k in wrong if k not in unknown})
        raise InvalidInput(fields=fields)
    with transaction.atomic():
        preference, _ = Preference.objects.select_for_update().get_or_create(pk=user_id)
        preference.email = {**preference.email, **email}
        preference.save()
    return preferences_get(user_id=user_id)
