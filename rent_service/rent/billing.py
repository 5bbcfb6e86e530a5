"""The billing rules of a lease, as pure functions of its terms and a date:
which monthly periods it bills, what each invoice's lines are, when each is
due, issued and late, and what a late fee is. No database, no clock: the
services and the Celery tasks pass the date in, so tests travel in time.

Rules:

- A lease covers the days [start_date, end_date) (the tenant moves out on
  `end_date`, as a reservation's half-open range).
- It is billed per calendar month (`period`, its first day). A month the lease
  covers whole is one `rent` line of the monthly rent; a month it covers in
  part (the first when it starts mid-month, the last when it ends mid-month)
  is one `prorated_rent` line: rent x covered days / days in that month,
  rounded half up to the minor unit, in integers.
- The first invoice, issued when the lease is created, carries the deposit
  (a `deposit` line, when there is one) and the first month. It is due on the
  lease's start date, or on the day it is issued if that is later.
- Every later month is due on the lease's `due_day` (1..28) of that month, or
  on the lease's last day if it ends earlier in the month, and is issued
  `lead_days` before that (never before the period's own month minus the lead).
- An invoice with a balance is late after `grace_days` past its due date: the
  late fee applies on the first day after the grace (once: the database
  allows one `late_fee` line per invoice). The fee is flat, or a percentage
  of the monthly rent (basis points) with an optional cap.
- Reminders: 7 and 3 days before the due date, on the due date, and when it
  becomes overdue (the day the late fee applies).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

LINE_RENT = "rent"
LINE_PRORATED_RENT = "prorated_rent"
LINE_DEPOSIT = "deposit"
LINE_LATE_FEE = "late_fee"

LATE_FEE_FLAT = "flat"
LATE_FEE_PERCENT = "percent"

REMINDER_7_DAYS = "7_days"
REMINDER_3_DAYS = "3_days"
REMINDER_DUE_TODAY = "due_today"
REMINDER_OVERDUE = "overdue"
REMINDER_KINDS = (REMINDER_7_DAYS, REMINDER_3_DAYS, REMINDER_DUE_TODAY, REMINDER_OVERDUE)


@dataclass(frozen=True)
class Terms:
    monthly_rent_minor: int
    deposit_minor: int
    start_date: date
    end_date: date  # exclusive
    due_day: int = 1
    grace_days: int = 5
    late_fee_kind: str = LATE_FEE_FLAT
    late_fee_flat_minor: int = 0
    late_fee_percent_bp: int = 0  # basis points of the monthly rent (500 = 5 %)
    late_fee_cap_minor: int | None = None


@dataclass(frozen=True)
class Line:
    kind: str
    description: str
    amount_minor: int


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(period: date) -> date:
    return date(period.year + (period.month == 12), period.month % 12 + 1, 1)


def days_in_month(period: date) -> int:
    return calendar.monthrange(period.year, period.month)[1]


def period_label(period: date) -> str:
    return f"{period.year:04d}-{period.month:02d}"


def divide_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def prorate(monthly_minor: int, covered_days: int, month_days: int) -> int:
    return divide_half_up(monthly_minor * covered_days, month_days)


def periods(terms: Terms) -> list[date]:
    """Every month the lease covers at least one day of, in order."""
    last_day = terms.end_date - timedelta(days=1)
    result, period = [], month_start(terms.start_date)
    while period <= last_day:
        result.append(period)
        period = next_month(period)
    return result


def covered_days(terms: Terms, period: date) -> int:
    first = max(period, terms.start_date)
    end = min(next_month(period), terms.end_date)
    return max((end - first).days, 0)


def rent_line(terms: Terms, period: date) -> Line:
    days, month_days = covered_days(terms, period), days_in_month(period)
    label = f"{calendar.month_name[period.month]} {period.year}"
    if days == month_days:
        return Line(LINE_RENT, f"Rent, {label}", terms.monthly_rent_minor)
    first = max(period, terms.start_date)
    last = min(next_month(period), terms.end_date) - timedelta(days=1)
    return Line(
        LINE_PRORATED_RENT,
        f"Rent, {label}: {days} of {month_days} days ({first:%b} {first.day}–{last:%b} {last.day})",
        prorate(terms.monthly_rent_minor, days, month_days),
    )


def first_invoice_lines(terms: Terms) -> list[Line]:
    lines = []
    if terms.deposit_minor > 0:
        lines.append(Line(LINE_DEPOSIT, "Security deposit", terms.deposit_minor))
    lines.append(rent_line(terms, periods(terms)[0]))
    return lines


def first_due_date(terms: Terms, *, issued_on: date) -> date:
    return max(terms.start_date, issued_on)


def due_date(terms: Terms, period: date) -> date:
    """The due date of a month after the first."""
    last_day = terms.end_date - timedelta(days=1)
    return min(period.replace(day=terms.due_day), last_day)


def issue_date(terms: Terms, period: date, *, lead_days: int) -> date:
    return due_date(terms, period) - timedelta(days=lead_days)


def periods_to_issue(terms: Terms, *, on: date, lead_days: int) -> list[date]:
    """The months after the first whose invoice is due to be issued by `on`."""
    return [
        period
        for period in periods(terms)[1:]
        if issue_date(terms, period, lead_days=lead_days) <= on
    ]


def late_fee_minor(terms: Terms) -> int:
    if terms.late_fee_kind == LATE_FEE_PERCENT:
        fee = divide_half_up(terms.monthly_rent_minor * terms.late_fee_percent_bp, 10_000)
        if terms.late_fee_cap_minor is not None:
            fee = min(fee, terms.late_fee_cap_minor)
        return fee
    return terms.late_fee_flat_minor


def late_from(due: date, grace_days: int) -> date:
    """The first day an unpaid invoice is late (its late fee applies)."""
    return due + timedelta(days=grace_days + 1)


def reminder_kind(due: date, grace_days: int, on: date) -> str | None:
    """Which reminder of an unpaid invoice falls on `on`, if any."""
    if on == due - timedelta(days=7):
        return REMINDER_7_DAYS
    if on == due - timedelta(days=3):
        return REMINDER_3_DAYS
    if on == due:
        return REMINDER_DUE_TODAY
    if on == late_from(due, grace_days):
        return REMINDER_OVERDUE
    return None
