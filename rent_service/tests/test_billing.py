"""The billing rules (rent/billing.py) alone: pure functions of a lease's terms
and a date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from rent import billing
from rent.billing import Terms


def terms(**overrides) -> Terms:
    values = dict(
        monthly_rent_minor=150_000,
        deposit_minor=300_000,
        start_date=date(2027, 1, 15),
        end_date=date(2028, 1, 15),
        due_day=1,
        grace_days=5,
    )
    values.update(overrides)
    return Terms(**values)


def test_a_lease_from_mid_month_bills_thirteen_months_prorating_both_ends():
    lease = terms()
    months = billing.periods(lease)
    assert months[0] == date(2027, 1, 1) and months[-1] == date(2028, 1, 1)
    assert len(months) == 13
    first = billing.rent_line(lease, months[0])
    # January 15-31: 17 of 31 days of 1,500.00 = 822.580... → 822.58
    assert (first.kind, first.amount_minor) == (billing.LINE_PRORATED_RENT, 82_258)
    assert [billing.rent_line(lease, m).amount_minor for m in months[1:-1]] == [150_000] * 11
    last = billing.rent_line(lease, months[-1])
    # January 1-14 2028: 14 of 31 days = 677.419... → 677.42
    assert (last.kind, last.amount_minor) == (billing.LINE_PRORATED_RENT, 67_742)


def test_the_first_invoice_carries_the_deposit_and_the_first_month():
    lines = billing.first_invoice_lines(terms())
    assert [(line.kind, line.amount_minor) for line in lines] == [
        (billing.LINE_DEPOSIT, 300_000),
        (billing.LINE_PRORATED_RENT, 82_258),
    ]
    whole = billing.first_invoice_lines(terms(start_date=date(2027, 2, 1), deposit_minor=0))
    assert [(line.kind, line.amount_minor) for line in whole] == [(billing.LINE_RENT, 150_000)]


def test_proration_rounds_half_up_in_integers():
    assert billing.prorate(100, 1, 8) == 13  # 12.5 → 13
    assert billing.prorate(100, 1, 3) == 33
    assert billing.prorate(100, 2, 3) == 67
    assert billing.prorate(2_999_999_999, 29, 29) == 2_999_999_999


def test_due_dates_issue_dates_and_the_last_short_month():
    lease = terms(due_day=5, end_date=date(2027, 4, 3))
    assert billing.first_due_date(lease, issued_on=date(2027, 1, 2)) == date(2027, 1, 15)
    assert billing.first_due_date(lease, issued_on=date(2027, 1, 20)) == date(2027, 1, 20)
    assert billing.due_date(lease, date(2027, 2, 1)) == date(2027, 2, 5)
    # The lease ends on April 3 (last day April 2): April is due on its last day.
    assert billing.due_date(lease, date(2027, 4, 1)) == date(2027, 4, 2)
    assert billing.issue_date(lease, date(2027, 2, 1), lead_days=14) == date(2027, 1, 22)
    assert billing.periods_to_issue(lease, on=date(2027, 1, 21), lead_days=14) == []
    assert billing.periods_to_issue(lease, on=date(2027, 1, 22), lead_days=14) == [date(2027, 2, 1)]
    assert billing.periods_to_issue(lease, on=date(2027, 6, 1), lead_days=14) == [
        date(2027, 2, 1),
        date(2027, 3, 1),
        date(2027, 4, 1),
    ]


@pytest.mark.parametrize(
    ("overrides", "fee"),
    [
        ({"late_fee_kind": "flat", "late_fee_flat_minor": 5_000}, 5_000),
        ({"late_fee_kind": "percent", "late_fee_percent_bp": 500}, 7_500),
        (
            {"late_fee_kind": "percent", "late_fee_percent_bp": 500, "late_fee_cap_minor": 6_000},
            6_000,
        ),
        ({"late_fee_kind": "percent", "late_fee_percent_bp": 0}, 0),
    ],
)
def test_late_fee_is_flat_or_a_capped_percentage_of_the_rent(overrides, fee):
    assert billing.late_fee_minor(terms(**overrides)) == fee


def test_reminders_fall_on_exactly_four_days():
    due = date(2027, 3, 1)
    days = {
        day: billing.reminder_kind(due, 5, day)
        for day in (date(2027, 2, 1) + timedelta(days=n) for n in range(40))
    }
    hits = {day: kind for day, kind in days.items() if kind}
    assert hits == {
        date(2027, 2, 22): "7_days",
        date(2027, 2, 26): "3_days",
        date(2027, 3, 1): "due_today",
        date(2027, 3, 7): "overdue",
    }
    assert billing.late_from(due, 5) == date(2027, 3, 7)
