"""The database constraints themselves, written around the services (raw ORM
and SQL): they hold whatever the code does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from bookings.models import RentalReservation, ViewingBooking, ViewingSlot
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from tests.conftest import in_hours, listed_property

pytestmark = pytest.mark.django_db


def slot(projection, *, hours: float = 48, length: float = 1, capacity: int = 3, **fields):
    values = {
        "property": projection,
        "landlord_id": projection.owner_id,
        "starts_at": in_hours(hours),
        "ends_at": in_hours(hours + length),
        "capacity": capacity,
        "available_slots": capacity,
        **fields,
    }
    return ViewingSlot.objects.create(**values)


def reservation(projection, start: date, end: date, **fields) -> RentalReservation:
    values = {
        "property": projection,
        "tenant_id": uuid.uuid4(),
        "landlord_id": projection.owner_id,
        "start_date": start,
        "end_date": end,
        "property_title": "t",
        "monthly_rent_minor": 100,
        "deposit_minor": 100,
        "currency": "USD",
        "expires_at": timezone.now() + timedelta(hours=72),
        **fields,
    }
    return RentalReservation.objects.create(**values)


@contextmanager
def refused(name: str) -> Iterator[None]:
    """The statements inside must fail on constraint `name` (in a savepoint)."""
    with pytest.raises(IntegrityError) as info:
        with transaction.atomic():
            yield
    assert info.value.__cause__.diag.constraint_name == name


# --- available_slots within 0..capacity ---------------------------------------------


@pytest.mark.parametrize("value", [-1, 4])
def test_available_slots_stay_within_capacity(landlord, value):
    created = slot(listed_property(landlord), capacity=3)

    with refused("slot_available_within_capacity"):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE bookings_viewingslot SET available_slots = %s WHERE id = %s",
                [value, created.id],
            )

    created.refresh_from_db()
    assert created.available_slots == 3


def test_available_slots_may_be_zero_or_capacity(landlord):
    created = slot(listed_property(landlord), capacity=3)
    for value in (0, 3):
        ViewingSlot.objects.filter(pk=created.pk).update(available_slots=value)
        created.refresh_from_db()
        assert created.available_slots == value


def test_a_decrement_below_zero_is_refused_by_the_check(landlord):
    created = slot(listed_property(landlord), capacity=1, available_slots=0)
    with refused("slot_available_within_capacity"):
        ViewingSlot.objects.filter(pk=created.pk).update(available_slots=F("available_slots") - 1)


@pytest.mark.parametrize("capacity", [0, 501])
def test_capacity_is_1_to_500(landlord, capacity):
    with refused("slot_capacity_range"):
        slot(listed_property(landlord), capacity=capacity, available_slots=0)
    assert ViewingSlot.objects.count() == 0


def test_a_slot_ends_after_it_starts(landlord):
    with refused("slot_ends_after_start"):
        slot(listed_property(landlord), length=0)


# --- one active booking per user per slot ------------------------------------------------


def booking(created: ViewingSlot, tenant_id: uuid.UUID, **fields) -> ViewingBooking:
    return ViewingBooking.objects.create(
        slot=created,
        property_id=created.property_id,
        tenant_id=tenant_id,
        landlord_id=created.landlord_id,
        **fields,
    )


def test_a_second_confirmed_booking_of_one_user_is_refused(landlord):
    created = slot(listed_property(landlord))
    tenant_id = uuid.uuid4()
    first = booking(created, tenant_id)

    with refused("booking_one_active_per_user_per_slot"):
        booking(created, tenant_id)

    # Another user, or the same one after cancelling, may book.
    booking(created, uuid.uuid4())
    ViewingBooking.objects.filter(pk=first.pk).update(status="cancelled")
    booking(created, tenant_id)
    booking(created, tenant_id, status="cancelled")  # cancelled ones never collide
    assert ViewingBooking.objects.filter(tenant_id=tenant_id).count() == 3


# --- open slots of one property never overlap -----------------------------------------


def test_overlapping_open_slots_are_refused(landlord):
    projection = listed_property(landlord)
    slot(projection, hours=48, length=2)

    with refused("slot_no_overlap_per_property"):
        slot(projection, hours=49, length=2)
    with refused("slot_no_overlap_per_property"):
        slot(projection, hours=48.5, length=0.5)  # inside

    assert ViewingSlot.objects.count() == 1


def test_adjacent_slots_and_other_properties_are_allowed(landlord):
    projection = listed_property(landlord)
    slot(projection, hours=48, length=2)
    slot(projection, hours=50, length=1)  # starts as the first ends: [start, end)
    slot(projection, hours=46, length=2)  # ends as the first starts
    slot(listed_property(landlord), hours=48, length=2)
    assert ViewingSlot.objects.count() == 4


def test_a_cancelled_slot_does_not_block_its_time(landlord):
    projection = listed_property(landlord)
    slot(projection, hours=48, length=2, status="cancelled")
    slot(projection, hours=48, length=2)
    with refused("slot_no_overlap_per_property"):
        ViewingSlot.objects.filter(status="cancelled").update(status="open")


# --- active reservations of one property never overlap ---------------------------------


MARCH = date(2027, 3, 1)


def test_overlapping_active_reservations_are_refused(landlord):
    projection = listed_property(landlord)
    reservation(projection, date(2027, 1, 1), MARCH)

    with refused("reservation_no_overlap_per_property"):
        reservation(projection, date(2027, 2, 28), date(2027, 5, 1))
    with refused("reservation_no_overlap_per_property"):
        reservation(projection, date(2026, 12, 1), date(2027, 1, 2), status="confirmed")
    with refused("reservation_no_overlap_per_property"):
        reservation(projection, date(2026, 12, 1), date(2027, 6, 1))  # around it

    assert RentalReservation.objects.count() == 1


def test_adjacent_reservations_are_allowed(landlord):
    projection = listed_property(landlord)
    reservation(projection, date(2027, 1, 1), MARCH, status="confirmed")
    reservation(projection, MARCH, date(2027, 4, 1))  # moves in the day the first moves out
    reservation(projection, date(2026, 12, 1), date(2027, 1, 1))
    assert RentalReservation.objects.count() == 3


@pytest.mark.parametrize("status", ["cancelled", "rejected", "expired"])
def test_an_ended_reservation_does_not_block_its_dates(landlord, status):
    projection = listed_property(landlord)
    reservation(projection, date(2027, 1, 1), MARCH, status=status)
    reservation(projection, date(2027, 1, 1), MARCH, status=status)

    reservation(projection, date(2027, 2, 1), date(2027, 4, 1))

    assert RentalReservation.objects.filter(status="pending").count() == 1


def test_other_properties_do_not_collide(landlord):
    reservation(listed_property(landlord), date(2027, 1, 1), MARCH)
    reservation(listed_property(landlord), date(2027, 1, 1), MARCH)
    assert RentalReservation.objects.count() == 2


def test_reopening_an_ended_reservation_over_an_active_one_is_refused(landlord):
    projection = listed_property(landlord)
    ended = reservation(projection, date(2027, 1, 1), MARCH, status="expired")
    reservation(projection, date(2027, 1, 1), MARCH)
    with refused("reservation_no_overlap_per_property"):
        RentalReservation.objects.filter(pk=ended.pk).update(status="pending")


def test_a_reservation_ends_after_it_starts_and_costs_no_less_than_zero(landlord):
    projection = listed_property(landlord)
    with refused("reservation_ends_after_start"):
        reservation(projection, MARCH, MARCH)
    with refused("reservation_money_not_negative"):
        reservation(projection, date(2027, 1, 1), MARCH, deposit_minor=-1)
