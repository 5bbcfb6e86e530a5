"""Writes of booking_service: the property projection, viewing slots and
bookings, rental reservations and their lifecycle.

Concurrency (the guarantees are database constraints, see models.py; this
module keeps lock waits short and deadlock-free):

- Taking a place is ONE statement (rentezy_platform.statements): the slot's
  conditional decrement (`available_slots > 0`, slot open, not yet closed for
  booking), the booking row and its outbox event, each only if the one
  before it wrote, committed together or not at all. The hot slot row is
  locked for that one statement, never across a round trip to the service;
  a second active booking of the user is refused by the partial unique index,
  which undoes the decrement with it. The CHECK
  `0 <= available_slots <= capacity` holds whatever the code does.
- Locks are always taken slot before booking, and property projection before
  slot or reservation, so no two writers wait on each other in a cycle.
- Reservations: the exclusion constraint refuses an overlap at insert time,
  whatever the interleaving; transitions lock the reservation's row, and the
  Celery ones (expiry, release after a failed first payment) are single
  conditional UPDATEs, so running one twice, or killing it midway, changes
  nothing more than running it once.

Who may do what: only tenants book and request rentals; only the property's
owner creates and cancels its slots and approves or rejects its reservations;
a booking is cancelled by its booker or the property's owner. An object the
caller is not party to is a 404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from rentezy_platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.parsing import parse_uuid, uuid_or_none
from rentezy_platform.projections import property_terms, versioned_upsert
from rentezy_platform.rentals import PropertyNotListed, PropertyUnavailable, rental_dates_check
from rentezy_platform.statements import insert_select, statement_block
from rentezy_platform.trust import Actor

from bookings.events import (
    enqueue_rental_confirmed,
    enqueue_rental_ended,
    enqueue_rental_requested,
    enqueue_slot_cancelled,
    enqueue_viewing_cancelled,
    viewing_booked_message,
)
from bookings.models import (
    SLOT_CAPACITY_MAX,
    SLOT_MAX_HOURS,
    BookingStatus,
    PropertyProjection,
    RentalReservation,
    ReservationStatus,
    SlotStatus,
    ViewingBooking,
    ViewingSlot,
)

logger = logging.getLogger(__name__)

TENANT = "tenant"
LANDLORD = "landlord"
APPLIED = "applied"
STALE = "stale"

# Reasons carried by rental_rejected / _cancelled / _expired.
REASON_REJECTED = "rejected_by_landlord"
REASON_CANCELLED = "cancelled_by_tenant"
REASON_NO_RESPONSE = "no_response"
REASON_PROPERTY_UNAVAILABLE = "property_unavailable"
REASON_FIRST_PAYMENT_FAILED = "first_payment_failed"


# --- errors -----------------------------------------------------------------------


class SlotFull(Conflict):
    default_code = "slot_full"
    default_message = "Every place of this viewing slot is taken."


class AlreadyBooked(Conflict):
    default_code = "already_booked"
    default_message = "You already hold a booking on this viewing slot."


class SlotClosed(Conflict):
    default_code = "slot_closed"
    default_message = "This viewing slot is no longer open for booking."


class SlotOverlap(Conflict):
    default_code = "slot_overlap"
    default_message = "The property already has a viewing slot overlapping this time."


class InvalidTransition(Conflict):
    default_code = "invalid_transition"

    def __init__(self, *, status: str, action: str) -> None:
        super().__init__(message=f"A {status} reservation cannot be {action}.")


def _constraint(exc: IntegrityError) -> str:
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    return getattr(diag, "constraint_name", "") or ""


# --- the property projection ------------------------------------------------------


def property_projection_apply(*, data: Mapping[str, Any]) -> str:
    """Keep the newest state of a property from a rentezy.property event's
    data; an older or equal version is ignored (STALE). A property that is not
    (or no longer) listed loses its upcoming slots, their bookings and its
    pending reservations (property_unlisted_cascade)."""
    with transaction.atomic():
        projection, applied = versioned_upsert(
            PropertyProjection,
            pk=parse_uuid(data["property_id"]),
            version=int(data["version"]),
            values=property_terms(data),
        )
        if not applied:
            return STALE
        if not projection.is_listed:
            property_unlisted_cascade(projection=projection)
    return APPLIED


def property_unlisted_cascade(*, projection: PropertyProjection) -> None:
    """Cancel the upcoming open slots of a property no longer listed, and
    their bookings (one viewing_cancelled per holder, by the landlord), and
    expire its pending reservations (rental_expired). The caller holds the
    projection's row lock, so no new slot or reservation can appear meanwhile."""
    now = timezone.now()
    slots = ViewingSlot.objects.select_for_update().filter(
        property=projection, status=SlotStatus.OPEN, ends_at__gt=now
    )
    for slot in slots:
        _slot_close(slot, now=now)
        bookings = ViewingBooking.objects.select_for_update().filter(
            slot=slot, status=BookingStatus.CONFIRMED
        )
        for booking in bookings:
            _booking_mark_cancelled(booking, by=LANDLORD, now=now)
            enqueue_viewing_cancelled(booking)
    pending = RentalReservation.objects.select_for_update().filter(
        property=projection, status=ReservationStatus.PENDING
    )
    for reservation in pending:
        _reservation_end(
            reservation, status=ReservationStatus.EXPIRED, reason=REASON_PROPERTY_UNAVAILABLE
        )


