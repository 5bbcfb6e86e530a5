"""Consumer handlers of booking_service, found by `manage.py consume` through
settings.KAFKA_CONSUMER: rentezy.property keeps the projection of the
properties it books against; rentezy.payment says whether a reservation's
first invoice was paid. Each maps an event type to a thin call of one service
function, run once per event id in the transaction of its effect. Booking's
own events live in `events.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from bookings import services, tasks

if TYPE_CHECKING:
    from rentezy_platform.events import CloudEvent
    from rentezy_platform.kafka import Handler

PROPERTY_CREATED = "rentezy.property.created.v1"
PROPERTY_UPDATED = "rentezy.property.updated.v1"
PROPERTY_ARCHIVED = "rentezy.property.archived.v1"
PAYMENT_SUCCEEDED = "rentezy.payment.payment_succeeded.v1"
PAYMENT_FAILED = "rentezy.payment.payment_failed.v1"


def property_changed(event: CloudEvent) -> None:
    services.property_projection_apply(data=event.data)


def payment_failed(event: CloudEvent) -> None:
    reservation = services.reservation_first_payment_failed(data=event.data)
    if reservation is None:
        return
    reservation_id, due = str(reservation.id), reservation.release_after
    # Sent only once the deadline is committed; if the send is lost (a crash
    # right after the commit) Beat's release_due_reservations still releases it.
    transaction.on_commit(
        lambda: tasks.release_unpaid_reservation.apply_async(args=[reservation_id], eta=due)
    )


def payment_succeeded(event: CloudEvent) -> None:
    services.reservation_first_payment_succeeded(data=event.data)


HANDLERS: dict[str, Handler] = {
    PROPERTY_CREATED: property_changed,
    PROPERTY_UPDATED: property_changed,
    PROPERTY_ARCHIVED: property_changed,
    PAYMENT_FAILED: payment_failed,
    PAYMENT_SUCCEEDED: payment_succeeded,
}
