from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from rentezy_platform.events import CloudEvent, InvalidEvent, topic_for, validate_event
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.request_id import current_request_id

NOTIFY_CHANNEL = "rentezy_outbox"  # also named in migrations/0002_notify_trigger.py
# Kafka's default message size limit is 1 MiB; refuse at write time what the
# relay could never publish (it would otherwise fail on every attempt).
DEFAULT_MAX_EVENT_BYTES = 900_000
CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"


class OutboxNotInTransaction(RuntimeError):
    """`outbox_enqueue` was called outside `transaction.atomic()`."""


def event_source() -> str:
    service = getattr(settings, "SERVICE_NAME", None)
    if not service:
        raise ImproperlyConfigured("settings.SERVICE_NAME is required to publish events")
    return f"/{service}"


def kafka_headers_for(event: CloudEvent) -> dict[str, str]:
    """Kafka headers of a published event.

    The value is a structured-mode CloudEvent; the `ce_*` headers duplicate a
    few attributes so tools and consumers can route or filter without parsing.
    """
    headers = {
        "content-type": CLOUDEVENTS_CONTENT_TYPE,
        "ce_specversion": event.specversion,
        "ce_id": event.id,
        "ce_type": event.type,
        "ce_source": event.source,
    }
    if event.requestid:
        headers["ce_requestid"] = event.requestid
    if event.traceparent:
        headers["traceparent"] = event.traceparent
    return headers


def outbox_message(
    *,
    type: str,
    subject: str,
    data: Mapping[str, Any],
    request_id: str | None = None,
    traceparent: str | None = None,
) -> OutboxMessage:
    """The outbox row of an event, built and validated but NOT saved: for a
    write that inserts it in the same statement as its change (see
    booking_service's booking_create); everything else calls
    `outbox_enqueue`, which saves it in the caller's transaction.

    `data` may hold UUIDs, dates and datetimes; they are written the way the
    event is sent (strings), and what is sent is what is validated.
    `request_id` defaults to the id of the request (or consumed event) being
    handled, so an event can be traced back to the write that caused it.

    Raises `UnknownEventType` or `InvalidEvent`.
    """
    if not isinstance(subject, str) or not subject:
        # Checked here as well as by the envelope schema: it is the Kafka key.
        raise InvalidEvent(f"subject: required non-empty string, got {subject!r}")

    wire_data = json.loads(json.dumps(dict(data), cls=DjangoJSONEncoder))
    event = CloudEvent.new(
        type=type,
        subject=subject,
        data=wire_data,
        source=event_source(),
        requestid=request_id if request_id is not None else current_request_id(),
        traceparent=traceparent,
    )
    topic = topic_for(type)  # UnknownEventType for a type without a contract
    validate_event(event)
    size = len(event.to_json().encode())
    max_bytes = int(getattr(settings, "OUTBOX_MAX_EVENT_BYTES", DEFAULT_MAX_EVENT_BYTES))
    if size > max_bytes:
        raise InvalidEvent(f"event of {size} bytes exceeds OUTBOX_MAX_EVENT_BYTES ({max_bytes})")
    return OutboxMessage(
        event_id=event.id,
        topic=topic,
        key=subject,
        type=type,
        payload=event.to_dict(),
        headers=kafka_headers_for(event),
    )


def outbox_enqueue(
    *,
    type: str,
    subject: str,
    data: Mapping[str, Any],
    request_id: str | None = None,
    traceparent: str | None = None,
) -> OutboxMessage:
    """Record an integration event to be published once the caller commits.

    Must run inside the caller's `transaction.atomic()` that also writes the
    state change: the event then exists if and only if the change committed.
    The arguments are `outbox_message`'s.

    Raises `OutboxNotInTransaction`, `UnknownEventType` or `InvalidEvent`
    before anything is written.
    """
    if not transaction.get_connection().in_atomic_block:
        raise OutboxNotInTransaction(
            "outbox_enqueue() must be called inside transaction.atomic() together with "
            "the state change it announces; outside a transaction the event could be "
            "published for a change that never committed (or lost for one that did)"
        )
    message = outbox_message(
        type=type, subject=subject, data=data, request_id=request_id, traceparent=traceparent
    )
    message.save(force_insert=True)
    # The insert fires NOTIFY (trigger of migration 0002): Postgres delivers
    # it only when this transaction commits (never if it rolls back) and folds
    # duplicates within one transaction, so the relay wakes exactly when there
    # is something committed to publish.
    return message


def outbox_prune(*, older_than: timedelta, using: str = "default", chunk: int = 5000) -> int:
    """Delete rows sent before now - `older_than`, in chunks to keep locks short."""
    cutoff = timezone.now() - older_than
    total = 0
    while True:
        ids = list(
            OutboxMessage.objects.using(using)
            .filter(sent_at__lt=cutoff)
            .order_by("id")
            .values_list("id", flat=True)[:chunk]
        )
        if not ids:
            return total
        deleted, _ = OutboxMessage.objects.using(using).filter(id__in=ids).delete()
        total += deleted
