"""The one table from event type to notifications: for each consumed event
type, which notification `type` goes to whom, with what title and body.

| event (rentezy.*)             | notification type  | to                         | e-mail by default |
|-------------------------------|--------------------|----------------------------|-------------------|
| user.registered               | account.welcome    | the user                   | no                |
| booking.viewing_booked        | booking.confirmed  | tenant and landlord        | no                |
| booking.viewing_cancelled     | booking.cancelled  | the party who did not      | no                |
| booking.slot_cancelled        | booking.cancelled  | each tenant booked on it   | no                |
| booking.rental_requested      | rental.requested   | landlord                   | no                |
| booking.rental_confirmed      | rental.approved    | tenant                     | no                |
| booking.rental_rejected       | rental.rejected    | tenant                     | no                |
| booking.rental_cancelled      | rental.cancelled   | tenant and landlord        | no                |
| booking.rental_expired        | rental.expired     | tenant and landlord        | no                |
| payment.invoice_issued        | invoice.issued     | tenant                     | no                |
| payment.payment_succeeded     | payment.succeeded  | tenant and landlord        | no                |
| payment.payment_failed        | payment.failed     | tenant                     | yes               |
| payment.late_fee_applied      | late_fee.applied   | tenant                     | yes               |
| payment.rent_reminder_due     | rent.reminder      | tenant                     | yes               |
| chat.message_sent             | message.received   | each recipient not in the  | yes               |
|                               |                    | conversation right now     |                   |

`rentezy.user.updated` only refreshes the directory. Every notification
carries in `data` the ids a client needs to link to the object (booking,
reservation, invoice, conversation...). A user turns e-mail on or off per
type (`GET/PATCH /api/notifications/preferences`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rentezy_platform.money import format_minor

# Every notification type, and whether it goes by e-mail unless the user says otherwise.
EMAIL_BY_DEFAULT: dict[str, bool] = {
    "account.welcome": False,
    "booking.confirmed": False,
    "booking.cancelled": False,
    "rental.requested": False,
    "rental.approved": False,
    "rental.rejected": False,
    "rental.cancelled": False,
    "rental.expired": False,
    "invoice.issued": False,
    "payment.succeeded": False,
    "payment.failed": True,
    "late_fee.applied": True,
    "rent.reminder": True,
    "message.received": True,
}
TYPES = tuple(EMAIL_BY_DEFAULT)


@dataclass(frozen=True)
class Planned:
    """One notification an event makes: for `user_id`, of `type`."""

    user_id: str
    type: str
    title: str
    body: str
    data: dict[str, Any]


def _money(minor: int, currency: str) -> str:
    return f"{format_minor(int(minor))} {currency}"


def _when(iso: str) -> str:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.strftime("%a %d %b %Y, %H:%M UTC")


def _title(data: Mapping[str, Any]) -> str:
    return data.get("property_title") or "your property"


_REMINDER_TITLES = {
    "7_days": "Rent due in 7 days",
    "3_days": "Rent due in 3 days",
    "due_today": "Rent due today",
    "overdue": "Rent overdue",
}


def _user_registered(d: Mapping[str, Any]) -> list[Planned]:
    name = (d.get("full_name") or "").split(" ")[0] or "there"
    return [
        Planned(
            d["user_id"],
            "account.welcome",
            "Welcome to RentEzy",
            f"Hi {name}, your account is ready.",
            {"role": d.get("role")},
        )
    ]


def _viewing_booked(d: Mapping[str, Any]) -> list[Planned]:
    when, title = _when(d["starts_at"]), _title(d)
    data = {k: d[k] for k in ("booking_id", "slot_id", "property_id", "starts_at")}
    return [
        Planned(d["tenant_id"], "booking.confirmed", "Viewing booked",
                f"Your viewing of {title} is confirmed for {when}.", data),
        Planned(d["landlord_id"], "booking.confirmed", "New viewing booked",
                f"A tenant booked a viewing of {title} on {when}.", data),
    ]  # fmt: skip


def _viewing_cancelled(d: Mapping[str, Any]) -> list[Planned]:
    by_tenant = d["cancelled_by"] == "tenant"
    data = {k: d[k] for k in ("booking_id", "slot_id", "property_id", "cancelled_by")}
    if by_tenant:
        return [Planned(d["landlord_id"], "booking.cancelled", "Viewing cancelled",
                        "A tenant cancelled their viewing.", data)]  # fmt: skip
    return [Planned(d["tenant_id"], "booking.cancelled", "Viewing cancelled",
                    "The landlord cancelled your viewing.", data)]  # fmt: skip


def _slot_cancelled(d: Mapping[str, Any]) -> list[Planned]:
    data = {k: d[k] for k in ("slot_id", "property_id")}
    return [
        Planned(tenant, "booking.cancelled", "Viewing cancelled",
                "The landlord cancelled the viewing you booked.", data)
        for tenant in d["tenant_ids"]
    ]  # fmt: skip


def _rental_requested(d: Mapping[str, Any]) -> list[Planned]:
    data = {k: d[k] for k in ("reservation_id", "property_id", "start_date", "end_date")}
    return [Planned(d["landlord_id"], "rental.requested", "New rental request",
                    f"A tenant asks to rent {_title(d)} from {d['start_date']} to "
                    f"{d['end_date']}.", data)]  # fmt: skip


def _rental_confirmed(d: Mapping[str, Any]) -> list[Planned]:
    data = {k: d[k] for k in ("reservation_id", "property_id", "start_date", "end_date")}
    return [Planned(d["tenant_id"], "rental.approved", "Rental approved",
                    f"Your request to rent {_title(d)} from {d['start_date']} was approved. "
                    "Your first invoice is on its way.", data)]  # fmt: skip


def _rental_rejected(d: Mapping[str, Any]) -> list[Planned]:
    data = {k: d[k] for k in ("reservation_id", "property_id", "reason")}
    return [Planned(d["tenant_id"], "rental.rejected", "Rental request declined",
                    "The landlord declined your rental request.", data)]  # fmt: skip


def _rental_ended(kind: str, title: str, body: str) -> Callable[[Mapping[str, Any]], list[Planned]]:
    def plan(d: Mapping[str, Any]) -> list[Planned]:
        data = {k: d[k] for k in ("reservation_id", "property_id", "reason")}
        return [Planned(d[who], kind, title, body, data) for who in ("tenant_id", "landlord_id")]

    return plan


def _invoice_issued(d: Mapping[str, Any]) -> list[Planned]:
    data = {k: d[k] for k in ("invoice_id", "lease_id", "period", "due_date")}
    return [Planned(d["tenant_id"], "invoice.issued", f"Invoice for {d['period']}",
                    f"{_money(d['amount_minor'], d['currency'])} due on {d['due_date']}.",
                    data)]  # fmt: skip


def _payment_succeeded(d: Mapping[str, Any]) -> list[Planned]:
    amount = _money(d["amount_minor"], d["currency"])
    data = {k: d[k] for k in ("payment_id", "invoice_id", "lease_id")}
    return [
        Planned(d["tenant_id"], "payment.succeeded", "Payment received",
                f"Your payment of {amount} went through. Your receipt is ready.", data),
        Planned(d["landlord_id"], "payment.succeeded", "Rent paid",
                f"A tenant paid {amount}.", data),
    ]  # fmt: skip


def _payment_failed(d: Mapping[str, Any]) -> list[Planned]:
    data = {k: d[k] for k in ("payment_id", "invoice_id", "lease_id", "reason")}
    return [Planned(d["tenant_id"], "payment.failed", "Payment failed",
                    f"Your payment of {_money(d['amount_minor'], d['currency'])} failed "
                    f"({d['reason']}). Please pay with another card.", data)]  # fmt: skip


def _late_fee_applied(d: Mapping[str, Any]) -> list[Planned]:
    data = {k: d[k] for k in ("invoice_id", "lease_id")}
    return [Planned(d["tenant_id"], "late_fee.applied", "Late fee added",
                    f"A late fee of {_money(d['fee_minor'], d['currency'])} was added to "
                    "your unpaid invoice.", data)]  # fmt: skip


def _rent_reminder_due(d: Mapping[str, Any]) -> list[Planned]:
    data = {k: d[k] for k in ("invoice_id", "lease_id", "due_date", "kind")}
    title = _REMINDER_TITLES.get(d["kind"], "Rent reminder")
    return [Planned(d["tenant_id"], "rent.reminder", title,
                    f"{_money(d['amount_minor'], d['currency'])} due on {d['due_date']}.",
                    data)]  # fmt: skip


def _message_sent(d: Mapping[str, Any]) -> list[Planned]:
    data = {k: d[k] for k in ("conversation_id", "message_id", "sender_id")}
    return [Planned(recipient, "message.received", "New message", d["preview"], data)
            for recipient in d["recipient_ids"]]  # fmt: skip


PLANS: dict[str, Callable[[Mapping[str, Any]], list[Planned]]] = {
    "rentezy.user.registered.v1": _user_registered,
    "rentezy.booking.viewing_booked.v1": _viewing_booked,
    "rentezy.booking.viewing_cancelled.v1": _viewing_cancelled,
    "rentezy.booking.slot_cancelled.v1": _slot_cancelled,
    "rentezy.booking.rental_requested.v1": _rental_requested,
    "rentezy.booking.rental_confirmed.v1": _rental_confirmed,
    "rentezy.booking.rental_rejected.v1": _rental_rejected,
    "rentezy.booking.rental_cancelled.v1": _rental_ended(
        "rental.cancelled", "Rental cancelled", "A rental was cancelled."
    ),
    "rentezy.booking.rental_expired.v1": _rental_ended(
        "rental.expired", "Rental request expired", "A rental request expired unanswered."
    ),
    "rentezy.payment.invoice_issued.v1": _invoice_issued,
    "rentezy.payment.payment_succeeded.v1": _payment_succeeded,
    "rentezy.payment.payment_failed.v1": _payment_failed,
    "rentezy.payment.late_fee_applied.v1": _late_fee_applied,
    "rentezy.payment.rent_reminder_due.v1": _rent_reminder_due,
    "rentezy.chat.message_sent.v1": _message_sent,
}
