"""POST /api/bookings in as few statements as it takes (make bench: every
round trip while the service holds a transaction open costs throughput), and
`already_booked` still rolls back cleanly with and without an Idempotency-Key."""

from __future__ import annotations

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
    table = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE"}[verb]
    return f"{verb} {words[words.index(table) + 1].split('.')[0]}"


def test_a_booking_is_one_select_and_one_transaction_of_three_writes(gateway, landlord, tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=5)

    with CaptureQueriesContext(connection) as captured:
        response = gateway.post("/api/bookings", {"slot_id": str(slot.pk)}, as_=tenant)

    assert response.status_code == 201, response.content
    # Inside the test's own transaction the service's transaction is a savepoint.
    assert [statement(q["sql"]) for q in captured.captured_queries] == [
        "SELECT bookings_viewingslot",
        "SAVEPOINT",
        "INSERT bookings_viewingbooking",
        "INSERT outbox_outboxmessage",
        "UPDATE bookings_viewingslot",
        "RELEASE",
    ]


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
