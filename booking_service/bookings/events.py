"""Integration events booking_service publishes (topic `rentezy.booking`, key
booking_id, reservation_id or slot_id): viewings booked and cancelled, slots
cancelled, rentals requested, confirmed, rejected, cancelled and expired.

Schemas: contracts/events/rentezy.booking.*.schema.json. One
`enqueue_<event>(...)` per type, called by the service function that makes the
change, inside its transaction (outbox_enqueue), so an event exists exactly
when its change committed; `viewing_booked_message` instead builds the outbox
row that booking_create inserts in the very statement that takes the place.
The handlers of other services' events live in `handlers.py`, never here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.outbox.services import outbox_enqueue, outbox_message

from bookings.models import RentalReservation, ViewingBooking, ViewingSlot

VIEWING_BOOKED = "rentezy.booking.viewing_booked.v1"
VIEWING_CANCELLED = "rentezy.booking.viewing_cancelled.v1"
SLOT_CANCELLED = "rentezy.booking.slot_cancelled.v1"
RENTAL_REQUESTED = "rentezy.booking.rental_requested.v1"
RENTAL_CONFIRMED = "rentezy.booking.rental_confirmed.v1"
RENTAL_REJECTED = "rentezy.booking.rental_rejected.v1"
RENTAL_CANCELLED = "rentezy.booking.rental_cancelled.v1"
RENTAL_EXPIRED = "rentezy.booking.rental_expired.v1"


def viewing_booked_message(
    booking: ViewingBooking, slot: ViewingSlot, *, title: str
) -> OutboxMessage:
    return outbox_message(
        type=VIEWING_BOOKED,
        subject=str(booking.id),
        data={
            "booking_id": booking.id,
            "slot_id": slot.id,
            "property_id": booking.property_id,
            "property_title": title,
            "tenant_id": booking.tenant_id,
            "landlord_id": booking.landlord_id,
            "starts_at": slot.starts_at,
            "ends_at": slot.ends_at,
        },
    )


def enqueue_viewing_cancelled(booking: ViewingBooking) -> None:
    outbox_enqueue(
        type=VIEWING_CANCELLED,
        subject=str(booking.id),
        data={
            "booking_id": booking.id,
            "slot_id": booking.slot_id,
            "property_id": booking.property_id,
            "tenant_id": booking.tenant_id,
            "landlord_id": booking.landlord_id,
            "cancelled_by": booking.cancelled_by,
        },
    )


def enqueue_slot_cancelled(slot: ViewingSlot, *, tenant_ids: Iterable[Any]) -> None:
    outbox_enqueue(
        type=SLOT_CANCELLED,
        subject=str(slot.id),
        data={
            "slot_id": slot.id,
            "property_id": slot.property_id,
            "landlord_id": slot.landlord_id,
            "tenant_ids": sorted({str(tenant_id) for tenant_id in tenant_ids}),
        },
    )


def _reservation(reservation: RentalReservation) -> dict[str, Any]:
    return {
        "reservation_id": reservation.id,
        "property_id": reservation.property_id,
        "tenant_id": reservation.tenant_id,
        "landlord_id": reservation.landlord_id,
    }


def _dates(reservation: RentalReservation) -> dict[str, Any]:
    return {
        "property_title": reservation.property_title,
        "start_date": reservation.start_date,
        "end_date": reservation.end_date,
    }


def enqueue_rental_requested(reservation: RentalReservation) -> None:
    outbox_enqueue(
        type=RENTAL_REQUESTED,
        subject=str(reservation.id),
        data={**_reservation(reservation), **_dates(reservation)},
    )


def enqueue_rental_confirmed(reservation: RentalReservation) -> None:
    """Everything rent_service needs to create the lease and its first invoice."""
    outbox_enqueue(
        type=RENTAL_CONFIRMED,
        subject=str(reservation.id),
        data={
            **_reservation(reservation),
            **_dates(reservation),
            "monthly_rent_minor": reservation.monthly_rent_minor,
            "deposit_minor": reservation.deposit_minor,
            "currency": reservation.currency,
        },
    )


# The status a reservation ends in → the event that says so.
ENDED_EVENTS = {
    "rejected": RENTAL_REJECTED,
    "cancelled": RENTAL_CANCELLED,
    "expired": RENTAL_EXPIRED,
}


def enqueue_rental_ended(reservation: RentalReservation) -> None:
    """rental_rejected, rental_cancelled or rental_expired, by its status."""
    outbox_enqueue(
        type=ENDED_EVENTS[reservation.status],
        subject=str(reservation.id),
        data={**_reservation(reservation), "reason": reservation.reason or None},
    )
