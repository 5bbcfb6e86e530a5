"""`manage.py seed` (make seed): demo slots, bookings and reservations on the
demo properties, once the projection holds them; a second run adds nothing."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from bookings import demo, services
from bookings.events import RENTAL_CONFIRMED, RENTAL_REQUESTED, VIEWING_BOOKED
from bookings.models import (
    BookingStatus,
    RentalReservation,
    ReservationStatus,
    SlotStatus,
    ViewingBooking,
    ViewingSlot,
)
from django.core.management import CommandError, call_command
from django.utils import timezone
from rentezy_platform.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

COUNT = 6
SEED = 42
LANDLORDS = [uuid.UUID("5eed1a4d-0000-4000-8000-000000000001"), uuid.UUID(int=7)]
DRAFT_INDEX = 2  # the one demo property here that is not listed


def project_demo_properties(count: int = COUNT) -> list[uuid.UUID]:
    """The demo properties as their rentezy.property events build the projection."""
    ids = demo.demo_property_ids(seed=SEED, count=count)
    for index, property_id in enumerate(ids):
        services.property_projection_apply(
            data={
                "property_id": str(property_id),
                "version": 1,
                "owner_id": str(LANDLORDS[index % 2]),
                "status": "draft" if index == DRAFT_INDEX else "listed",
                "title": f"Demo flat {index}",
                "monthly_rent_minor": 120000 + index * 1000,
                "deposit_minor": 240000,
                "currency": "EUR",
            }
        )
    return ids


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed", count=COUNT, seed=SEED, timeout=2, stdout=out, **options)
    return out.getvalue()


def snapshot() -> dict[str, int]:
    return {
        "slots": ViewingSlot.objects.count(),
        "bookings": ViewingBooking.objects.count(),
        "reservations": RentalReservation.objects.count(),
        "events": OutboxMessage.objects.count(),
    }


def test_demo_property_ids_are_property_services_seed_ids():
    # property_service/properties/seeding.py: uuid5(SEED_NAMESPACE, "<seed>:<index>")
    assert demo.demo_property_id(seed=42, index=0) == uuid.uuid5(
        uuid.UUID("0f4c6a52-7d2e-4b8e-9a61-3c5d2e8f1b07"), "42:0"
    )


def test_seed_adds_slots_bookings_and_reservations_with_their_events():
    ids = project_demo_properties()
    listed = [pk for index, pk in enumerate(ids) if index != DRAFT_INDEX]
    now = timezone.now()

    output = seed()

    assert "5 of the 6 demo properties are listed." in output
    assert "Seeded 15 new viewing slots, 4 bookings and 4 rental reservations" in output, output
    slots = list(ViewingSlot.objects.all())
    assert len(slots) == 15
    for property_id in listed:
        assert sum(1 for s in slots if s.property_id == property_id) == demo.SLOTS_PER_PROPERTY
    assert not ViewingSlot.objects.filter(property_id=ids[DRAFT_INDEX]).exists()
    for slot in slots:
        assert slot.status == SlotStatus.OPEN
        assert 1 <= slot.capacity <= 10
        # From tomorrow (10:00 at the earliest): at least 9 hours ahead whenever this runs.
        assert now + timedelta(hours=9) < slot.starts_at < now + timedelta(days=15)
        assert timedelta(minutes=30) <= slot.ends_at - slot.starts_at <= timedelta(hours=1)
        assert slot.starts_at.weekday() != 6
        assert slot.landlord_id == LANDLORDS[ids.index(slot.property_id) % 2]

    bookings = list(ViewingBooking.objects.all())
    assert len(bookings) == demo.DEMO_BOOKINGS
    assert {b.tenant_id for b in bookings} == {demo.DEMO_TENANT_ID}
    assert {b.status for b in bookings} == {BookingStatus.CONFIRMED}
    assert len({b.property_id for b in bookings}) == demo.DEMO_BOOKINGS
    for booking in bookings:
        slot = ViewingSlot.objects.get(pk=booking.slot_id)
        assert slot.available_slots == slot.capacity - 1

    reservations = RentalReservation.objects.all()
    assert reservations.count() == 4
    assert {r.tenant_id for r in reservations} == {demo.DEMO_TENANT_ID}
    assert reservations.filter(status=ReservationStatus.PENDING).count() == 2
    assert reservations.filter(status=ReservationStatus.CONFIRMED).count() == 2
    assert not reservations.filter(property_id=ids[DRAFT_INDEX]).exists()
    for reservation in reservations:
        assert reservation.start_date > timezone.localdate()
        assert reservation.start_date.day == 1
        assert reservation.landlord_id == LANDLORDS[ids.index(reservation.property_id) % 2]

    # Through the service functions: each booking and reservation announced itself.
    assert OutboxMessage.objects.filter(type=VIEWING_BOOKED).count() == 4
    assert OutboxMessage.objects.filter(type=RENTAL_REQUESTED).count() == 4
    assert OutboxMessage.objects.filter(type=RENTAL_CONFIRMED).count() == 2
    assert OutboxMessage.objects.count() == 10


def test_a_second_run_adds_nothing():
    project_demo_properties()
    seed()
    before = snapshot()
    assert before == {"slots": 15, "bookings": 4, "reservations": 4, "events": 10}

    output = seed()

    assert "Seeded 0 new viewing slots, 0 bookings and 0 rental reservations" in output
    assert snapshot() == before


def test_a_run_tops_up_what_was_cancelled():
    project_demo_properties()
    seed()
    booking = ViewingBooking.objects.order_by("id").first()
    services.booking_cancel(
        actor=services.Actor(user_id=demo.DEMO_TENANT_ID, role="tenant"), booking_id=booking.pk
    )

    output = seed()

    assert "Seeded 0 new viewing slots, 1 bookings and 0 rental reservations" in output
    assert ViewingBooking.objects.filter(status=BookingStatus.CONFIRMED).count() == 4
    # Still one booking per property.
    assert (
        ViewingBooking.objects.filter(status=BookingStatus.CONFIRMED)
        .values("property_id")
        .distinct()
        .count()
        == 4
    )


def test_it_waits_for_the_projection_then_fails_clearly():
    project_demo_properties(count=COUNT - 2)  # two demo properties not there yet
    out = io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("seed", count=COUNT, seed=SEED, timeout=1.5, stdout=out)

    assert str(raised.value).startswith(
        "After 1.5 s the property projection holds 4 of the 6 demo properties."
    )
    assert "waiting for the property projection: 4/6 demo properties so far (0 s)" in out.getvalue()
    assert snapshot() == {"slots": 0, "bookings": 0, "reservations": 0, "events": 0}
