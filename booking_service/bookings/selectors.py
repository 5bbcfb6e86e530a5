"""Reads of booking_service. Lists are querysets the views paginate; each
shows a caller only what they are party to."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.utils import timezone
from rentezy_platform.errors import NotFound

from bookings.models import (
    PropertyProjection,
    RentalReservation,
    SlotStatus,
    ViewingBooking,
    ViewingSlot,
)
from bookings.services import LANDLORD, Actor


def slot_list_upcoming(*, property_id: uuid.UUID | None = None) -> QuerySet[ViewingSlot]:
    """Open slots that have not started yet, soonest first (anyone may see
    them: they are how a tenant picks a viewing)."""
    slots = ViewingSlot.objects.filter(status=SlotStatus.OPEN, starts_at__gt=timezone.now())
    if property_id is not None:
        slots = slots.filter(property_id=property_id)
    return slots.order_by("starts_at", "id")


def _owned(actor: Actor, property_id: uuid.UUID) -> None:
    """404 unless the actor owns the property."""
    if not PropertyProjection.objects.filter(pk=property_id, owner_id=actor.user_id).exists():
        raise NotFound(message="No such property of yours.")


def booking_list_for(
    *, actor: Actor, property_id: uuid.UUID | None = None, status: str | None = None
) -> QuerySet[ViewingBooking]:
    """A tenant's own bookings; a landlord's: the bookings on their properties
    (`property_id`: one of them). Newest first."""
    bookings = ViewingBooking.objects.select_related("slot")
    if actor.role == LANDLORD:
        bookings = bookings.filter(landlord_id=actor.user_id)
        if property_id is not None:
            _owned(actor, property_id)
    else:
        bookings = bookings.filter(tenant_id=actor.user_id)
    if property_id is not None:
        bookings = bookings.filter(property_id=property_id)
    if status is not None:
        bookings = bookings.filter(status=status)
    return bookings.order_by("-created_at", "-id")


def reservation_list_for(
    *, actor: Actor, property_id: uuid.UUID | None = None, status: str | None = None
) -> QuerySet[RentalReservation]:
    """A tenant's own reservations; a landlord's: those on their properties. Newest first."""
    if actor.role == LANDLORD:
        reservations = RentalReservation.objects.filter(landlord_id=actor.user_id)
        if property_id is not None:
            _owned(actor, property_id)
    else:
        reservations = RentalReservation.objects.filter(tenant_id=actor.user_id)
    if property_id is not None:
        reservations = reservations.filter(property_id=property_id)
    if status is not None:
        reservations = reservations.filter(status=status)
    return reservations.order_by("-created_at", "-id")