# --- viewing slots ----------------------------------------------------------------


def _owned_property(*, actor: Actor, property_id: object, lock: bool) -> PropertyProjection:
    """The actor's property (404 if unknown, 403 if someone else's)."""
    queryset = PropertyProjection.objects.all()
    if lock:
        queryset = queryset.select_for_update()
    projection = queryset.filter(pk=uuid_or_none(property_id)).first()
    if projection is None:
        raise NotFound(message="No such property.")
    if projection.owner_id != actor.user_id:
        raise Forbidden(message="Only the property's owner can do this.")
    return projection


def slot_create(
    *,
    actor: Actor,
    property_id: object,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
) -> ViewingSlot:
    """A viewing slot on the actor's listed property: in the future, at most
    SLOT_MAX_HOURS long, capacity 1..SLOT_CAPACITY_MAX, overlapping none of
    its open slots (409 `slot_overlap`)."""
    if actor.role != LANDLORD:
        raise Forbidden(message="Only landlords create viewing slots.")
    errors: dict[str, list[str]] = {}
    if starts_at <= timezone.now():
        errors["starts_at"] = ["Must be in the future."]
    if ends_at <= starts_at:
        errors["ends_at"] = ["Must be after starts_at."]
    elif ends_at - starts_at > timedelta(hours=SLOT_MAX_HOURS):
        errors["ends_at"] = [f"A slot lasts at most {SLOT_MAX_HOURS} hours."]
    if not 1 <= capacity <= SLOT_CAPACITY_MAX:
        errors["capacity"] = [f"Must be between 1 and {SLOT_CAPACITY_MAX}."]
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        projection = _owned_property(actor=actor, property_id=property_id, lock=True)
        if not projection.is_listed:
            raise PropertyNotListed()
        try:
            with transaction.atomic():
                return ViewingSlot.objects.create(
                    property=projection,
                    landlord_id=projection.owner_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    capacity=capacity,
                    available_slots=capacity,
                )
        except IntegrityError as exc:
            if _constraint(exc) == "slot_no_overlap_per_property":
                raise SlotOverlap() from exc
            raise


def _slot_close(slot: ViewingSlot, *, now: datetime) -> None:
    slot.status = SlotStatus.CANCELLED
    slot.cancelled_at = now
    slot.available_slots = slot.capacity
    slot.save(update_fields=["status", "cancelled_at", "available_slots"])


def slot_cancel(*, actor: Actor, slot_id: object) -> ViewingSlot:
    """The owner cancels a slot: every booking on it is cancelled in the same
    transaction, and one slot_cancelled event names every holder. Cancelling
    it again changes nothing."""
    with transaction.atomic():
        slot = ViewingSlot.objects.select_for_update().filter(pk=parse_uuid(slot_id)).first()
        if slot is None or (slot.landlord_id != actor.user_id and slot.status != SlotStatus.OPEN):
            raise NotFound()
        if slot.landlord_id != actor.user_id:
            raise Forbidden(message="Only the property's owner can cancel its slots.")
        if slot.status == SlotStatus.CANCELLED:
            return slot
        now = timezone.now()
        bookings = list(
            ViewingBooking.objects.select_for_update().filter(
                slot=slot, status=BookingStatus.CONFIRMED
            )
        )
        for booking in bookings:
            _booking_mark_cancelled(booking, by=LANDLORD, now=now)
        _slot_close(slot, now=now)
        enqueue_slot_cancelled(slot, tenant_ids=[b.tenant_id for b in bookings])
    return slot


# --- viewing bookings -------------------------------------------------------------


def booking_notice() -> timedelta:
    return timedelta(minutes=settings.BOOKING_NOTICE_MINUTES)


