"""Integration events rent_service publishes (topic `rentezy.payment`, key
lease_id): invoices issued, payments succeeded and failed, late fees applied,
rent reminders due.

Schemas: contracts/events/rentezy.payment.*.schema.json. One
`enqueue_<event>(...)` per type, called by the service function that makes the
change, inside its transaction (outbox_enqueue), so an event exists exactly
when its change committed. The handlers of other services' events live in
`handlers.py`, never here.
"""

from __future__ import annotations

from typing import Any

from rentezy_platform.outbox.services import outbox_enqueue

from rent.models import Invoice, Payment

INVOICE_ISSUED = "rentezy.payment.invoice_issued.v1"
PAYMENT_SUCCEEDED = "rentezy.payment.payment_succeeded.v1"
PAYMENT_FAILED = "rentezy.payment.payment_failed.v1"
LATE_FEE_APPLIED = "rentezy.payment.late_fee_applied.v1"
RENT_REMINDER_DUE = "rentezy.payment.rent_reminder_due.v1"


def _parties(invoice: Invoice) -> dict[str, Any]:
    return {
        "invoice_id": invoice.id,
        "lease_id": invoice.lease_id,
        "tenant_id": invoice.tenant_id,
        "landlord_id": invoice.landlord_id,
    }


def enqueue_invoice_issued(invoice: Invoice) -> None:
    outbox_enqueue(
        type=INVOICE_ISSUED,
        subject=str(invoice.lease_id),
        data={
            **_parties(invoice),
            "reservation_id": invoice.lease.reservation_id,
            "period": invoice.period_label,
            "amount_minor": invoice.total_minor,
            "currency": invoice.currency,
            "due_date": invoice.due_date,
            "is_first_invoice": invoice.is_first,
        },
    )


def _payment(payment: Payment, invoice: Invoice) -> dict[str, Any]:
    return {
        **_parties(invoice),
        "payment_id": payment.id,
        "reservation_id": invoice.lease.reservation_id,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "is_first_invoice": invoice.is_first,
    }


def enqueue_payment_succeeded(payment: Payment, invoice: Invoice) -> None:
    outbox_enqueue(
        type=PAYMENT_SUCCEEDED,
        subject=str(invoice.lease_id),
        data={**_payment(payment, invoice), "paid_at": payment.paid_at},
    )


def enqueue_payment_failed(payment: Payment, invoice: Invoice, *, reason: str) -> None:
    outbox_enqueue(
        type=PAYMENT_FAILED,
        subject=str(invoice.lease_id),
        data={**_payment(payment, invoice), "reason": reason},
    )


def enqueue_late_fee_applied(invoice: Invoice, *, fee_minor: int) -> None:
    outbox_enqueue(
        type=LATE_FEE_APPLIED,
        subject=str(invoice.lease_id),
        data={**_parties(invoice), "fee_minor": fee_minor, "currency": invoice.currency},
    )


def enqueue_rent_reminder_due(invoice: Invoice, *, kind: str) -> None:
    outbox_enqueue(
        type=RENT_REMINDER_DUE,
        subject=str(invoice.lease_id),
        data={
            "invoice_id": invoice.id,
            "lease_id": invoice.lease_id,
            "tenant_id": invoice.tenant_id,
            "due_date": invoice.due_date,
            "amount_minor": invoice.balance_minor,
            "currency": invoice.currency,
            "kind": kind,
        },
    )
