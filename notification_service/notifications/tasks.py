"""Celery tasks of notification_service (worker: config/celery.py).

`notifications.send_email(notification_id)` mails one notification, once:
the notification's row is locked while sending and marked `emailed_at` in the
same transaction, so a duplicate task waits, then finds it sent. A failure
(SMTP down) rolls back and retries with backoff; a worker killed after the
SMTP server accepted but before the commit sends it again on redelivery (at
least once: the one duplicate e-mail a crash can cost).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.models import Contact, Notification

logger = logging.getLogger(__name__)


@shared_task(
    name="notifications.send_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_email(notification_id: str) -> str:
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(pk=notification_id, email_wanted=True, emailed_at__isnull=True)
            .first()
        )
        if notification is None:
            return "skipped"
        contact = Contact.objects.filter(pk=notification.user_id).first()
        if contact is None or not contact.email:
            logger.warning("no e-mail address for user %s", notification.user_id)
            return "no_address"
        context = {
            "name": (contact.full_name or "").split(" ")[0] or "there",
            "notification": notification,
            "web_app_url": settings.WEB_APP_URL,
        }
        message = EmailMultiAlternatives(
            subject=f"RentEzy: {notification.title}",
            body=render_to_string("notifications/email.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[contact.email],
        )
        message.attach_alternative(
            render_to_string("notifications/email.html", context), "text/html"
        )
        message.send()
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return "sent"


# A notification whose e-mail could not be queued (the broker was away at
# that moment) or whose task was lost is still `email_wanted` and not
# `emailed_at`: Beat's sweep queues it again. Only ones older than the grace
# (their first task normally ran long before) and younger than the horizon
# (an e-mail days late is worse than none).
PENDING_EMAIL_HORIZON_HOURS = 48


@shared_task(name="notifications.send_pending_emails")
def send_pending_emails() -> int:
    now = timezone.now()
    pending = (
        Notification.objects.filter(
            email_wanted=True,
            emailed_at__isnull=True,
            created_at__lt=now - timedelta(seconds=settings.PENDING_EMAIL_GRACE_SECONDS),
            created_at__gte=now - timedelta(hours=PENDING_EMAIL_HORIZON_HOURS),
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    queued = 0
    for notification_id in pending:
        send_email.delay(str(notification_id))  # idempotent: a duplicate finds it sent
        queued += 1
    if queued:
        logger.info("queued %s pending e-mails again", queued)
    return queued
