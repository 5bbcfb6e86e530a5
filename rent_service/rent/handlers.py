"""Consumer handlers of rent_service, found by `manage.py consume` through
settings.KAFKA_CONSUMER: a confirmed rental creates its lease and first
invoice; a cancelled or expired one voids the lease's unpaid invoices;
rentezy.property and rentezy.user keep the projections a landlord's own lease
is checked against (their property, an existing tenant). Each
maps an event type to a thin call of one service function, run once per event
id in the transaction of its effect. What rent_service publishes
(rentezy.payment) is in `events.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rent import services

if TYPE_CHECKING:
    from rentezy_platform.events import CloudEvent
    from rentezy_platform.kafka import Handler

RENTAL_CONFIRMED = "rentezy.booking.rental_confirmed.v1"
RENTAL_CANCELLED = "rentezy.booking.rental_cancelled.v1"
RENTAL_EXPIRED = "rentezy.booking.rental_expired.v1"
PROPERTY_CREATED = "rentezy.property.created.v1"
PROPERTY_UPDATED = "rentezy.property.updated.v1"
PROPERTY_ARCHIVED = "rentezy.property.archived.v1"
USER_REGISTERED = "rentezy.user.registered.v1"
USER_UPDATED = "rentezy.user.updated.v1"


def rental_confirmed(event: CloudEvent) -> None:
    services.lease_create_from_reservation(data=event.data)


def rental_ended(event: CloudEvent) -> None:
    services.lease_void_for_reservation(data=event.data)


def property_changed(event: CloudEvent) -> None:
    services.property_projection_apply(data=event.data)


def user_changed(event: CloudEvent) -> None:
    services.user_projection_apply(data=event.data)


HANDLERS: dict[str, Handler] = {
    RENTAL_CONFIRMED: rental_confirmed,
    RENTAL_CANCELLED: rental_ended,
    RENTAL_EXPIRED: rental_ended,
    PROPERTY_CREATED: property_changed,
    PROPERTY_UPDATED: property_changed,
    PROPERTY_ARCHIVED: property_changed,
    USER_REGISTERED: user_changed,
    USER_UPDATED: user_changed,
}
