"""The documents rent_service hands out: a payment's PDF receipt (fpdf2, a
maintained pure-Python PDF library with the core fonts built in: no system
font or native dependency) and the rent roll as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone
from fpdf import FPDF
from rentezy_platform.money import format_minor

from rent.models import Payment

RENT_ROLL_COLUMNS = (
    "lease_id",
    "property_id",
    "property_title",
    "tenant_id",
    "invoice_id",
    "status",
    "currency",
    "due_date",
    "due",
    "paid",
    "outstanding",
    "late_fees",
)
_MONEY_COLUMNS = frozenset({"due", "paid", "outstanding", "late_fees"})


def receipt_number(payment: Payment) -> str:
    return f"RZ-{payment.paid_at:%Y%m}-{str(payment.pk)[:8].upper()}"


def receipt_pdf(payment: Payment) -> bytes:
    """A one-page receipt of a succeeded payment."""
    invoice, lease = payment.invoice, payment.invoice.lease
    paid_at = timezone.localtime(payment.paid_at, timezone.get_current_timezone())
    amount = f"{format_minor(payment.amount_minor)} {payment.currency}"
    card = payment.payment_method
    rows = [
        ("Receipt number", receipt_number(payment)),
        ("Paid on", f"{paid_at:%Y-%m-%d %H:%M} UTC"),
        ("Amount", amount),
        ("For", f"Invoice {invoice.period_label} (due {invoice.due_date:%Y-%m-%d})"),
        ("Property", lease.property_title or str(lease.property_id)),
        ("Lease", str(lease.pk)),
        ("Tenant", str(payment.tenant_id)),
        ("Landlord", str(payment.landlord_id)),
        ("Card", f"{card.brand.title()} ending {card.last4}" if card else "card"),
        ("Reference", payment.stripe_payment_intent_id or ""),
    ]
    pdf = FPDF(format="A4")
    pdf.set_title(f"RentEzy receipt {receipt_number(payment)}")
    pdf.set_author("RentEzy")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 20)
    pdf.cell(0, 12, "RentEzy", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 14)
    pdf.cell(0, 10, "Payment receipt", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in rows:
        pdf.set_font("helvetica", "B", 11)
        pdf.cell(45, 8, label)
        pdf.set_font("helvetica", "", 11)
        pdf.multi_cell(0, 8, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("helvetica", "I", 9)
    pdf.multi_cell(
        0, 5, "Thank you. This receipt confirms a card payment processed through Stripe."
    )
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    """The PDF core fonts are Latin-1: anything else becomes '?'."""
    return text.encode("latin-1", "replace").decode("latin-1")


def rent_roll_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RENT_ROLL_COLUMNS)
    for row in rows:
        writer.writerow(
            format_minor(row[c]) if c in _MONEY_COLUMNS else _cell(row[c])
            for c in RENT_ROLL_COLUMNS
        )
    return out.getvalue()


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell that starts like a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
