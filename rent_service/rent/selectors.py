"""Reads of rent_service: what each caller may see.

A tenant sees the leases they rent, their invoices, payments and receipts; a
landlord sees the same for the leases on their properties. Anything else is
absent (a 404 in the views), never a 403 that would say it exists.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from rentezy_platform.errors import NotFound
from rentezy_platform.parsing import uuid_or_none
from rentezy_platform.trust import Actor

from rent.models import Invoice, InvoiceLine, Lease, Payment, PaymentStatus


def _party(actor: Actor) -> Q:
    return Q(tenant_id=actor.user_id) | Q(landlord_id=actor.user_id)


def lease_list_for(*, actor: Actor, status: str | None = None) -> QuerySet[Lease]:
    leases = Lease.objects.filter(_party(actor))
    if status:
        leases = leases.filter(status=status)
    return leases.order_by("-created_at", "-id")


def lease_get_for(*, actor: Actor, lease_id: Any) -> Lease:
    lease = Lease.objects.filter(_party(actor), pk=uuid_or_none(lease_id)).first()
    if lease is None:
        raise NotFound()
    return lease


def _with_lines(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    return invoices.prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("id")))


def invoice_list_for(
    *, actor: Actor, lease_id: Any = None, status: str | None = None
) -> QuerySet[Invoice]:
    invoices = Invoice.objects.filter(_party(actor))
    if lease_id is not None:
        invoices = invoices.filter(lease_id=lease_id)
    if status:
        invoices = invoices.filter(status=status)
    return _with_lines(invoices.order_by("-period", "-created_at", "-id"))


def invoice_get_for(*, actor: Actor, invoice_id: Any) -> Invoice:
    invoice = _with_lines(
        Invoice.objects.filter(_party(actor), pk=uuid_or_none(invoice_id))
    ).first()
    if invoice is None:
        raise NotFound()
    return invoice


def payment_list_for(
    *, actor: Actor, invoice_id: Any = None, status: str | None = None
) -> QuerySet[Payment]:
    payments = Payment.objects.filter(_party(actor)).select_related("invoice", "payment_method")
    if invoice_id is not None:
        payments = payments.filter(invoice_id=invoice_id)
    if status:
        payments = payments.filter(status=status)
    return payments.order_by("-created_at", "-id")


def receipt_payment_for(*, actor: Actor, payment_id: Any) -> Payment:
    """A succeeded payment of the caller's lease (tenant or landlord)."""
    payment = (
        Payment.objects.filter(_party(actor), pk=uuid_or_none(payment_id))
        .select_related("invoice__lease", "payment_method")
        .first()
    )
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        raise NotFound(message="No receipt: no such succeeded payment of yours.")
    return payment


def rent_roll(*, actor: Actor, month: date) -> list[dict[str, Any]]:
    """The landlord's invoices for one month, one row per lease: what was due
    (the invoice total, late fees included), paid and outstanding."""
    invoices = (
        Invoice.objects.filter(landlord_id=actor.user_id, period=month)
        .exclude(status="void")
        .select_related("lease")
        .order_by("lease__property_title", "lease_id")
    )
    return [
        {
            "lease_id": invoice.lease_id,
            "property_id": invoice.lease.property_id,
            "property_title": invoice.lease.property_title,
            "tenant_id": invoice.tenant_id,
            "invoice_id": invoice.pk,
            "status": invoice.status,
            "currency": invoice.currency,
            "due_date": invoice.due_date,
            "due": invoice.total_minor,
            "paid": invoice.amount_paid_minor,
            "outstanding": invoice.balance_minor,
            "late_fees": invoice.late_fee_minor,
        }
        for invoice in invoices
    ]
