"""POST /api/bookings in as few statements as it takes (make bench: every
round trip costs throughput, and one while the hot slot row is locked costs
every booker of the slot), and `already_booked` still rolls back cleanly with
and without an Idempotency-Key."""

from __future__ import annotations

import re

import pytest
from bookings.events import VIEWING_BOOKED
from bookings.models import ViewingBooking, ViewingSlot
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rentezy_platform.outbox.models import OutboxMessage

from tests.conftest import listed_property, make_slot

pytestmark = pytest.mark.django_db


def statement(sql: str) -> str:
    """The kind of a captured statement: `SELECT viewingslot`, `SAVEPOINT`..."""
    words = sql.replace('"', "").split()
    verb = words[0]
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return verb
    if verb == "WITH":
        # One data-modifying statement: what it writes, in order.
        writes = re.findall(r"\b(UPDATE|INSERT INTO) ([\w.]+)", sql.replace('"', ""))
        return "WITH " + ", ".join(f"{v.split()[0]} {t}" for v, t in writes)
    table = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE"}[verb]
    return f"{verb} {words[words.index(table) + 1].split('.')[0]}"


@pytest.mark.django_db(transaction=True)
def test_a_booking_is_one_select_and_one_statement_of_three_writes(gateway, landlord, tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=5)

    with CaptureQueriesContext(connection) as captured:
        response = gateway.post("/api/bookings", {"slot_id": str(slot.pk)}, as_=tenant)

    assert response.status_code == 201, response.content
    # In autocommit, as the service runs: no transaction block, no savepoint.
    assert [statement(q["sql"]) for q in captured.captured_queries] == [
        "SELECT bookings_viewingslot",
        "WITH UPDATE bookings_viewingslot, INSERT bookings_viewingbooking, "
        "INSERT outbox_outboxmessage",
    ]
    booking = ViewingBooking.objects.get(slot=slot)
    assert str(booking.pk) == response.json()["id"]
    assert ViewingSlot.objects.get(pk=slot.pk).available_slots == 4
    event = OutboxMessage.objects.get(type=VIEWING_BOOKED)
    assert event.key == str(booking.pk)
    assert event.payload["data"]["booking_id"] == str(booking.pk)


def test_inside_a_callers_transaction_the_statement_is_a_savepoint(gateway, landlord, tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=5)

    with CaptureQueriesContext(connection) as captured:
        response = gateway.post(
            "/api/bookings",
            {"slot_id": str(slot.pk)},
            as_=tenant,
            headers={"Idempotency-Key": "k1"},
        )

    assert response.status_code == 201, response.content
    kinds = [statement(q["sql"]) for q in captured.captured_queries]
    take = kinds.index(
        "WITH UPDATE bookings_viewingslot, INSERT bookings_viewingbooking, "
        "INSERT outbox_outboxmessage"
    )
    assert kinds[take - 1] == "SAVEPOINT" and kinds[take + 1] == "RELEASE", kinds


@pytest.mark.parametrize("with_key", [False, True])
def test_already_booked_rolls_back_and_leaves_the_first_booking(
    gateway, landlord, tenant, with_key
):
    slot = make_slot(landlord, listed_property(landlord), capacity=5)
    first = gateway.post("/api/bookings", {"slot_id": str(slot.pk)}, as_=tenant)
    assert first.status_code == 201, first.content
    headers = {"Idempotency-Key": "second-attempt"} if with_key else {}

    again = gateway.post("/api/bookings", {"slot_id": str(slot.pk)}, as_=tenant, headers=headers)

    assert again.status_code == 409
    assert again.json()["code"] == "already_booked"
    if with_key:
        replay = gateway.post(
            "/api/bookings", {"slot_id": str(slot.pk)}, as_=tenant, headers=headers
        )
        assert replay.status_code == 409
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json() == again.json()
    assert ViewingBooking.objects.filter(slot=slot).count() == 1
    assert ViewingSlot.objects.get(pk=slot.pk).available_slots == 4
    assert OutboxMessage.objects.filter(type=VIEWING_BOOKED).count() == 1