def booking_create(*, actor: Actor, slot_id: object) -> ViewingBooking:
    """Take one place of a slot for a tenant (see the module doc for how).
    409 `slot_full`, `already_booked` or `slot_closed`; 403 for anyone but a tenant."""
    found = _slot_to_book(slot_id)
    if found is None:
        raise NotFound(message="No such viewing slot.")
    slot, title = found
    if actor.role != TENANT:
        if actor.user_id == slot.landlord_id:
            raise Forbidden(message="You cannot book a viewing of your own property.")
        raise Forbidden(message="Only tenants book viewings.")
    deadline = timezone.now() + booking_notice()
    if slot.status != SlotStatus.OPEN or slot.starts_at <= deadline:
        raise SlotClosed()
    booking = ViewingBooking(
        slot=slot,
        property_id=slot.property_id,
        tenant_id=actor.user_id,
        landlord_id=slot.landlord_id,
    )
    event = viewing_booked_message(booking, slot, title=title)
    with statement_block():
        try:
            taken = _take_place(booking, event, deadline=deadline)
        except IntegrityError as exc:
            if _constraint(exc) == "booking_one_active_per_user_per_slot":
                raise AlreadyBooked() from exc
            raise
    if not taken:
        current = ViewingSlot.objects.filter(pk=slot.pk).values("status").first()
        if current is None or current["status"] != SlotStatus.OPEN:
            raise SlotClosed()
        if slot.starts_at <= timezone.now() + booking_notice():
            raise SlotClosed()
        # No place was left; a holder of one of them hears that, not "full".
        if ViewingBooking.objects.filter(
            slot=slot, tenant_id=actor.user_id, status=BookingStatus.CONFIRMED
        ).exists():
            raise AlreadyBooked()
        raise SlotFull()
    booking._state.adding, booking._state.db = False, connection.alias
    return booking


@cache
def _slot_to_book_sql() -> tuple[str, list[str]]:
    quote = connection.ops.quote_name
    fields = ViewingSlot._meta.concrete_fields
    columns = ", ".join(f"s.{quote(field.column)}" for field in fields)
    sql = (
        f"SELECT {columns}, p.{quote(PropertyProjection._meta.get_field('title').column)} "
        f"FROM {quote(ViewingSlot._meta.db_table)} s "
        f"JOIN {quote(PropertyProjection._meta.db_table)} p "
        f"ON p.{quote(PropertyProjection._meta.pk.column)} = "
        f"s.{quote(ViewingSlot._meta.get_field('property').column)} "
        f"WHERE s.{quote(ViewingSlot._meta.pk.column)} = %s"
    )
    return sql, [field.attname for field in fields]


def _slot_to_book(slot_id: object) -> tuple[ViewingSlot, str] | None:
    """The slot and its property's title, in one plain SELECT: the ORM's
    building of this joined query was a third of a booking's CPU (make bench)."""
    pk = uuid_or_none(slot_id)
    if pk is None:
        return None
    sql, attnames = _slot_to_book_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    return ViewingSlot.from_db(connection.alias, attnames, row[:-1]), row[-1]


# The slot's guarded decrement, then the booking row and its event, both only
# if the decrement took a place: one statement, so one round trip and no
# transaction block around it; the slot row stays locked for that statement
# alone. A second active booking of the user is refused by the partial unique
# index, which undoes the whole statement, decrement included.
_TAKE_PLACE = (
    "WITH taken AS ("
    " UPDATE {slot} SET available_slots = available_slots - 1"
    " WHERE id = %s AND status = %s AND starts_at > %s AND available_slots > 0"
    " RETURNING id"
    "), booking AS ({booking} RETURNING id) "
    "{event}"
)


def _take_place(booking: ViewingBooking, event: OutboxMessage, *, deadline: datetime) -> bool:
    booking_sql, booking_params = insert_select(booking, source="taken")
    event_sql, event_params = insert_select(event, source="booking")
    sql = _TAKE_PLACE.format(
        slot=connection.ops.quote_name(ViewingSlot._meta.db_table),
        booking=booking_sql,
        event=event_sql,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [booking.slot_id, SlotStatus.OPEN, deadline, *booking_params, *event_params],
        )
        return cursor.rowcount == 1


def _booking_mark_cancelled(booking: ViewingBooking, *, by: str, now: datetime) -> None:
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = by
    booking.save(update_fields=["status", "cancelled_at", "cancelled_by"])


