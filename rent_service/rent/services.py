"""Writes of rent_service's lease and invoice lifecycle: leases from confirmed
reservations or opened by a landlord for an existing tenant (checked against
the property and user projections these events keep), invoices issued from the lease's terms (billing.py), leases
voided when their reservation is cancelled or expires, and leases that end.

Payments (Stripe) are `payments.py`; the daily billing run (late fees,
reminders, autopay) is `billing_run.py`, both on top of these.

Every function here is safe to run twice and under concurrency: a lease is
unique per reservation, an invoice per (lease, period), and an insert that
loses a race to the same row is a no-op, not an error. Dates come in as
parameters (the Celery tasks pass theirs), so tests travel in time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rentezy_platform.errors import Forbidden, InvalidInput, NotFound
from rentezy_platform.parsing import parse_uuid, uuid_or_none
from rentezy_platform.projections import property_terms, versioned_upsert
from rentezy_platform.rentals import PropertyNotListed, PropertyUnavailable, rental_dates_check
from rentezy_platform.trust import Actor

from rent import billing
from rent.events import enqueue_invoice_issued
from rent.models import (
    UNPAID_INVOICE_STATUSES,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Lease,
    LeaseStatus,
    PropertyProjection,
    UserProjection,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DefaultTerms:
    """The terms a lease from a reservation gets beside the reservation's own
    (rent, deposit, currency, dates): settings RENT_DEFAULT_*."""

    due_day: int
    grace_days: int
    late_fee_kind: str
    late_fee_flat_minor: int
    late_fee_percent_bp: int
    late_fee_cap_minor: int | None

    @classmethod
    def from_settings(cls) -> DefaultTerms:
        return cls(
            due_day=settings.RENT_DEFAULT_DUE_DAY,
            grace_days=settings.RENT_DEFAULT_GRACE_DAYS,
            late_fee_kind=settings.RENT_DEFAULT_LATE_FEE_KIND,
            late_fee_flat_minor=settings.RENT_DEFAULT_LATE_FEE_FLAT_MINOR,
            late_fee_percent_bp=settings.RENT_DEFAULT_LATE_FEE_PERCENT_BP,
            late_fee_cap_minor=settings.RENT_DEFAULT_LATE_FEE_CAP_MINOR,
        )


LANDLORD = "landlord"





@dataclass(frozen=True)
class LateFeePolicy:
    kind: str
    flat_minor: int = 0
    percent_bp: int = 0
    cap_minor: int | None = None


def today() -> date:
    """The billing date now, in settings.RENT_BILLING_TIME_ZONE."""
    return timezone.now().astimezone(settings.RENT_BILLING_TZINFO).date()


def lease_create_from_reservation(*, data: Mapping[str, Any], on: date | None = None) -> Lease:
    """A `rental_confirmed` event's data → its lease (terms from the event,
    the rest from the defaults) and first invoice, once per reservation: a
    redelivered event returns the existing lease and changes nothing."""
    reservation_id = parse_uuid(data["reservation_id"])
    existing = Lease.objects.filter(reservation_id=reservation_id).first()
    if existing is not None:
        return existing
    defaults = DefaultTerms.from_settings()
    try:
        with transaction.atomic():
            lease = Lease.objects.create(
                reservation_id=reservation_id,
                property_id=parse_uuid(data["property_id"]),
                property_title=str(data.get("property_title") or "")[:200],
                tenant_id=parse_uuid(data["tenant_id"]),
                landlord_id=parse_uuid(data["landlord_id"]),
                currency=data["currency"],
                monthly_rent_minor=int(data["monthly_rent_minor"]),
                deposit_minor=int(data["deposit_minor"]),
                start_date=date.fromisoformat(data["start_date"]),
                end_date=date.fromisoformat(data["end_date"]),
                due_day=defaults.due_day,
                grace_days=defaults.grace_days,
                late_fee_kind=defaults.late_fee_kind,
                late_fee_flat_minor=defaults.late_fee_flat_minor,
                late_fee_percent_bp=defaults.late_fee_percent_bp,
                late_fee_cap_minor=defaults.late_fee_cap_minor,
            )
            invoice_issue_first(lease=lease, on=on or today())
    except IntegrityError:
        # The same reservation's lease committed meanwhile (a concurrent delivery).
        return Lease.objects.get(reservation_id=reservation_id)
    logger.info("lease %s created from reservation %s", lease.id, reservation_id)
    return lease


def property_projection_apply(*, data: Mapping[str, Any]) -> bool:
    """Keep the newest state of a property from a rentezy.property event (an
    older or equal version changes nothing). Returns whether it changed."""
    with transaction.atomic():
        _, applied = versioned_upsert(
            PropertyProjection,
            pk=parse_uuid(data["property_id"]),
            version=int(data["version"]),
            values=property_terms(data),
        )
    return applied


def user_projection_apply(*, data: Mapping[str, Any]) -> UserProjection:
    """Keep a user's role, e-mail and name from rentezy.user events (one
    partition per user keeps them in order; a redelivery rewrites the same)."""
    user, _ = UserProjection.objects.update_or_create(
        pk=parse_uuid(data["user_id"]),
        defaults={
            "role": str(data["role"]),
            "email": str(data.get("email") or ""),
            "full_name": str(data.get("full_name") or "")[:200],
        },
    )
    return user


def lease_create(
    *,
    actor: Actor,
    property_id: Any,
    tenant_id: Any,
    start_date: date,
    end_date: date,
    monthly_rent_minor: int | None = None,
    deposit_minor: int | None = None,
    due_day: int | None = None,
    grace_days: int | None = None,
    late_fee: LateFeePolicy | None = None,
    on: date | None = None,
) -> Lease:
    """A landlord opens a lease on their listed property for a registered
    tenant, with its first invoice. Rent, deposit and currency default to the
    property's; due day, grace days and late fee to the service's defaults.
    Dates as a rental's (rentals.rental_dates_check); overlapping an active
    lease of the property → 409 `property_unavailable`. The property's
    projection row is locked while checking, so two concurrent leases of one
    property cannot both pass."""
    if actor.role != LANDLORD:
        raise Forbidden(message="Only landlords open leases.")
    on = on or today()
    rental_dates_check(start_date=start_date, end_date=end_date, today=on)
    tenant = UserProjection.objects.filter(pk=uuid_or_none(tenant_id)).first()
    if tenant is None or tenant.role != UserProjection.TENANT:
        raise InvalidInput(fields={"tenant_id": ["No registered tenant has this id."]})
    defaults = DefaultTerms.from_settings()
    late_fee = late_fee or LateFeePolicy(
        kind=defaults.late_fee_kind,
        flat_minor=defaults.late_fee_flat_minor,
        percent_bp=defaults.late_fee_percent_bp,
        cap_minor=defaults.late_fee_cap_minor,
    )
    with transaction.atomic():
        projection = (
            PropertyProjection.objects.select_for_update()
            .filter(pk=uuid_or_none(property_id))
            .first()
        )
        if projection is None:
            raise NotFound(message="No such property.")
        if projection.owner_id != actor.user_id:
            raise Forbidden(message="Only the property's owner opens its leases.")
        if not projection.is_listed:
            raise PropertyNotListed()
        overlapping = Lease.objects.filter(
            property_id=projection.id,
            status=LeaseStatus.ACTIVE,
            start_date__lt=end_date,
            end_date__gt=start_date,
        )
        if overlapping.exists():
            raise PropertyUnavailable(
                message="The property already has an active lease for some of these dates."
            )
        lease = Lease.objects.create(
            property_id=projection.id,
            property_title=projection.title,
            tenant_id=tenant.id,
            landlord_id=actor.user_id,
            currency=projection.currency,
            monthly_rent_minor=(
                projection.monthly_rent_minor if monthly_rent_minor is None else monthly_rent_minor
            ),
            deposit_minor=projection.deposit_minor if deposit_minor is None else deposit_minor,
            start_date=start_date,
            end_date=end_date,
            due_day=defaults.due_day if due_day is None else due_day,
            grace_days=defaults.grace_days if grace_days is None else grace_days,
            late_fee_kind=late_fee.kind,
            late_fee_flat_minor=late_fee.flat_minor,
            late_fee_percent_bp=late_fee.percent_bp,
            late_fee_cap_minor=late_fee.cap_minor,
        )
        invoice_issue_first(lease=lease, on=on)
    logger.info("lease %s opened by landlord %s for tenant %s", lease.id, actor.user_id, tenant.id)
    return lease


def _invoice_create(
    *, lease: Lease, period: date, lines: list[billing.Line], due: date, first: bool, on: date
) -> Invoice | None:
    """Insert one invoice with its lines and enqueue invoice_issued; None when
    this (lease, period) exists already. The caller owns the transaction."""
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                lease=lease,
                period=period,
                tenant_id=lease.tenant_id,
                landlord_id=lease.landlord_id,
                currency=lease.currency,
                amount_minor=sum(line.amount_minor for line in lines),
                due_date=due,
                is_first=first,
                issued_on=on,
            )
    except IntegrityError:
        return None
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            kind=line.kind,
            description=line.description,
            amount_minor=line.amount_minor,
        )
        for line in lines
    )
    enqueue_invoice_issued(invoice)
    return invoice


def invoice_issue_first(*, lease: Lease, on: date) -> Invoice | None:
    """The first invoice: the deposit and the first (maybe pro-rated) month,
    due on the start date (or `on`, if later)."""
    terms = lease.terms
    return _invoice_create(
        lease=lease,
        period=billing.periods(terms)[0],
        lines=billing.first_invoice_lines(terms),
        due=billing.first_due_date(terms, issued_on=on),
        first=True,
        on=on,
    )


def invoices_issue_for_lease(*, lease: Lease, on: date) -> list[Invoice]:
    """Issue every invoice of the lease whose issue date has come by `on`
    (catching up any a missed run did not issue); existing ones are skipped."""
    terms = lease.terms
    due_periods = billing.periods_to_issue(terms, on=on, lead_days=settings.RENT_INVOICE_LEAD_DAYS)
    if not due_periods:
        return []
    existing = set(
        Invoice.objects.filter(lease=lease, period__in=due_periods).values_list("period", flat=True)
    )
    issued = []
    for period in due_periods:
        if period in existing:
            continue
        with transaction.atomic():
            invoice = _invoice_create(
                lease=lease,
                period=period,
                lines=[billing.rent_line(terms, period)],
                due=billing.due_date(terms, period),
                first=False,
                on=on,
            )
        if invoice is not None:
            issued.append(invoice)
    return issued


def invoices_issue_due(*, on: date) -> int:
    """The billing run's first step: every active lease's invoices due to be
    issued by `on`. Returns how many were issued."""
    count = 0
    leases = Lease.objects.filter(status=LeaseStatus.ACTIVE, end_date__gt=on).order_by("id")
    for lease in leases.iterator(chunk_size=500):
        count += len(invoices_issue_for_lease(lease=lease, on=on))
    return count


def lease_void_for_reservation(*, data: Mapping[str, Any]) -> Lease | None:
    """A reservation cancelled or expired (rental_cancelled / _expired): its
    lease, if any, is cancelled and its unpaid invoices void. Once: a lease
    already cancelled changes nothing. Invoices with money paid on them stay
    as they are (a refund is a landlord's decision, outside this service)."""
    reservation_id = parse_uuid(data["reservation_id"])
    with transaction.atomic():
        lease = Lease.objects.select_for_update().filter(reservation_id=reservation_id).first()
        if lease is None or lease.status == LeaseStatus.CANCELLED:
            return lease
        lease.status = LeaseStatus.CANCELLED
        lease.save(update_fields=["status", "updated_at"])
        voided = Invoice.objects.filter(
            lease=lease, status__in=UNPAID_INVOICE_STATUSES, amount_paid_minor=0
        ).update(status=InvoiceStatus.VOID, voided_at=timezone.now(), updated_at=timezone.now())
    logger.info(
        "lease %s cancelled (reservation %s): %d invoices void", lease.id, reservation_id, voided
    )
    return lease


def lease_set_autopay(*, actor: Actor, lease_id: Any, autopay: bool) -> Lease:
    """The lease's tenant turns autopay on or off (its landlord may not: 403)."""
    lease = Lease.objects.filter(pk=uuid_or_none(lease_id)).first()
    if lease is None or actor.user_id not in (lease.tenant_id, lease.landlord_id):
        raise NotFound()
    if actor.user_id != lease.tenant_id:
        raise Forbidden(message="Only the lease's tenant sets autopay.")
    if lease.autopay != autopay:
        Lease.objects.filter(pk=lease.pk).update(autopay=autopay, updated_at=timezone.now())
        lease.refresh_from_db()
    return lease


def leases_end_due(*, on: date) -> int:
    """Active leases whose end date has come are `ended`."""
    return Lease.objects.filter(status=LeaseStatus.ACTIVE, end_date__lte=on).update(
        status=LeaseStatus.ENDED, updated_at=timezone.now()
    )
