"""The consumer handlers of booking_service, fed CloudEvents the way
`manage.py consume` does (inside a transaction), and the Celery tasks run
in-process."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from bookings import handlers, services, tasks
from bookings.events import RENTAL_CANCELLED, VIEWING_CANCELLED
from bookings.models import PropertyProjection, RentalReservation
from django.db import transaction
from django.utils import timezone
from rentezy_platform.events import CloudEvent
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.testing import outbox_events

from tests.conftest import actor, listed_property, make_slot, property_data

pytestmark = pytest.mark.django_db


def handle(type_: str, data: dict, *, source: str = "/property_service") -> None:
    event = CloudEvent.new(type=type_, subject=str(uuid.uuid4()), data=data, source=source)
    with transaction.atomic():
        handlers.HANDLERS[type_](event)


def confirmed_reservation(landlord, tenant) -> RentalReservation:
    start = timezone.now().date() + timedelta(days=10)
    reservation = services.reservation_create(
        actor=actor(tenant),
        property_id=listed_property(landlord).pk,
        start_date=start,
        end_date=start + timedelta(days=62),
    )
    return services.reservation_approve(actor=actor(landlord), reservation_id=reservation.id)


def payment_data(reservation: RentalReservation, *, is_first_invoice: bool = True) -> dict:
    return {
        "payment_id": str(uuid.uuid4()),
        "invoice_id": str(uuid.uuid4()),
        "lease_id": str(uuid.uuid4()),
        "reservation_id": str(reservation.id),
        "tenant_id": str(reservation.tenant_id),
        "landlord_id": str(reservation.landlord_id),
        "amount_minor": 690000,
        "currency": "USD",
        "reason": "card_declined",
        "is_first_invoice": is_first_invoice,
    }


@pytest.fixture
def sent(monkeypatch) -> list[dict]:
    """What the handler's on-commit callback sends to Celery (recorded, not sent)."""
    calls: list[dict] = []
    monkeypatch.setattr(
        tasks.release_unpaid_reservation, "apply_async", lambda **kwargs: calls.append(kwargs)
    )
    return calls


def test_the_handlers_are_exactly_the_five_consumed_types():
    assert set(handlers.HANDLERS) == {
        "rentezy.property.created.v1",
        "rentezy.property.updated.v1",
        "rentezy.property.archived.v1",
        "rentezy.payment.payment_failed.v1",
        "rentezy.payment.payment_succeeded.v1",
    }


def test_property_events_keep_the_projection(landlord):
    data = property_data(landlord, description="ignored", city="New York")

    handle(handlers.PROPERTY_CREATED, data)
    handle(handlers.PROPERTY_UPDATED, {**data, "version": 3, "title": "v3"})
    handle(handlers.PROPERTY_UPDATED, {**data, "version": 2, "title": "v2 arrives late"})

    projection = PropertyProjection.objects.get()
    assert (str(projection.id), projection.version, projection.title) == (
        data["property_id"],
        3,
        "v3",
    )


def test_an_archived_event_cancels_the_upcoming_viewings(landlord, tenant):
    data = property_data(landlord)
    handle(handlers.PROPERTY_CREATED, data)
    slot = make_slot(landlord, PropertyProjection.objects.get())
    booking = services.booking_create(actor=actor(tenant), slot_id=slot.id)

    handle(handlers.PROPERTY_ARCHIVED, {**data, "version": 2, "status": "archived"})

    slot.refresh_from_db()
    booking.refresh_from_db()
    assert (slot.status, booking.status) == ("cancelled", "cancelled")
    [event] = outbox_events(type=VIEWING_CANCELLED)
    assert event.data["booking_id"] == str(booking.id)


def test_a_failed_first_payment_sends_the_release_due_at_the_deadline(
    landlord, tenant, django_capture_on_commit_callbacks, sent
):
    reservation = confirmed_reservation(landlord, tenant)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        handle(handlers.PAYMENT_FAILED, payment_data(reservation), source="/rent_service")

    reservation.refresh_from_db()
    assert reservation.release_after is not None
    assert reservation.status == "confirmed"
    assert len(callbacks) == 1
    assert sent == []  # nothing is sent before the commit
    callbacks[0]()
    assert sent == [{"args": [str(reservation.id)], "eta": reservation.release_after}]