def booking_cancel(*, actor: Actor, booking_id: object) -> ViewingBooking:
    """The booker or the property's owner cancels a booking: the place returns
    to the slot in the same transaction (never above capacity: the CHECK).
    Cancelling a cancelled booking changes nothing."""
    found = (
        ViewingBooking.objects.filter(pk=uuid_or_none(booking_id))
        .values("slot_id", "tenant_id", "landlord_id")
        .first()
    )
    if found is None or actor.user_id not in (found["tenant_id"], found["landlord_id"]):
        raise NotFound()
    with transaction.atomic():
        # Slot first, then booking: the order every writer uses.
        slot = ViewingSlot.objects.select_for_update().get(pk=found["slot_id"])
        booking = ViewingBooking.objects.select_for_update().get(pk=booking_id)
        if booking.status == BookingStatus.CANCELLED:
            booking.slot = slot
            return booking
        by = TENANT if actor.user_id == booking.tenant_id else LANDLORD
        _booking_mark_cancelled(booking, by=by, now=timezone.now())
        if slot.status == SlotStatus.OPEN:
            ViewingSlot.objects.filter(pk=slot.pk).update(available_slots=F("available_slots") + 1)
        enqueue_viewing_cancelled(booking)
    booking.slot = slot
    return booking


# --- rental reservations ------------------------------------------------------------


def reservation_create(
    *, actor: Actor, property_id: object, start_date: date, end_date: date
) -> RentalReservation:
    """A tenant asks to rent a listed property for [start_date, end_date):
    pending until its owner answers (or it expires). Overlapping an active
    reservation of the property → 409 `property_unavailable`."""
    if actor.role != TENANT:
        raise Forbidden(message="Only tenants request rentals.")
    rental_dates_check(start_date=start_date, end_date=end_date, today=timezone.now().date())
    with transaction.atomic():
        projection = (
            PropertyProjection.objects.select_for_update()
            .filter(pk=uuid_or_none(property_id))
            .first()
        )
        if projection is None:
            raise NotFound(message="No such property.")
        if not projection.is_listed:
            raise PropertyUnavailable(message="The property is not available for rent.")
        try:
            with transaction.atomic():
                reservation = RentalReservation.objects.create(
                    property=projection,
                    tenant_id=actor.user_id,
                    landlord_id=projection.owner_id,
                    start_date=start_date,
                    end_date=end_date,
                    property_title=projection.title,
                    monthly_rent_minor=projection.monthly_rent_minor,
                    deposit_minor=projection.deposit_minor,
                    currency=projection.currency,
                    expires_at=timezone.now()
                    + timedelta(hours=settings.RESERVATION_RESPONSE_HOURS),
                )
        except IntegrityError as exc:
            if _constraint(exc) == "reservation_no_overlap_per_property":
                raise PropertyUnavailable(
                    message="The property is already reserved for some of these dates."
                ) from exc
            raise
        enqueue_rental_requested(reservation)
    return reservation


def _reservation_for(actor: Actor, reservation_id: object) -> RentalReservation:
    """The reservation, locked, if the actor is its tenant or landlord (404 otherwise)."""
    reservation = (
        RentalReservation.objects.select_for_update()
        .filter(pk=uuid_or_none(reservation_id))
        .first()
    )
    if reservation is None or actor.user_id not in (
        reservation.tenant_id,
        reservation.landlord_id,
    ):
        raise NotFound()
    return reservation


def _reservation_end(reservation: RentalReservation, *, status: str, reason: str) -> None:
    reservation.status = status
    reservation.reason = reason
    reservation.decided_at = timezone.now()
    reservation.save(update_fields=["status", "reason", "decided_at"])
    enqueue_rental_ended(reservation)


def _transition(*, actor: Actor, reservation_id: object, by: str, action: str) -> RentalReservation:
    """Lock the reservation and check the actor may `action` it (a pending one)."""
    reservation = _reservation_for(actor, reservation_id)
    party = reservation.landlord_id if by == LANDLORD else reservation.tenant_id
    if actor.user_id != party:
        raise Forbidden(message=f"Only the reservation's {by} can do this.")
    if reservation.status != ReservationStatus.PENDING:
        raise InvalidTransition(status=reservation.status, action=action)
    return reservation


def reservation_approve(*, actor: Actor, reservation_id: object) -> RentalReservation:
    """pending → confirmed by the owner; rent_service then creates the lease."""
    with transaction.atomic():
        reservation = _transition(
            actor=actor, reservation_id=reservation_id, by=LANDLORD, action="approved"
        )
        if reservation.expires_at <= timezone.now():
            raise InvalidTransition(status="expired", action="approved")
        reservation.status = ReservationStatus.CONFIRMED
        reservation.decided_at = timezone.now()
        reservation.save(update_fields=["status", "decided_at"])
        enqueue_rental_confirmed(reservation)
    return reservation


