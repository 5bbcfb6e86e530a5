"""The events booking_service enqueues: exact data, valid against
contracts/events (outbox_enqueue validates; validate_event checks again what a
consumer would read)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bookings import services
from bookings.events import (
    RENTAL_CANCELLED,
    RENTAL_CONFIRMED,
    RENTAL_EXPIRED,
    RENTAL_REJECTED,
    RENTAL_REQUESTED,
    SLOT_CANCELLED,
    VIEWING_BOOKED,
    VIEWING_CANCELLED,
)
from bookings.models import PropertyProjection
from django.utils import timezone
from rentezy_platform.events import validate_event
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.testing import outbox_events

from tests.conftest import actor, iso, listed_property, make_slot, property_data

pytestmark = pytest.mark.django_db

TITLE = "Sunny 2-bedroom apartment in Park Slope"


def only_event(type_: str):
    [event] = outbox_events(type=type_)
    validate_event(event)
    assert (event.source, event.type.split(".")[1]) == ("/booking_service", "booking")
    return event


def test_viewing_booked(landlord, tenant):
    slot = make_slot(landlord, listed_property(landlord))

    booking = services.booking_create(actor=actor(tenant), slot_id=slot.id)

    event = only_event(VIEWING_BOOKED)
    assert event.subject == str(booking.id)
    assert event.data == {
        "booking_id": str(booking.id),
        "slot_id": str(slot.id),
        "property_id": str(slot.property_id),
        "property_title": TITLE,
        "tenant_id": tenant.user_id,
        "landlord_id": landlord.user_id,
        "starts_at": iso(slot.starts_at),
        "ends_at": iso(slot.ends_at),
    }


@pytest.mark.parametrize("by", ["tenant", "landlord"])
def test_viewing_cancelled(landlord, tenant, by):
    slot = make_slot(landlord, listed_property(landlord))
    booking = services.booking_create(actor=actor(tenant), slot_id=slot.id)

    services.booking_cancel(
        actor=actor(tenant if by == "tenant" else landlord), booking_id=booking.id
    )

    event = only_event(VIEWING_CANCELLED)
    assert event.subject == str(booking.id)
    assert event.data == {
        "booking_id": str(booking.id),
        "slot_id": str(slot.id),
        "property_id": str(slot.property_id),
        "tenant_id": tenant.user_id,
        "landlord_id": landlord.user_id,
        "cancelled_by": by,
    }


def test_slot_cancelled(landlord, tenant, other_tenant):
    slot = make_slot(landlord, listed_property(landlord))
    services.booking_create(actor=actor(tenant), slot_id=slot.id)
    services.booking_create(actor=actor(other_tenant), slot_id=slot.id)

    services.slot_cancel(actor=actor(landlord), slot_id=slot.id)

    event = only_event(SLOT_CANCELLED)
    assert event.subject == str(slot.id)
    assert event.data == {
        "slot_id": str(slot.id),
        "property_id": str(slot.property_id),
        "landlord_id": landlord.user_id,
        "tenant_ids": sorted([tenant.user_id, other_tenant.user_id]),
    }
    # The holders learn it from slot_cancelled, not from one event each.
    assert outbox_events(type=VIEWING_CANCELLED) == []


def _reserve(tenant, projection):
    start = timezone.now().date() + timedelta(days=10)
    return services.reservation_create(
        actor=actor(tenant),
        property_id=projection.pk,
        start_date=start,
        end_date=start + timedelta(days=62),
    )


def _ids(reservation, tenant, landlord) -> dict:
    return {
        "reservation_id": str(reservation.id),
        "property_id": str(reservation.property_id),
        "tenant_id": tenant.user_id,
        "landlord_id": landlord.user_id,
    }


def test_rental_requested(landlord, tenant):
    reservation = _reserve(tenant, listed_property(landlord))

    event = only_event(RENTAL_REQUESTED)
    assert event.subject == str(reservation.id)
    assert event.data == {
        **_ids(reservation, tenant, landlord),
        "property_title": TITLE,
        "start_date": reservation.start_date.isoformat(),
        "end_date": reservation.end_date.isoformat(),
    }


def test_rental_confirmed_carries_the_terms_of_the_request(landlord, tenant):
    data = property_data(landlord, monthly_rent_minor=210000, deposit_minor=420000, currency="EUR")
    services.property_projection_apply(data=data)
    reservation = _reserve(tenant, PropertyProjection.objects.get(pk=data["property_id"]))
    # The landlord raises the rent after the request: the request's terms stand.
    services.property_projection_apply(
        data={**data, "version": 2, "title": "Now pricier", "monthly_rent_minor": 999900}
    )

    services.reservation_approve(actor=actor(landlord), reservation_id=reservation.id)

    event = only_event(RENTAL_CONFIRMED)
    assert event.subject == str(reservation.id)
    assert event.data == {
        **_ids(reservation, tenant, landlord),
        "property_title": TITLE,
        "start_date": reservation.start_date.isoformat(),
        "end_date": reservation.end_date.isoformat(),
        "monthly_rent_minor": 210000,
        "deposit_minor": 420000,
        "currency": "EUR",
    }


def test_rental_rejected(landlord, tenant):
    reservation = _reserve(tenant, listed_property(landlord))
    services.reservation_reject(actor=actor(landlord), reservation_id=reservation.id)

    event = only_event(RENTAL_REJECTED)
    assert event.subject == str(reservation.id)
    assert event.data == {**_ids(reservation, tenant, landlord), "reason": "rejected_by_landlord"}


def test_rental_cancelled_by_the_tenant(landlord, tenant):
    reservation = _reserve(tenant, listed_property(landlord))
    services.reservation_cancel(actor=actor(tenant), reservation_id=reservation.id)

    event = only_event(RENTAL_CANCELLED)
    assert event.data == {**_ids(reservation, tenant, landlord), "reason": "cancelled_by_tenant"}


def test_rental_cancelled_after_a_failed_first_payment(landlord, tenant):
    reservation = _reserve(tenant, listed_property(landlord))
    services.reservation_approve(actor=actor(landlord), reservation_id=reservation.id)
    services.reservation_first_payment_failed(
        data={"reservation_id": str(reservation.id), "is_first_invoice": True}
    )
    reservation.refresh_from_db()
    services.reservation_release_unpaid(
        reservation_id=reservation.id, now=reservation.release_after
    )

    event = only_event(RENTAL_CANCELLED)
    assert event.data == {**_ids(reservation, tenant, landlord), "reason": "first_payment_failed"}


def test_rental_expired_without_an_answer(landlord, tenant):
    reservation = _reserve(tenant, listed_property(landlord))
    services.reservations_expire_due(now=reservation.expires_at)

    event = only_event(RENTAL_EXPIRED)
    assert event.data == {**_ids(reservation, tenant, landlord), "reason": "no_response"}


def test_rental_expired_when_the_property_is_withdrawn(landlord, tenant):
    data = property_data(landlord)
    services.property_projection_apply(data=data)
    reservation = _reserve(tenant, PropertyProjection.objects.get(pk=data["property_id"]))

    services.property_projection_apply(data={**data, "version": 2, "status": "archived"})

    event = only_event(RENTAL_EXPIRED)
    assert event.data == {**_ids(reservation, tenant, landlord), "reason": "property_unavailable"}


def test_a_refused_change_enqueues_nothing(landlord, tenant, other_tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=1)
    services.booking_create(actor=actor(tenant), slot_id=slot.id)
    with pytest.raises(services.SlotFull):
        services.booking_create(actor=actor(other_tenant), slot_id=slot.id)
    with pytest.raises(services.AlreadyBooked):
        services.booking_create(actor=actor(tenant), slot_id=slot.id)

    assert OutboxMessage.objects.count() == 1
