"""Races against real PostgreSQL: threads released together by a barrier,
each on its own database connection, committing for real (transaction=True)."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from bookings import services
from bookings.models import (
    BookingStatus,
    RentalReservation,
    ViewingBooking,
    ViewingSlot,
)
from django.db import transaction
from django.test import Client
from django.utils import timezone
from rentezy_platform.idempotency.models import IdempotencyRecord
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.testing import Caller, SignedClient, run_concurrently

from tests.conftest import actor, listed_property, make_slot

pytestmark = pytest.mark.django_db(transaction=True)


def test_32_tenants_racing_for_7_places_book_exactly_7(landlord):
    slot = make_slot(landlord, listed_property(landlord), capacity=7)
    tenants = [Caller.new("tenant") for _ in range(32)]

    results = run_concurrently(
        32, lambda i: services.booking_create(actor=actor(tenants[i]), slot_id=slot.id)
    )

    booked = [r for r in results if isinstance(r, ViewingBooking)]
    full = [r for r in results if isinstance(r, services.SlotFull)]
    assert (len(booked), len(full)) == (7, 25), [r for r in results if r not in booked + full]
    slot.refresh_from_db()
    assert slot.available_slots == 0
    assert ViewingBooking.objects.filter(slot=slot, status="confirmed").count() == 7
    assert ViewingBooking.objects.count() == 7
    # One viewing_booked per place taken; a refused booking left no event behind.
    assert OutboxMessage.objects.count() == 7


def test_negative_control_a_read_then_write_booking_overbooks(landlord):
    # The same race against the naive pattern (read the places left, then write
    # them back minus one): lost updates let more tenants in than there are
    # places, which is what the race test above would catch.
    slot = make_slot(landlord, listed_property(landlord), capacity=7)
    tenants = [Caller.new("tenant") for _ in range(32)]

    def naive_book(i: int) -> bool:
        with transaction.atomic():
            current = ViewingSlot.objects.get(pk=slot.pk)
            if current.available_slots <= 0:
                return False
            time.sleep(0.05)  # the gap between the read and the write
            current.available_slots -= 1
            current.save(update_fields=["available_slots"])
            ViewingBooking.objects.create(
                slot=current,
                property_id=current.property_id,
                tenant_id=tenants[i].user_id,
                landlord_id=current.landlord_id,
            )
        return True

    results = run_concurrently(32, naive_book)

    assert all(isinstance(r, bool) for r in results), results
    assert ViewingBooking.objects.filter(slot=slot).count() > 7


def test_ten_tenants_racing_for_overlapping_dates_get_one_reservation(landlord):
    projection = listed_property(landlord)
    tenants = [Caller.new("tenant") for _ in range(10)]
    start = timezone.now().date() + timedelta(days=30)

    def request(i: int):
        return services.reservation_create(
            actor=actor(tenants[i]),
            property_id=projection.pk,
            start_date=start + timedelta(days=i),
            end_date=start + timedelta(days=60 + i),
        )

    results = run_concurrently(10, request)

    made = [r for r in results if isinstance(r, RentalReservation)]
    refused = [r for r in results if isinstance(r, services.PropertyUnavailable)]
    assert (len(made), len(refused)) == (1, 9), results
    assert RentalReservation.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_concurrent_cancellations_and_rebookings_stay_within_capacity(landlord):
    capacity = 5
    slot = make_slot(landlord, listed_property(landlord), capacity=capacity)
    tenants = [Caller.new("tenant") for _ in range(12)]
    for tenant in tenants[:capacity]:
        services.booking_create(actor=actor(tenant), slot_id=slot.id)
    seen: list[int] = []

    def churn(i: int) -> list[str]:
        outcomes = []
        for _ in range(4):
            held = ViewingBooking.objects.filter(
                slot=slot, tenant_id=tenants[i].user_id, status=BookingStatus.CONFIRMED
            ).first()
            try:
                if held is not None:
                    services.booking_cancel(actor=actor(tenants[i]), booking_id=held.id)
                    outcomes.append("cancelled")
                else:
                    services.booking_create(actor=actor(tenants[i]), slot_id=slot.id)
                    outcomes.append("booked")
            except (services.SlotFull, services.AlreadyBooked) as exc:
                outcomes.append(exc.code)
            seen.append(ViewingSlot.objects.get(pk=slot.pk).available_slots)
        return outcomes

    results = run_concurrently(len(tenants), churn)

    assert all(isinstance(r, list) for r in results), results
    assert all(0 <= value <= capacity for value in seen), seen
    slot.refresh_from_db()
    confirmed = ViewingBooking.objects.filter(slot=slot, status="confirmed").count()
    assert 0 <= slot.available_slots <= capacity
    assert slot.available_slots == capacity - confirmed
    assert sum(r.count("cancelled") for r in results) >= capacity


def test_one_idempotency_key_sent_by_8_threads_books_once(landlord):
    slot = make_slot(landlord, listed_property(landlord), capacity=3)
    tenant = Caller.new("tenant")
    key = {"Idempotency-Key": str(uuid.uuid4())}

    def send(_: int):
        # Its own test client (and so its own connection): a client retrying at once.
        gateway = SignedClient(Client(), run_on_commit=False)
        return gateway.post("/api/bookings", {"slot_id": str(slot.id)}, as_=tenant, headers=key)

    responses = run_concurrently(8, send)

    assert [r.status_code for r in responses] == [201] * 8, responses
    assert len({r.content for r in responses}) == 1
    assert (
        sorted(r.get("Idempotent-Replayed") or "first" for r in responses)
        == ["first"] + ["true"] * 7
    )
    assert ViewingBooking.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    slot.refresh_from_db()
    assert slot.available_slots == 2
