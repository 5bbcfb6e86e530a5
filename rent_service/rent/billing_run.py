"""The daily billing run (Celery Beat sends `rent.billing_run` once a day at
RENT_BILLING_HOUR in RENT_BILLING_TIME_ZONE; every step takes the date, so
tests travel in time and a missed day can be run later):

1. issue the invoices whose issue date has come (services.invoices_issue_due);
2. end the leases whose end date has come;
3. apply late fees to unpaid invoices past their grace period, once each;
4. send the reminders that fall on the day (7 and 3 days before the due
   date, on it, and the day it becomes overdue), once each;
5. charge autopay invoices that are due (one Celery task per invoice, sent
   after the run's commits: payments.autopay_charge).

Running it twice for one day, concurrently or not, changes nothing more than
once: an invoice is unique per (lease, period), a late fee per invoice, a
reminder per (invoice, kind), and autopay claims its day per invoice.

A reminder is sent on its day only: a run that missed a day does not send
that day's reminders late (a "7 days left" message 5 days before the due date
would be wrong). Late fees and invoices, which are money, do catch up.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from rent import billing, services
from rent.events import enqueue_late_fee_applied, enqueue_rent_reminder_due
from rent.models import (
    UNPAID_INVOICE_STATUSES,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LeaseStatus,
    Reminder,
)

logger = logging.getLogger(__name__)

# The longest grace period (models.GRACE_DAYS_MAX) bounds how far back an
# unpaid invoice's due date can be for a late fee still to be pending.
_LATE_FEE_LOOKBACK_DAYS = 3660


def _unpaid():
    return Invoice.objects.filter(status__in=UNPAID_INVOICE_STATUSES)


def late_fees_apply(*, on: date) -> int:
    """Each unpaid invoice past its grace period gets its late fee once (a
    zero fee only marks it overdue). Returns how many fees were applied."""
    candidates = (
        _unpaid()
        .filter(due_date__lt=on, due_date__gte=on - timedelta(days=_LATE_FEE_LOOKBACK_DAYS))
        .exclude(lines__kind=billing.LINE_LATE_FEE)
        .select_related("lease")
        .only("id", "due_date", "lease__grace_days")
    )
    applied = 0
    for candidate in candidates.iterator(chunk_size=500):
        if on < billing.late_from(candidate.due_date, candidate.lease.grace_days):
            continue
        applied += _late_fee_apply(invoice_id=candidate.pk, on=on)
    return applied


def _late_fee_apply(*, invoice_id: Any, on: date) -> int:
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("lease")
            .filter(pk=invoice_id, status__in=UNPAID_INVOICE_STATUSES)
            .first()
        )
        if invoice is None or invoice.balance_minor <= 0:
            return 0
        if on < billing.late_from(invoice.due_date, invoice.lease.grace_days):
            return 0
        fee = billing.late_fee_minor(invoice.lease.terms)
        if fee > 0:
            try:
                with transaction.atomic():
                    InvoiceLine.objects.create(
                        invoice=invoice,
                        kind=billing.LINE_LATE_FEE,
                        description=f"Late fee (due {invoice.due_date:%b} {invoice.due_date.day})",
                        amount_minor=fee,
                    )
            except IntegrityError:  # applied already
                return 0
            invoice.late_fee_minor += fee
        if fee == 0 and invoice.status == InvoiceStatus.OVERDUE:
            return 0
        invoice.status = InvoiceStatus.OVERDUE
        invoice.save(update_fields=["late_fee_minor", "status", "updated_at"])
        if fee > 0:
            enqueue_late_fee_applied(invoice, fee_minor=fee)
    return 1 if fee > 0 else 0


def reminders_send(*, on: date) -> int:
    """The reminders that fall on `on`, once each. Returns how many."""
    # The four days a reminder can fall on, seen from the due date.
    near = Q(due_date__in=[on + timedelta(days=7), on + timedelta(days=3), on])
    overdue = Q(due_date__lt=on, due_date__gte=on - timedelta(days=_LATE_FEE_LOOKBACK_DAYS))
    candidates = _unpaid().filter(near | overdue).select_related("lease")
    sent = 0
    for invoice in candidates.iterator(chunk_size=500):
        kind = billing.reminder_kind(invoice.due_date, invoice.lease.grace_days, on)
        if kind is None or invoice.balance_minor <= 0:
            continue
        try:
            with transaction.atomic():
                Reminder.objects.create(invoice=invoice, kind=kind, sent_on=on)
                enqueue_rent_reminder_due(invoice, kind=kind)
        except IntegrityError:  # sent already
            continue
        sent += 1
    return sent


def autopay_due(*, on: date) -> list[str]:
    """The ids of the unpaid invoices autopay should charge on `on`."""
    return [
        str(pk)
        for pk in _unpaid()
        .filter(
            lease__autopay=True,
            lease__status=LeaseStatus.ACTIVE,
            due_date__lte=on,
            autopay_stopped=False,
            autopay_attempts__lt=settings.RENT_AUTOPAY_MAX_ATTEMPTS,
        )
        .filter(Q(autopay_last_on__isnull=True) | Q(autopay_last_on__lt=on))
        .order_by("due_date", "id")
        .values_list("pk", flat=True)
    ]


def billing_run(*, on: date, charge=None) -> dict[str, int]:
    """The day's run (see the module doc). `charge(invoice_id, on)` sends one
    autopay charge (tasks.py passes the Celery task's send); None charges
    nothing. Returns what each step did."""
    summary = {
        "invoices_issued": services.invoices_issue_due(on=on),
        "leases_ended": services.leases_end_due(on=on),
        "late_fees_applied": late_fees_apply(on=on),
        "reminders_sent": reminders_send(on=on),
    }
    due = autopay_due(on=on)
    if charge is not None:
        for invoice_id in due:
            charge(invoice_id, on)
    summary["autopay_charges_sent"] = len(due) if charge is not None else 0
    logger.info("billing run for %s: %s", on, summary)
    return summary
