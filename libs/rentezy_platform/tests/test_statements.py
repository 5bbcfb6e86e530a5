"""rentezy_platform.statements against the real database: a model row and its
outbox event written by one statement, all or nothing."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.outbox.services import outbox_message
from rentezy_platform.statements import insert_select, statement_block

from tests.widgets.models import Widget

TYPE = "rentezy.test.widget_changed.v1"


def _event(widget: Widget) -> OutboxMessage:
    return outbox_message(
        type=TYPE,
        subject=str(widget.pk),
        data={"widget_id": widget.pk, "name": widget.name, "seq": 1},
    )


def _widget_and_event(widget: Widget, event: OutboxMessage, *, when: str) -> int:
    """The widget if `when` holds, and its event only if the widget was written."""
    widget_sql, widget_params = insert_select(widget, source=f"(SELECT WHERE {when}) AS guard")
    event_sql, event_params = insert_select(event, source="written")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH written AS ({widget_sql} RETURNING id) {event_sql}",
            [*widget_params, *event_params],
        )
        return cursor.rowcount


@pytest.mark.django_db(transaction=True)
def test_a_row_and_its_event_in_one_statement_with_what_save_would_write():
    widget = Widget(name="sprocket")
    event = _event(widget)

    with statement_block():
        assert _widget_and_event(widget, event, when="true") == 1

    assert Widget.objects.get().pk == widget.pk  # the Python-side default, as save() uses
    row = OutboxMessage.objects.get()
    # The auto id and the database default (created_at) come from the database.
    assert row.id is not None and row.created_at is not None
    assert (row.event_id, row.topic, row.key, row.type) == (
        uuid.UUID(str(event.event_id)),
        event.topic,
        str(widget.pk),
        TYPE,
    )
    assert row.payload == event.payload and row.headers == event.headers
    assert row.sent_at is None and row.attempts == 0 and row.last_error == ""


@pytest.mark.django_db(transaction=True)
def test_an_empty_source_writes_nothing():
    widget = Widget(name="sprocket")

    assert _widget_and_event(widget, _event(widget), when="false") == 0

    assert not Widget.objects.exists() and not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_refused_part_undoes_the_whole_statement():
    first = Widget(name="first")
    event = _event(first)
    assert _widget_and_event(first, event, when="true") == 1
    second = Widget(name="second")
    duplicate = _event(second)
    duplicate.event_id = event.event_id  # the outbox's unique event id refuses it

    with pytest.raises(IntegrityError):
        _widget_and_event(second, duplicate, when="true")

    assert list(Widget.objects.values_list("name", flat=True)) == ["first"]
    assert OutboxMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_a_refused_statement_leaves_the_callers_work():
    first = Widget(name="first")
    event = _event(first)
    with transaction.atomic():
        Widget.objects.create(name="callers")
        assert _widget_and_event(first, event, when="true") == 1
        second = Widget(name="second")
        duplicate = _event(second)
        duplicate.event_id = event.event_id
        with pytest.raises(IntegrityError), statement_block():
            _widget_and_event(second, duplicate, when="true")
        # The savepoint kept the transaction usable.
        Widget.objects.create(name="after")

    assert sorted(Widget.objects.values_list("name", flat=True)) == ["after", "callers", "first"]
