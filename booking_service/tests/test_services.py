"""booking_service's service functions, called directly (real PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from bookings import services
from bookings.events import (
    RENTAL_CANCELLED,
    RENTAL_EXPIRED,
    SLOT_CANCELLED,
    VIEWING_CANCELLED,
)
from bookings.models import (
    PropertyProjection,
    RentalReservation,
    ViewingBooking,
    ViewingSlot,
)
from django.utils import timezone
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.testing import Caller, outbox_events

from tests.conftest import actor, in_hours, listed_property, make_slot, property_data

pytestmark = pytest.mark.django_db


def reserve(tenant: Caller, projection, *, start_in_days: int = 10, days: int = 62):
    start = timezone.now().date() + timedelta(days=start_in_days)
    return services.reservation_create(
        actor=actor(tenant),
        property_id=projection.pk,
        start_date=start,
        end_date=start + timedelta(days=days),
    )


def confirmed(tenant: Caller, landlord: Caller, **kwargs) -> RentalReservation:
    reservation = reserve(tenant, listed_property(landlord), **kwargs)
    return services.reservation_approve(actor=actor(landlord), reservation_id=reservation.id)


def payment(reservation: RentalReservation, *, is_first_invoice: bool = True) -> dict:
    return {
        "payment_id": str(uuid.uuid4()),
        "invoice_id": str(uuid.uuid4()),
        "lease_id": str(uuid.uuid4()),
        "reservation_id": str(reservation.id),
        "is_first_invoice": is_first_invoice,
    }


# --- property_projection_apply ------------------------------------------------------


def test_a_property_event_creates_the_projection(landlord):
    data = property_data(landlord, title="Loft", monthly_rent_minor=120000, deposit_minor=5000)

    assert services.property_projection_apply(data=data) == services.APPLIED

    projection = PropertyProjection.objects.get()
    assert (
        str(projection.id),
        projection.version,
        str(projection.owner_id),
        projection.status,
        projection.title,
        projection.monthly_rent_minor,
        projection.deposit_minor,
        projection.currency,
    ) == (data["property_id"], 1, landlord.user_id, "listed", "Loft", 120000, 5000, "USD")


def test_a_newer_version_replaces_the_projection(landlord):
    data = property_data(landlord)
    services.property_projection_apply(data=data)

    result = services.property_projection_apply(
        data={**data, "version": 3, "title": "Renamed", "monthly_rent_minor": 1, "currency": "EUR"}
    )

    assert result == services.APPLIED
    projection = PropertyProjection.objects.get()
    assert (projection.version, projection.title, projection.monthly_rent_minor) == (
        3,
        "Renamed",
        1,
    )
    assert projection.currency == "EUR"


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_or_equal_version_is_stale(landlord, version):
    data = property_data(landlord, version=2, title="Current")
    services.property_projection_apply(data=data)

    result = services.property_projection_apply(
        data={**data, "version": version, "title": "Old", "status": "archived"}
    )

    assert result == services.STALE
    projection = PropertyProjection.objects.get()
    assert (projection.version, projection.title, projection.status) == (2, "Current", "listed")


@pytest.mark.parametrize("status", ["archived", "draft"])
def test_unlisting_cancels_upcoming_slots_and_expires_pending_reservations(
    landlord, tenant, other_tenant, status
):
    data = property_data(landlord)
    services.property_projection_apply(data=data)
    projection = PropertyProjection.objects.get()
    upcoming = make_slot(landlord, projection, hours=48, capacity=3)
    later = make_slot(landlord, projection, hours=96, capacity=3)
    past = make_slot(landlord, projection, hours=200, capacity=3)
    first = services.booking_create(actor=actor(tenant), slot_id=upcoming.id)
    second = services.booking_create(actor=actor(other_tenant), slot_id=upcoming.id)
    third = services.booking_create(actor=actor(tenant), slot_id=later.id)
    on_past = services.booking_create(actor=actor(tenant), slot_id=past.id)
    ViewingSlot.objects.filter(pk=past.pk).update(starts_at=in_hours(-3), ends_at=in_hours(-2))
    pending = reserve(tenant, projection, start_in_days=10)
    kept = reserve(other_tenant, projection, start_in_days=100)
    services.reservation_approve(actor=actor(landlord), reservation_id=kept.id)
    OutboxMessage.objects.all().delete()

    result = services.property_projection_apply(data={**data, "version": 2, "status": status})

    assert result == services.APPLIED
    for slot in (upcoming, later):
        slot.refresh_from_db()
        assert (slot.status, slot.available_slots) == ("cancelled", 3)
    past.refresh_from_db()
    assert (past.status, past.available_slots) == ("open", 2)
    for booking in (first, second, third):
        booking.refresh_from_db()
        assert (booking.status, booking.cancelled_by) == ("cancelled", "landlord")
    on_past.refresh_from_db()
    assert on_past.status == "confirmed"
    pending.refresh_from_db()
    assert (pending.status, pending.reason) == ("expired", "property_unavailable")
    kept.refresh_from_db()
    assert kept.status == "confirmed"
    events = outbox_events()
    cancelled = [e for e in events if e.type == VIEWING_CANCELLED]
    assert sorted(e.data["booking_id"] for e in cancelled) == sorted(
        str(b.id) for b in (first, second, third)
    )
    assert sorted(e.data["tenant_id"] for e in cancelled) == sorted(
        [tenant.user_id, other_tenant.user_id, tenant.user_id]
    )
    assert {e.data["cancelled_by"] for e in cancelled} == {"landlord"}
    [expired] = [e for e in events if e.type == RENTAL_EXPIRED]
    assert expired.data == {
        "reservation_id": str(pending.id),
        "property_id": str(projection.pk),
        "tenant_id": tenant.user_id,
        "landlord_id": landlord.user_id,
        "reason": "property_unavailable",
    }
    assert len(events) == 4

    # Re-applying the same event, or a newer one still unlisted, does nothing more.
    assert services.property_projection_apply(data={**data, "version": 2, "status": status}) == (
        services.STALE
    )
    assert services.property_projection_apply(data={**data, "version": 3, "status": status}) == (
        services.APPLIED
    )
    assert OutboxMessage.objects.count() == 4


def test_a_listed_update_touches_no_slot(landlord, tenant):
    data = property_data(landlord)
    services.property_projection_apply(data=data)
    slot = make_slot(landlord, PropertyProjection.objects.get())
    services.booking_create(actor=actor(tenant), slot_id=slot.id)
    events = OutboxMessage.objects.count()

    services.property_projection_apply(data={**data, "version": 2, "title": "New title"})

    slot.refresh_from_db()
    assert (slot.status, slot.available_slots) == ("open", 2)
    assert OutboxMessage.objects.count() == events


def test_a_reservation_keeps_the_terms_of_its_request(landlord, tenant):
    data = property_data(landlord)
    services.property_projection_apply(data=data)
    reservation = reserve(tenant, PropertyProjection.objects.get())

    services.property_projection_apply(
        data={**data, "version": 2, "monthly_rent_minor": 999999, "title": "Pricier"}
    )

    reservation.refresh_from_db()
    assert (reservation.monthly_rent_minor, reservation.property_title) == (
        345000,
        "Sunny 2-bedroom apartment in Park Slope",
    )


# --- slot_cancel --------------------------------------------------------------------


def test_cancelling_a_slot_cancels_every_booking_and_names_every_holder(
    landlord, tenant, other_tenant
):
    slot = make_slot(landlord, listed_property(landlord), capacity=5)
    kept = services.booking_create(actor=actor(tenant), slot_id=slot.id)
    also = services.booking_create(actor=actor(other_tenant), slot_id=slot.id)
    gone_tenant = Caller.new("tenant")
    gone = services.booking_create(actor=actor(gone_tenant), slot_id=slot.id)
    services.booking_cancel(actor=actor(gone_tenant), booking_id=gone.id)
    OutboxMessage.objects.all().delete()

    result = services.slot_cancel(actor=actor(landlord), slot_id=slot.id)

    assert (result.status, result.available_slots) == ("cancelled", 5)
    assert result.cancelled_at is not None
    assert set(ViewingBooking.objects.values_list("status", flat=True)) == {"cancelled"}
    for booking in (kept, also):
        booking.refresh_from_db()
        assert booking.cancelled_by == "landlord"
    gone.refresh_from_db()
    assert gone.cancelled_by == "tenant"
    [event] = outbox_events()
    assert event.type == SLOT_CANCELLED
    assert event.data["tenant_ids"] == sorted([tenant.user_id, other_tenant.user_id])

    again = services.slot_cancel(actor=actor(landlord), slot_id=slot.id)

    assert again.status == "cancelled"
    assert OutboxMessage.objects.count() == 1


def test_a_slot_cancelled_without_bookings_names_no_one(landlord):
    slot = make_slot(landlord, listed_property(landlord))
    services.slot_cancel(actor=actor(landlord), slot_id=slot.id)
    [event] = outbox_events()
    assert event.data["tenant_ids"] == []


def test_a_booking_cancelled_on_a_cancelled_slot_returns_no_place(landlord, tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=2)
    booking = services.booking_create(actor=actor(tenant), slot_id=slot.id)
    services.slot_cancel(actor=actor(landlord), slot_id=slot.id)

    services.booking_cancel(actor=actor(tenant), booking_id=booking.id)

    slot.refresh_from_db()
    assert slot.available_slots == 2  # already back at capacity: never above


# --- booking_create / booking_cancel ---------------------------------------------------


def test_booking_raises_the_domain_errors(landlord, tenant, other_tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=1)
    services.booking_create(actor=actor(tenant), slot_id=slot.id)

    with pytest.raises(services.AlreadyBooked):
        services.booking_create(actor=actor(tenant), slot_id=slot.id)
    with pytest.raises(services.SlotFull):
        services.booking_create(actor=actor(other_tenant), slot_id=slot.id)
    slot.refresh_from_db()
    assert slot.available_slots == 0
    assert ViewingBooking.objects.count() == 1


def test_a_slot_closing_between_read_and_decrement_is_slot_closed(landlord, tenant, settings):
    # The decrement re-checks the notice itself: a slot read as open but closed
    # by the time of the UPDATE is `slot_closed`, not `slot_full`.
    slot = make_slot(landlord, listed_property(landlord), hours=2)
    ViewingSlot.objects.filter(pk=slot.pk).update(available_slots=0)
    with pytest.raises(services.SlotFull):
        services.booking_create(actor=actor(tenant), slot_id=slot.id)
    settings.BOOKING_NOTICE_MINUTES = 180
    with pytest.raises(services.SlotClosed):
        services.booking_create(actor=actor(tenant), slot_id=slot.id)
    assert ViewingBooking.objects.count() == 0


# --- reservations_expire_due --------------------------------------------------------


def test_only_pending_reservations_past_their_deadline_expire(landlord, tenant, other_tenant):
    projection = listed_property(landlord)
    due = reserve(tenant, projection, start_in_days=10)
    fresh = reserve(other_tenant, projection, start_in_days=100)
    answered = reserve(tenant, projection, start_in_days=200)
    services.reservation_approve(actor=actor(landlord), reservation_id=answered.id)
    RentalReservation.objects.filter(pk__in=[due.pk, answered.pk]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    OutboxMessage.objects.all().delete()

    assert services.reservations_expire_due() == 1

    due.refresh_from_db()
    assert (due.status, due.reason) == ("expired", "no_response")
    assert due.decided_at is not None
    fresh.refresh_from_db()
    answered.refresh_from_db()
    assert (fresh.status, answered.status) == ("pending", "confirmed")
    [event] = outbox_events()
    assert (event.type, event.subject, event.data["reason"]) == (
        RENTAL_EXPIRED,
        str(due.id),
        "no_response",
    )
    assert services.reservations_expire_due() == 0
    assert OutboxMessage.objects.count() == 1


def test_the_response_time_is_configurable(landlord, tenant, settings):
    settings.RESERVATION_RESPONSE_HOURS = 1
    reservation = reserve(tenant, listed_property(landlord))

    assert services.reservations_expire_due(now=timezone.now() + timedelta(minutes=59)) == 0
    assert services.reservations_expire_due(now=timezone.now() + timedelta(minutes=61)) == 1
    reservation.refresh_from_db()
    assert reservation.status == "expired"


def test_an_expired_reservation_frees_its_dates(landlord, tenant, other_tenant):
    projection = listed_property(landlord)
    reservation = reserve(tenant, projection)
    services.reservations_expire_due(now=reservation.expires_at)

    again = reserve(other_tenant, projection)

    assert again.status == "pending"


# --- the first payment ----------------------------------------------------------------


def test_a_failed_first_payment_sets_the_release_deadline(landlord, tenant, settings):
    settings.RESERVATION_PAYMENT_GRACE_SECONDS = 600
    reservation = confirmed(tenant, landlord)
    before = timezone.now()

    result = services.reservation_first_payment_failed(data=payment(reservation))

    assert result is not None and result.id == reservation.id
    reservation.refresh_from_db()
    assert before + timedelta(seconds=600) <= reservation.release_after
    assert reservation.release_after <= timezone.now() + timedelta(seconds=600)


def test_a_duplicate_failure_keeps_the_first_deadline(landlord, tenant):
    reservation = confirmed(tenant, landlord)
    services.reservation_first_payment_failed(data=payment(reservation))
    reservation.refresh_from_db()
    first_deadline = reservation.release_after

    again = services.reservation_first_payment_failed(data=payment(reservation))

    assert again is not None and again.release_after == first_deadline
    reservation.refresh_from_db()
    assert reservation.release_after == first_deadline


def test_a_failed_payment_of_a_later_invoice_changes_nothing(landlord, tenant):
    reservation = confirmed(tenant, landlord)

    assert (
        services.reservation_first_payment_failed(data=payment(reservation, is_first_invoice=False))
        is None
    )
    reservation.refresh_from_db()
    assert reservation.release_after is None


@pytest.mark.parametrize("state", ["pending", "paid", "unknown", "no_id"])
def test_a_failure_with_nothing_to_release_returns_none(landlord, tenant, state):
    if state == "pending":
        reservation = reserve(tenant, listed_property(landlord))
        data = payment(reservation)
    elif state == "paid":
        reservation = confirmed(tenant, landlord)
        services.reservation_first_payment_succeeded(data=payment(reservation))
        data = payment(reservation)
    elif state == "unknown":
        reservation = None
        data = {"reservation_id": str(uuid.uuid4()), "is_first_invoice": True}
    else:
        reservation = None
        data = {"reservation_id": None, "is_first_invoice": True}

    assert services.reservation_first_payment_failed(data=data) is None
    if reservation is not None:
        reservation.refresh_from_db()
        assert reservation.release_after is None


def test_release_waits_for_the_deadline_and_happens_once(landlord, tenant):
    reservation = confirmed(tenant, landlord)
    services.reservation_first_payment_failed(data=payment(reservation))
    reservation.refresh_from_db()
    deadline = reservation.release_after
    OutboxMessage.objects.all().delete()

    assert not services.reservation_release_unpaid(
        reservation_id=reservation.id, now=deadline - timedelta(seconds=1)
    )
    reservation.refresh_from_db()
    assert reservation.status == "confirmed"
    assert OutboxMessage.objects.count() == 0

    assert services.reservation_release_unpaid(reservation_id=str(reservation.id), now=deadline)
    assert not services.reservation_release_unpaid(reservation_id=reservation.id, now=deadline)

    reservation.refresh_from_db()
    assert (reservation.status, reservation.reason) == ("cancelled", "first_payment_failed")
    [event] = outbox_events()
    assert event.type == RENTAL_CANCELLED
    assert event.data == {
        "reservation_id": str(reservation.id),
        "property_id": str(reservation.property_id),
        "tenant_id": tenant.user_id,
        "landlord_id": landlord.user_id,
        "reason": "first_payment_failed",
    }


def test_a_payment_after_the_failure_prevents_the_release(landlord, tenant):
    reservation = confirmed(tenant, landlord)
    services.reservation_first_payment_failed(data=payment(reservation))

    assert services.reservation_first_payment_succeeded(data=payment(reservation))

    reservation.refresh_from_db()
    assert (reservation.first_invoice_paid, reservation.release_after) == (True, None)
    later = timezone.now() + timedelta(days=30)
    assert not services.reservation_release_unpaid(reservation_id=reservation.id, now=later)
    assert services.reservations_release_due(now=later) == 0
    reservation.refresh_from_db()
    assert reservation.status == "confirmed"
    assert not OutboxMessage.objects.filter(type=RENTAL_CANCELLED).exists()


def test_a_later_invoice_paid_is_not_the_first(landlord, tenant):
    reservation = confirmed(tenant, landlord)
    assert not services.reservation_first_payment_succeeded(
        data=payment(reservation, is_first_invoice=False)
    )
    assert not services.reservation_first_payment_succeeded(
        data={"reservation_id": "nope", "is_first_invoice": True}
    )
    reservation.refresh_from_db()
    assert reservation.first_invoice_paid is False


def test_beat_releases_only_what_is_due(landlord, tenant, other_tenant, other_landlord):
    due = confirmed(tenant, landlord)
    not_yet = confirmed(other_tenant, other_landlord)
    never_failed = confirmed(tenant, other_landlord, start_in_days=200)
    services.reservation_first_payment_failed(data=payment(due))
    services.reservation_first_payment_failed(data=payment(not_yet))
    RentalReservation.objects.filter(pk=due.pk).update(
        release_after=timezone.now() - timedelta(seconds=1)
    )
    OutboxMessage.objects.all().delete()

    assert services.reservations_release_due() == 1
    assert services.reservations_release_due() == 0

    statuses = dict(RentalReservation.objects.values_list("id", "status"))
    assert (statuses[due.id], statuses[not_yet.id], statuses[never_failed.id]) == (
        "cancelled",
        "confirmed",
        "confirmed",
    )
    assert [e.type for e in outbox_events()] == [RENTAL_CANCELLED]


def test_a_released_reservation_frees_its_dates(landlord, tenant, other_tenant):
    reservation = confirmed(tenant, landlord)
    services.reservation_first_payment_failed(data=payment(reservation))
    reservation.refresh_from_db()
    services.reservation_release_unpaid(
        reservation_id=reservation.id, now=reservation.release_after
    )

    again = reserve(other_tenant, reservation.property)

    assert again.status == "pending"