def test_a_duplicate_failure_sends_for_the_same_deadline(
    landlord, tenant, django_capture_on_commit_callbacks, sent
):
    reservation = confirmed_reservation(landlord, tenant)
    with django_capture_on_commit_callbacks(execute=True):
        handle(handlers.PAYMENT_FAILED, payment_data(reservation), source="/rent_service")
        handle(handlers.PAYMENT_FAILED, payment_data(reservation), source="/rent_service")

    reservation.refresh_from_db()
    assert [call["eta"] for call in sent] == [reservation.release_after] * 2


@pytest.mark.parametrize("case", ["later_invoice", "pending", "paid", "unknown"])
def test_a_failure_with_nothing_to_release_sends_nothing(
    landlord, tenant, django_capture_on_commit_callbacks, case
):
    reservation = confirmed_reservation(landlord, tenant)
    data = payment_data(reservation, is_first_invoice=case != "later_invoice")
    if case == "pending":
        RentalReservation.objects.filter(pk=reservation.pk).update(status="pending")
    elif case == "paid":
        handle(handlers.PAYMENT_SUCCEEDED, payment_data(reservation))
    elif case == "unknown":
        data["reservation_id"] = str(uuid.uuid4())

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        handle(handlers.PAYMENT_FAILED, data, source="/rent_service")

    assert callbacks == []
    reservation.refresh_from_db()
    assert reservation.release_after is None


def test_a_payment_after_the_failure_keeps_the_reservation(
    landlord, tenant, django_capture_on_commit_callbacks
):
    reservation = confirmed_reservation(landlord, tenant)
    with django_capture_on_commit_callbacks(execute=False):
        handle(handlers.PAYMENT_FAILED, payment_data(reservation), source="/rent_service")

    handle(handlers.PAYMENT_SUCCEEDED, payment_data(reservation), source="/rent_service")
    RentalReservation.objects.filter(pk=reservation.pk).update(
        release_after=timezone.now() - timedelta(seconds=1)
    )  # even a deadline in the past (it was cleared) must not release it

    reservation.refresh_from_db()
    assert reservation.first_invoice_paid is True
    assert tasks.release_unpaid_reservation(str(reservation.id)) is False
    assert tasks.release_due_reservations() == 0
    reservation.refresh_from_db()
    assert reservation.status == "confirmed"


# --- the tasks, run in-process ------------------------------------------------------


def test_the_release_task_releases_once(landlord, tenant, settings):
    settings.RESERVATION_PAYMENT_GRACE_SECONDS = 0
    reservation = confirmed_reservation(landlord, tenant)
    with transaction.atomic():
        services.reservation_first_payment_failed(data=payment_data(reservation))
    OutboxMessage.objects.all().delete()

    assert tasks.release_unpaid_reservation(str(reservation.id)) is True
    assert tasks.release_unpaid_reservation(str(reservation.id)) is False
    assert tasks.release_due_reservations() == 0

    reservation.refresh_from_db()
    assert (reservation.status, reservation.reason) == ("cancelled", "first_payment_failed")
    assert [e.type for e in outbox_events()] == [RENTAL_CANCELLED]


def test_the_release_task_before_the_deadline_does_nothing(landlord, tenant):
    reservation = confirmed_reservation(landlord, tenant)
    with transaction.atomic():
        services.reservation_first_payment_failed(data=payment_data(reservation))

    assert tasks.release_unpaid_reservation(str(reservation.id)) is False
    reservation.refresh_from_db()
    assert reservation.status == "confirmed"


def test_the_expiry_task(landlord, tenant):
    start = timezone.now().date() + timedelta(days=10)
    reservation = services.reservation_create(
        actor=actor(tenant),
        property_id=listed_property(landlord).pk,
        start_date=start,
        end_date=start + timedelta(days=62),
    )
    assert tasks.expire_pending_reservations() == 0
    RentalReservation.objects.filter(pk=reservation.pk).update(expires_at=timezone.now())

    assert tasks.expire_pending_reservations() == 1
    assert tasks.expire_pending_reservations() == 0
    reservation.refresh_from_db()
    assert reservation.status == "expired"


def test_tasks_are_acknowledged_after_they_run():
    from config.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
