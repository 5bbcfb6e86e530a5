"""outbox_enqueue and pruning against the real database (no Kafka needed)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone
from rentezy_platform.events import CloudEvent, InvalidEvent, UnknownEventType, validate_event
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.outbox.services import (
    NOTIFY_CHANNEL,
    OutboxNotInTransaction,
    outbox_enqueue,
    outbox_prune,
)
from rentezy_platform.request_id import bind_request_id
from rentezy_platform.testing import outbox_events

from tests.widgets.models import Widget
from tests.widgets.services import widget_create

TYPE = "rentezy.test.widget_changed.v1"
WIDGET_ID = uuid.UUID("5a0b6a34-0f1e-4a57-9d55-9a4f0c1d2e3f")


@pytest.mark.django_db
def test_enqueue_writes_one_row_with_the_full_envelope():
    with transaction.atomic():
        message = outbox_enqueue(
            type=TYPE,
            subject=str(WIDGET_ID),
            data={"widget_id": WIDGET_ID, "name": "sprocket", "seq": 3},
            request_id="req-42",
        )
    row = OutboxMessage.objects.get()
    assert row.pk == message.pk
    assert row.topic == "rentezy.test"
    assert row.key == str(WIDGET_ID)
    assert row.type == TYPE
    assert row.sent_at is None
    assert row.attempts == 0
    assert row.last_error == ""
    event = CloudEvent.from_dict(row.payload)
    assert str(row.event_id) == event.id
    assert event.source == "/platform_tests"
    assert event.type == TYPE
    assert event.subject == str(WIDGET_ID)
    assert event.specversion == "1.0"
    assert event.datacontenttype == "application/json"
    # The UUID was written as the string that goes over the wire.
    assert event.data == {"widget_id": str(WIDGET_ID), "name": "sprocket", "seq": 3}
    assert event.requestid == "req-42"
    assert event.traceparent is None
    assert row.headers == {
        "content-type": "application/cloudevents+json; charset=UTF-8",
        "ce_specversion": "1.0",
        "ce_id": event.id,
        "ce_type": TYPE,
        "ce_source": "/platform_tests",
        "ce_requestid": "req-42",
    }
    validate_event(event)


@pytest.mark.django_db
def test_enqueue_takes_the_current_request_id_by_default():
    with bind_request_id("req-from-middleware"), transaction.atomic():
        outbox_enqueue(
            type=TYPE, subject="s1", data={"widget_id": str(WIDGET_ID), "name": "a", "seq": 0}
        )
    assert [e.requestid for e in outbox_events()] == ["req-from-middleware"]


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_atomic_raises_and_writes_nothing():
    # A real autocommit connection: no test-case transaction around the test.
    assert not connection.in_atomic_block
    with pytest.raises(OutboxNotInTransaction) as excinfo:
        outbox_enqueue(
            type=TYPE, subject="s1", data={"widget_id": str(WIDGET_ID), "name": "a", "seq": 0}
        )
    assert str(excinfo.value).startswith(
        "outbox_enqueue() must be called inside transaction.atomic()"
    )
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_invalid_data_raises_before_writing():
    with transaction.atomic():
        with pytest.raises(InvalidEvent) as excinfo:
            outbox_enqueue(type=TYPE, subject="s1", data={"widget_id": "not-a-uuid", "seq": 1})
        # Checked inside the same transaction: nothing was inserted at all.
        assert OutboxMessage.objects.count() == 0
    assert excinfo.value.errors == [
        "$.data.widget_id: 'not-a-uuid' does not match "
        "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'",
        "$.data.widget_id: 'not-a-uuid' is not a 'uuid'",
        "$.data: 'name' is a required property",
    ]
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_empty_subject_raises_before_writing():
    with transaction.atomic():
        with pytest.raises(InvalidEvent) as excinfo:
            outbox_enqueue(
                type=TYPE, subject="", data={"widget_id": str(WIDGET_ID), "name": "a", "seq": 0}
            )
        assert OutboxMessage.objects.count() == 0
    assert str(excinfo.value) == "subject: required non-empty string, got ''"


@pytest.mark.django_db
def test_unknown_type_raises_before_writing():
    with transaction.atomic():
        with pytest.raises(UnknownEventType):
            outbox_enqueue(type="rentezy.test.widget_exploded.v1", subject="s1", data={})
        assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_state_and_event_commit_or_roll_back_together():
    widget = widget_create(name="kept", event_type=TYPE)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            widget_create(name="dropped", event_type=TYPE)
            raise RuntimeError("the caller fails after enqueueing")
    assert list(Widget.objects.values_list("name", flat=True)) == ["kept"]
    assert [e.data["widget_id"] for e in outbox_events()] == [str(widget.id)]


@pytest.mark.django_db(transaction=True)
def test_notify_is_delivered_on_commit_only():
    params = dict(connection.get_connection_params())
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    with psycopg.connect(**params, autocommit=True) as listener:
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")

        with pytest.raises(RuntimeError), transaction.atomic():
            widget_create(name="rolled back", event_type=TYPE)
            raise RuntimeError("roll back")
        assert [n.channel for n in listener.notifies(timeout=0.5)] == []

        with transaction.atomic():
            # Two events, one transaction: Postgres folds the NOTIFYs into one.
            widget_create(name="a", event_type=TYPE)
            widget_create(name="b", event_type=TYPE)
        assert [n.channel for n in listener.notifies(timeout=2.0, stop_after=1)] == [NOTIFY_CHANNEL]
        assert [n.channel for n in listener.notifies(timeout=0.3)] == []


@pytest.mark.django_db
def test_prune_deletes_only_sent_rows_older_than_retention():
    with transaction.atomic():
        rows = [
            outbox_enqueue(
                type=TYPE,
                subject=f"s{i}",
                data={"widget_id": str(WIDGET_ID), "name": "a", "seq": i},
            )
            for i in range(4)
        ]
    now = timezone.now()
    OutboxMessage.objects.filter(pk=rows[0].pk).update(sent_at=now - timedelta(days=8))
    OutboxMessage.objects.filter(pk=rows[1].pk).update(sent_at=now - timedelta(days=6))
    OutboxMessage.objects.filter(pk=rows[2].pk).update(sent_at=now - timedelta(days=30))
    # rows[3] is unsent: never pruned, however old.
    OutboxMessage.objects.filter(pk=rows[3].pk).update(created_at=now - timedelta(days=30))

    assert outbox_prune(older_than=timedelta(days=7), chunk=1) == 2
    assert sorted(OutboxMessage.objects.values_list("pk", flat=True)) == [rows[1].pk, rows[3].pk]


@pytest.mark.django_db
def test_event_larger_than_the_limit_raises_before_writing(settings):
    settings.OUTBOX_MAX_EVENT_BYTES = 1000
    with transaction.atomic():
        with pytest.raises(InvalidEvent) as excinfo:
            outbox_enqueue(
                type=TYPE,
                subject="s1",
                data={"widget_id": str(WIDGET_ID), "name": "a", "seq": 0, "blob": "x" * 1000},
            )
        assert OutboxMessage.objects.count() == 0
    assert str(excinfo.value).startswith("event of ")
    assert str(excinfo.value).endswith(" bytes exceeds OUTBOX_MAX_EVENT_BYTES (1000)")
