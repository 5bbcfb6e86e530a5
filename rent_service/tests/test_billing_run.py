"""The daily billing run over time (real PostgreSQL): a year of a lease that
starts mid-month, run day by day, with exact amounts, late fees only after
the grace period and only once, reminders exactly on their days; the same
day run twice at once; which invoices autopay charges on which day."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from django.db import connection
from rent import billing, billing_run, payments
from rent.models import (
    Invoice,
    InvoiceStatus,
    Lease,
    LeaseStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
    Reminder,
)
from rentezy_platform.outbox.models import OutboxMessage

LATE_FEE = "rentezy.payment.late_fee_applied.v1"
REMINDER = "rentezy.payment.rent_reminder_due.v1"
ISSUED = "rentezy.payment.invoice_issued.v1"


def days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def outbox(type_: str) -> list[dict]:
    return [m.payload["data"] for m in OutboxMessage.objects.filter(type=type_).order_by("id")]


def record_payment(invoice: Invoice, tenant_id) -> None:
    """What a succeeded card payment does to the invoice, through the same
    service function the synchronous answer and the webhook call, without
    Stripe (this suite is about dates; test_payments.py covers Stripe)."""
    card, _ = PaymentMethod.objects.get_or_create(
        tenant_id=tenant_id, stripe_payment_method_id="pm_test_time_travel"
    )
    payment, _ = payments._payment_start(
        invoice_id=invoice.pk, source=PaymentSource.TENANT, method=card
    )
    intent_id = f"pi_time_travel_{uuid.uuid4().hex}"
    Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id=intent_id)
    payments.payment_apply_succeeded(
        payment_id=payment.pk, intent_id=intent_id, amount=payment.amount_minor, currency="usd"
    )


@pytest.mark.django_db
def test_a_year_of_a_lease_that_starts_mid_month_day_by_day(tenant, landlord, make_lease, settings):
    settings.RENT_INVOICE_LEAD_DAYS = 14
    created = date(2027, 1, 2)
    lease = make_lease(tenant, landlord, on=created)  # 2027-01-15 → 2028-01-15, 1,500.00 a month
    Lease.objects.filter(pk=lease.pk).update(
        late_fee_kind="percent", late_fee_percent_bp=500, late_fee_cap_minor=10_000, grace_days=5
    )
    march = None
    for day in days(created, date(2028, 2, 15)):
        billing_run.billing_run(on=day)
        if day == date(2027, 2, 20):  # the tenant pays March's invoice early
            march = Invoice.objects.get(lease=lease, period=date(2027, 3, 1))
            record_payment(march, lease.tenant_id)

    invoices = list(Invoice.objects.filter(lease=lease).order_by("period"))
    assert [i.period_label for i in invoices] == [
        "2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06", "2027-07",
        "2027-08", "2027-09", "2027-10", "2027-11", "2027-12", "2028-01",
    ]  # fmt: skip
    assert [i.amount_minor for i in invoices] == [382_258] + [150_000] * 11 + [67_742]
    assert [line.kind for line in invoices[0].lines.order_by("id")][:2] == [
        "deposit",
        "prorated_rent",
    ]
    assert [line.kind for line in invoices[-1].lines.order_by("id")][0] == "prorated_rent"
    # Issued exactly 14 days ahead of each due date (the first at creation).
    assert invoices[0].issued_on == created and invoices[0].due_date == date(2027, 1, 15)
    for invoice in invoices[1:]:
        assert invoice.due_date == invoice.period.replace(day=1)
        assert invoice.issued_on == invoice.due_date - timedelta(days=14)
    assert len(outbox(ISSUED)) == 13

    # Every unpaid invoice: one late fee of 5 % (75.00, under the 100.00 cap),
    # applied on the sixth day after its due date; the paid one: none.
    unpaid = [i for i in invoices if i.pk != march.pk]
    fees = outbox(LATE_FEE)
    assert sorted(f["invoice_id"] for f in fees) == sorted(str(i.pk) for i in unpaid)
    assert {f["fee_minor"] for f in fees} == {7_500}
    for invoice in unpaid:
        (line,) = invoice.lines.filter(kind="late_fee")
        assert line.amount_minor == 7_500
        assert (invoice.late_fee_minor, invoice.total_minor) == (
            7_500,
            invoice.amount_minor + 7_500,
        )
        assert invoice.status == InvoiceStatus.OVERDUE
    march.refresh_from_db()
    assert (march.status, march.late_fee_minor, march.balance_minor) == (InvoiceStatus.PAID, 0, 0)

    # Reminders exactly on their days, once each; none for the paid invoice.
    sent = Counter()
    for reminder in Reminder.objects.filter(invoice__lease=lease):
        invoice = reminder.invoice
        expected = {
            "7_days": invoice.due_date - timedelta(days=7),
            "3_days": invoice.due_date - timedelta(days=3),
            "due_today": invoice.due_date,
            "overdue": invoice.due_date + timedelta(days=6),
        }[reminder.kind]
        assert reminder.sent_on == expected, (invoice.period_label, reminder.kind)
        sent[invoice.pk] += 1
    assert march.pk not in sent
    assert all(sent[i.pk] == 4 for i in unpaid)
    assert len(outbox(REMINDER)) == 4 * 12
    lease.refresh_from_db()
    assert lease.status == LeaseStatus.ENDED


@pytest.mark.django_db
def test_a_missed_day_catches_up_invoices_and_late_fees_but_sends_no_late_reminder(
    tenant, landlord, make_lease
):
    lease = make_lease(tenant, landlord, on=date(2027, 1, 2))
    # Nothing ran from January 3 to February 20.
    billing_run.billing_run(on=date(2027, 2, 20))
    periods = set(Invoice.objects.filter(lease=lease).values_list("period", flat=True))
    assert periods == {date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)}
    first = Invoice.objects.get(lease=lease, is_first=True)
    feb = Invoice.objects.get(lease=lease, period=date(2027, 2, 1))
    assert first.late_fee_minor > 0 and feb.late_fee_minor > 0  # both past due + grace
    assert not Reminder.objects.filter(invoice__lease=lease).exists()  # none of them fell on Feb 20
    billing_run.billing_run(on=date(2027, 2, 22))  # 7 days before March 1
    assert list(Reminder.objects.filter(invoice__lease=lease).values_list("kind", flat=True)) == [
        "7_days"
    ]


@pytest.mark.django_db(transaction=True)
def test_the_same_day_run_twice_at_once_changes_nothing_more(tenant, landlord, make_lease):
    leases = [
        make_lease(tenant, landlord, on=date(2027, 1, 2), property_id=str(uuid.uuid4()))
        for _ in range(5)
    ]
    billing_run.billing_run(on=date(2027, 1, 15))  # due today: 5 reminders
    barrier = threading.Barrier(2)

    def run(_: int):
        barrier.wait()
        try:
            return billing_run.billing_run(on=date(2027, 1, 21))  # February issued; late fees
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        summaries = list(pool.map(run, range(2)))
    assert sum(s["invoices_issued"] for s in summaries) == 5
    assert sum(s["late_fees_applied"] for s in summaries) == 5
    assert sum(s["reminders_sent"] for s in summaries) == 5  # the overdue ones
    assert Invoice.objects.filter(lease__in=leases).count() == 10
    assert len(outbox(LATE_FEE)) == 5
    kinds = Counter(Reminder.objects.values_list("kind", flat=True))
    assert kinds == {"due_today": 5, "overdue": 5}
    assert len(outbox(REMINDER)) == 10


@pytest.mark.django_db
def test_autopay_selects_due_unpaid_invoices_once_a_day_within_the_bound(
    tenant, landlord, make_lease, settings
):
    settings.RENT_AUTOPAY_MAX_ATTEMPTS = 2
    lease = make_lease(tenant, landlord, on=date(2027, 1, 2))
    manual = make_lease(tenant, landlord, on=date(2027, 1, 2), property_id=str(uuid.uuid4()))
    Lease.objects.filter(pk=lease.pk).update(autopay=True)
    first = Invoice.objects.get(lease=lease, is_first=True)
    assert billing_run.autopay_due(on=date(2027, 1, 14)) == []
    assert billing_run.autopay_due(on=date(2027, 1, 15)) == [str(first.pk)]
    Invoice.objects.filter(pk=first.pk).update(
        autopay_last_on=date(2027, 1, 15), autopay_attempts=1
    )
    assert billing_run.autopay_due(on=date(2027, 1, 15)) == []  # tried today
    assert billing_run.autopay_due(on=date(2027, 1, 16)) == [str(first.pk)]
    Invoice.objects.filter(pk=first.pk).update(
        autopay_last_on=date(2027, 1, 16), autopay_attempts=2
    )
    assert billing_run.autopay_due(on=date(2027, 1, 17)) == []  # the bound
    Invoice.objects.filter(pk=first.pk).update(autopay_attempts=0, autopay_stopped=True)
    assert billing_run.autopay_due(on=date(2027, 1, 17)) == []  # a hard decline
    assert not Invoice.objects.filter(
        lease=manual, pk__in=billing_run.autopay_due(on=date(2027, 3, 1))
    )
    sent = []
    billing_run.billing_run(on=date(2027, 2, 1), charge=lambda pk, on: sent.append((pk, on)))
    feb = Invoice.objects.get(lease=lease, period=date(2027, 2, 1))
    assert sent == [(str(feb.pk), date(2027, 2, 1))]


def test_late_from_and_the_reminder_days_agree_with_the_run():
    assert billing.late_from(date(2027, 3, 1), 5) == date(2027, 3, 7)
    assert billing.reminder_kind(date(2027, 3, 1), 5, date(2027, 3, 7)) == "overdue"
