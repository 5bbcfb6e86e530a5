"""booking_service's data: the property projection, viewing slots and their
bookings, rental reservations, and stored Idempotency-Key responses.

Every rule that must hold under concurrency is a database constraint, so no
interleaving of requests, consumers or Celery tasks can break it:

- `available_slots` of a slot stays within 0..capacity (CHECK); bookings take
  and return places with one conditional `F()` UPDATE each (services.py);
- one active (confirmed) booking per user per slot (partial UNIQUE);
- one property's open slots never overlap (EXCLUDE USING gist on a
  `tstzrange`);
- one property's active (pending or confirmed) reservations never overlap
  (EXCLUDE USING gist on a `daterange`, btree_gist for the uuid equality).

A reservation's dates are a half-open range [start_date, end_date): the tenant
moves out on `end_date`, and the next one may move in that day.
"""

from __future__ import annotations

import builtins
import uuid

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q

SLOT_CAPACITY_MAX = 500
SLOT_MAX_HOURS = 12


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class DateRange(Func):
    function = "DATERANGE"
    output_field = DateRangeField()


class PropertyProjection(models.Model):
    """What booking_service knows of a property, from rentezy.property events
    (only a newer `version` replaces it): enough to check ownership and status
    and to put terms and titles into events, with no call to property_service."""

    id = models.UUIDField(primary_key=True)  # the property_id
    version = models.PositiveIntegerField()
    owner_id = models.UUIDField(db_index=True)
    status = models.CharField(max_length=16)
    title = models.CharField(max_length=200)
    monthly_rent_minor = models.BigIntegerField()
    deposit_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    updated_at = models.DateTimeField(auto_now=True)

    LISTED = "listed"

    def __str__(self) -> str:
        return f"{self.title} ({self.status}, v{self.version})"

    @property
    def is_listed(self) -> bool:
        return self.status == self.LISTED


class SlotStatus(models.TextChoices):
    OPEN = "open", "Open"
    CANCELLED = "cancelled", "Cancelled"


class ViewingSlot(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    property = models.ForeignKey(
        PropertyProjection, on_delete=models.PROTECT, related_name="slots", db_constraint=True
    )
    landlord_id = models.UUIDField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    available_slots = models.IntegerField()
    status = models.CharField(max_length=16, choices=SlotStatus.choices, default=SlotStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["property", "starts_at"], name="slot_property_starts")]
        constraints = [
            models.CheckConstraint(
                condition=Q(available_slots__gte=0) & Q(available_slots__lte=F("capacity")),
                name="slot_available_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1) & Q(capacity__lte=SLOT_CAPACITY_MAX),
                name="slot_capacity_range",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            ),
            ExclusionConstraint(
                name="slot_no_overlap_per_property",
                expressions=[
                    ("property", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} ({self.available_slots}/{self.capacity})"


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


class ViewingBooking(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slot = models.ForeignKey(ViewingSlot, on_delete=models.PROTECT, related_name="bookings")
    property_id = models.UUIDField()
    tenant_id = models.UUIDField()
    landlord_id = models.UUIDField()
    status = models.CharField(
        max_length=16, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant_id", "-created_at"], name="booking_tenant_created"),
            models.Index(fields=["property_id", "-created_at"], name="booking_property_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "tenant_id"],
                condition=Q(status="confirmed"),
                name="booking_one_active_per_user_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} on {self.slot_id} ({self.status})"

    @property
    def cancelled_by_or_none(self) -> str | None:
        return self.cancelled_by or None


class ReservationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


ACTIVE_RESERVATION_STATUSES = (ReservationStatus.PENDING, ReservationStatus.CONFIRMED)


class RentalReservation(models.Model):
    """A tenant's request to rent a property for [start_date, end_date). The
    terms (rent, deposit, currency) are the property's when it was requested:
    what the tenant asked for is what rent_service bills."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    property = models.ForeignKey(
        PropertyProjection, on_delete=models.PROTECT, related_name="reservations"
    )
    tenant_id = models.UUIDField()
    landlord_id = models.UUIDField()
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(
        max_length=16, choices=ReservationStatus.choices, default=ReservationStatus.PENDING
    )
    property_title = models.CharField(max_length=200)
    monthly_rent_minor = models.BigIntegerField()
    deposit_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    # A pending reservation the landlord has not answered by then expires.
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    # The first invoice (deposit + first month): paid → never released;
    # failed → released at `release_after` unless paid by then.
    first_invoice_paid = models.BooleanField(default=False)
    release_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant_id", "-created_at"], name="reservation_tenant_created"),
            models.Index(
                fields=["landlord_id", "-created_at"], name="reservation_landlord_created"
            ),
            models.Index(
                fields=["expires_at"],
                condition=Q(status="pending"),
                name="reservation_pending_expiry",
            ),
            models.Index(
                fields=["release_after"],
                condition=Q(status="confirmed", first_invoice_paid=False),
                name="reservation_unpaid_release",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="reservation_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(monthly_rent_minor__gte=0) & Q(deposit_minor__gte=0),
                name="reservation_money_not_negative",
            ),
            ExclusionConstraint(
                name="reservation_no_overlap_per_property",
                expressions=[
                    ("property", RangeOperators.EQUAL),
                    (DateRange("start_date", "end_date"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=["pending", "confirmed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.property_id} {self.start_date}..{self.end_date} ({self.status})"

    @builtins.property  # `property` is a field here
    def reason_or_none(self) -> str | None:
        return self.reason or None