def reservation_reject(*, actor: Actor, reservation_id: object) -> RentalReservation:
    """pending → rejected by the owner."""
    with transaction.atomic():
        reservation = _transition(
            actor=actor, reservation_id=reservation_id, by=LANDLORD, action="rejected"
        )
        _reservation_end(reservation, status=ReservationStatus.REJECTED, reason=REASON_REJECTED)
    return reservation


def reservation_cancel(*, actor: Actor, reservation_id: object) -> RentalReservation:
    """pending → cancelled by the tenant (a confirmed one ends through its lease)."""
    with transaction.atomic():
        reservation = _transition(
            actor=actor, reservation_id=reservation_id, by=TENANT, action="cancelled"
        )
        _reservation_end(reservation, status=ReservationStatus.CANCELLED, reason=REASON_CANCELLED)
    return reservation


def reservations_expire_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """Expire the pending reservations whose owner did not answer in time
    (Celery Beat). Each is its own conditional UPDATE: a reservation approved
    meanwhile is left alone, and two runs at once expire each one once."""
    now = now or timezone.now()
    due = list(
        RentalReservation.objects.filter(
            status=ReservationStatus.PENDING, expires_at__lte=now
        ).values_list("id", flat=True)[:batch]
    )
    expired = 0
    for reservation_id in due:
        with transaction.atomic():
            changed = RentalReservation.objects.filter(
                pk=reservation_id, status=ReservationStatus.PENDING, expires_at__lte=now
            ).update(status=ReservationStatus.EXPIRED, reason=REASON_NO_RESPONSE, decided_at=now)
            if changed:
                enqueue_rental_ended(RentalReservation.objects.get(pk=reservation_id))
                expired += 1
    return expired


# --- the first payment --------------------------------------------------------------


def reservation_first_payment_failed(*, data: Mapping[str, Any]) -> RentalReservation | None:
    """A confirmed reservation's first invoice failed: it will be released at
    `release_after` (now + the grace period) unless paid by then. A duplicate
    or later failure keeps the first deadline. Returns the reservation to
    release later, or None when there is nothing to do."""
    if not data.get("is_first_invoice"):
        return None
    reservation_id = uuid_or_none(data.get("reservation_id"))
    if reservation_id is None:
        return None
    reservation = RentalReservation.objects.select_for_update().filter(pk=reservation_id).first()
    if (
        reservation is None
        or reservation.status != ReservationStatus.CONFIRMED
        or reservation.first_invoice_paid
    ):
        return None
    if reservation.release_after is None:
        reservation.release_after = timezone.now() + timedelta(
            seconds=settings.RESERVATION_PAYMENT_GRACE_SECONDS
        )
        reservation.save(update_fields=["release_after"])
    return reservation


def reservation_first_payment_succeeded(*, data: Mapping[str, Any]) -> bool:
    """The first invoice was paid: the reservation is never released."""
    if not data.get("is_first_invoice"):
        return False
    reservation_id = uuid_or_none(data.get("reservation_id"))
    if reservation_id is None:
        return False
    return bool(
        RentalReservation.objects.filter(pk=reservation_id).update(
            first_invoice_paid=True, release_after=None
        )
    )


def reservation_release_unpaid(*, reservation_id: object, now: datetime | None = None) -> bool:
    """Release a confirmed reservation whose first invoice failed and is still
    unpaid past its deadline: ONE conditional UPDATE (and its event), so a
    second run, a run after payment_succeeded or a run before the deadline
    changes nothing. True if this call released it."""
    now = now or timezone.now()
    with transaction.atomic():
        released = RentalReservation.objects.filter(
            pk=uuid_or_none(reservation_id),
            status=ReservationStatus.CONFIRMED,
            first_invoice_paid=False,
            release_after__lte=now,
        ).update(
            status=ReservationStatus.CANCELLED,
            reason=REASON_FIRST_PAYMENT_FAILED,
            decided_at=now,
        )
        if released:
            enqueue_rental_ended(RentalReservation.objects.get(pk=reservation_id))
    return bool(released)


def reservations_release_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """Release every reservation past its deadline (Celery Beat's safety net
    for a release task that was lost); each through reservation_release_unpaid."""
    now = now or timezone.now()
    due = RentalReservation.objects.filter(
        status=ReservationStatus.CONFIRMED, first_invoice_paid=False, release_after__lte=now
    ).values_list("id", flat=True)[:batch]
    return sum(reservation_release_unpaid(reservation_id=pk, now=now) for pk in list(due))
