"""The read side of rent_service through signed requests (real PostgreSQL):
leases, invoices, payments, receipts and the rent roll, with the exact
fields of API.md, and who may see what."""

from __future__ import annotations

import csv
import io
import uuid
import zlib
from datetime import date

import pytest
from rent import payments
from rent.models import Invoice, Payment, PaymentMethod, PaymentSource, PaymentStatus

pytestmark = pytest.mark.django_db

LEASES, INVOICES, PAYMENTS, ROLL = (
    "/api/rent/leases",
    "/api/rent/invoices",
    "/api/rent/payments",
    "/api/rent/reports/rent-roll",
)


def paid(invoice: Invoice) -> Payment:
    """A succeeded card payment of the invoice, applied by the service
    function the Stripe answer and webhook call (no Stripe needed to read)."""
    card, _ = PaymentMethod.objects.get_or_create(
        tenant_id=invoice.tenant_id,
        stripe_payment_method_id="pm_read_side",
        defaults={"brand": "visa", "last4": "4242"},
    )
    payment, _ = payments._payment_start(
        invoice_id=invoice.pk, source=PaymentSource.TENANT, method=card
    )
    Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id=f"pi_{uuid.uuid4().hex}")
    payment.refresh_from_db()
    return payments.payment_apply_succeeded(
        payment_id=payment.pk,
        intent_id=payment.stripe_payment_intent_id,
        amount=payment.amount_minor,
        currency="usd",
    )


def test_leases_carry_the_api_fields_for_both_parties_and_no_one_else(
    gateway, tenant, landlord, other_tenant, other_landlord, make_lease
):
    lease = make_lease(tenant, landlord, on=date(2027, 1, 2))
    for caller in (tenant, landlord):
        body = gateway.get(LEASES, as_=caller).json()
        assert body["count"] == 1
        (row,) = body["results"]
        assert row["id"] == str(lease.pk)
        assert {
            k: row[k]
            for k in (
                "property_id", "tenant_id", "landlord_id", "monthly_rent", "currency", "deposit",
                "start_date", "end_date", "due_day", "grace_days", "late_fee", "status", "autopay",
            )
        } == {
            "property_id": str(lease.property_id),
            "tenant_id": tenant.user_id,
            "landlord_id": landlord.user_id,
            "monthly_rent": "1500.00",
            "currency": "USD",
            "deposit": "3000.00",
            "start_date": "2027-01-15",
            "end_date": "2028-01-15",
            "due_day": 1,
            "grace_days": 5,
            "late_fee": "75.00",
            "status": "active",
            "autopay": False,
        }  # fmt: skip
        assert row["late_fee_policy"] == {
            "kind": "percent", "amount": "0.00", "percent": "5.00", "cap": "100.00"
        }  # fmt: skip
        assert gateway.get(f"{LEASES}/{lease.pk}", as_=caller).status_code == 200
    for stranger in (other_tenant, other_landlord):
        assert gateway.get(LEASES, as_=stranger).json()["count"] == 0
        assert gateway.get(f"{LEASES}/{lease.pk}", as_=stranger).status_code == 404
    assert gateway.get(f"{LEASES}/not-a-uuid", as_=tenant).status_code == 404
    assert gateway.get(f"{LEASES}?status=bogus", as_=tenant).status_code == 400
    assert gateway.get(LEASES).status_code == 401


def test_only_the_tenant_sets_autopay_and_nothing_else(
    gateway, tenant, landlord, other_tenant, make_lease
):
    lease = make_lease(tenant, landlord)
    path = f"{LEASES}/{lease.pk}"
    on = gateway.patch(path, {"autopay": True}, as_=tenant)
    assert (on.status_code, on.json()["autopay"]) == (200, True)
    assert gateway.patch(path, {"autopay": False}, as_=landlord).status_code == 403
    assert gateway.patch(path, {"autopay": False}, as_=other_tenant).status_code == 404
    refused = gateway.patch(path, {"autopay": False, "monthly_rent": "1.00"}, as_=tenant)
    assert refused.status_code == 400 and "monthly_rent" in refused.json()["fields"]
    assert gateway.patch(path, {"autopay": "maybe"}, as_=tenant).status_code == 400
    assert gateway.patch(path, {}, as_=tenant).status_code == 400
    assert gateway.get(path, as_=tenant).json()["autopay"] is True


def test_invoices_list_their_lines_and_filter_by_lease_and_status(
    gateway, tenant, landlord, other_tenant, make_lease
):
    lease = make_lease(tenant, landlord, on=date(2027, 1, 2))
    other = make_lease(tenant, landlord, on=date(2027, 1, 2), property_id=str(uuid.uuid4()))
    first = Invoice.objects.get(lease=lease)
    paid(Invoice.objects.get(lease=other))
    body = gateway.get(f"{INVOICES}?lease_id={lease.pk}", as_=tenant).json()
    (row,) = body["results"]
    assert row == {
        "id": str(first.pk),
        "lease_id": str(lease.pk),
        "period": "2027-01",
        "lines": [
            {"kind": "deposit", "description": "Security deposit", "amount": "3000.00"},
            {
                "kind": "prorated_rent",
                "description": "Rent, January 2027: 17 of 31 days (Jan 15–Jan 31)",
                "amount": "822.58",
            },
        ],
        "amount": "3822.58",
        "late_fee": "0.00",
        "total": "3822.58",
        "amount_paid": "0.00",
        "balance": "3822.58",
        "currency": "USD",
        "due_date": "2027-01-15",
        "status": "open",
        "is_first": True,
        "issued_on": "2027-01-02",
        "paid_at": None,
        "autopay_attempts": 0,
    }
    assert gateway.get(f"{INVOICES}?status=paid", as_=landlord).json()["count"] == 1
    assert gateway.get(f"{INVOICES}?status=open", as_=tenant).json()["count"] == 1
    assert gateway.get(INVOICES, as_=other_tenant).json()["count"] == 0
    assert gateway.get(f"{INVOICES}/{first.pk}", as_=landlord).json()["id"] == str(first.pk)
    assert gateway.get(f"{INVOICES}/{first.pk}", as_=other_tenant).status_code == 404
    assert gateway.get(f"{INVOICES}?lease_id=nope", as_=tenant).status_code == 400
    assert gateway.get(f"{INVOICES}?page=0", as_=tenant).status_code == 400


def test_payments_and_their_pdf_receipts_for_the_two_parties_only(
    gateway, tenant, landlord, other_tenant, other_landlord, make_lease
):
    invoice = Invoice.objects.get(lease=make_lease(tenant, landlord))
    payment = paid(invoice)
    rows = gateway.get(PAYMENTS, as_=tenant).json()["results"]
    assert [(r["id"], r["status"], r["amount"], r["invoice_id"]) for r in rows] == [
        (str(payment.pk), "succeeded", "3822.58", str(invoice.pk))
    ]
    assert rows[0]["receipt_url"] == f"/api/rent/payments/{payment.pk}/receipt.pdf"
    assert gateway.get(PAYMENTS, as_=landlord).json()["count"] == 1
    assert gateway.get(PAYMENTS, as_=other_landlord).json()["count"] == 0
    receipt = f"/api/rent/payments/{payment.pk}/receipt.pdf"
    for caller in (tenant, landlord):
        response = gateway.get(receipt, as_=caller)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment; filename=")
        pdf = response.content
        assert pdf.startswith(b"%PDF-")
        text = b"".join(
            zlib.decompress(chunk.split(b"stream\n", 1)[1].rsplit(b"\nendstream", 1)[0])
            for chunk in pdf.split(b"endobj")
            if b"/FlateDecode" in chunk and b"stream\n" in chunk
        )
        assert b"3822.58 USD" in text and b"Payment receipt" in text
    for stranger in (other_tenant, other_landlord):
        assert gateway.get(receipt, as_=stranger).status_code == 404
    failed = Payment.objects.create(
        invoice=invoice, lease_id=invoice.lease_id, tenant_id=invoice.tenant_id,
        landlord_id=invoice.landlord_id, attempt=9, amount_minor=100, currency="USD",
        source=PaymentSource.TENANT, status=PaymentStatus.FAILED, failure_code="card_declined",
    )  # fmt: skip
    assert gateway.get(f"/api/rent/payments/{failed.pk}/receipt.pdf", as_=tenant).status_code == 404
    assert gateway.get(f"{PAYMENTS}?status=failed", as_=tenant).json()["count"] == 1


def test_the_rent_roll_in_json_and_csv_for_landlords_only(
    gateway, tenant, other_tenant, landlord, other_landlord, make_lease
):
    unpaid = make_lease(tenant, landlord, on=date(2027, 1, 2), property_title="=HYPERLINK(1)")
    settled = make_lease(other_tenant, landlord, on=date(2027, 1, 2), property_id=str(uuid.uuid4()))
    make_lease(tenant, other_landlord, on=date(2027, 1, 2), property_id=str(uuid.uuid4()))
    paid(Invoice.objects.get(lease=settled))
    body = gateway.get(f"{ROLL}?month=2027-01", as_=landlord).json()
    assert (body["month"], body["count"]) == ("2027-01", 2)
    rows = {r["lease_id"]: r for r in body["results"]}
    assert (rows[str(unpaid.pk)]["due"], rows[str(unpaid.pk)]["outstanding"]) == (
        "3822.58",
        "3822.58",
    )
    assert (rows[str(settled.pk)]["paid"], rows[str(settled.pk)]["outstanding"]) == (
        "3822.58",
        "0.00",
    )
    as_csv = gateway.get(f"{ROLL}?month=2027-01&format=csv", as_=landlord)
    assert as_csv.status_code == 200 and as_csv["Content-Type"].startswith("text/csv")
    assert 'filename="rent-roll-2027-01.csv"' in as_csv["Content-Disposition"]
    parsed = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    assert {r["lease_id"]: (r["due"], r["paid"], r["outstanding"]) for r in parsed} == {
        lease: (r["due"], r["paid"], r["outstanding"]) for lease, r in rows.items()
    }
    # A cell that a spreadsheet would run as a formula is quoted as text.
    assert {r["property_title"] for r in parsed} >= {"'=HYPERLINK(1)"}
    assert gateway.get(f"{ROLL}?month=2027-02", as_=landlord).json()["count"] == 0
    assert gateway.get(f"{ROLL}?month=2027-01", as_=tenant).status_code == 403
    for bad in ("2027-13", "2027-1", "", "01-2027", "2027-01&format=xml"):
        response = gateway.get(f"{ROLL}?month={bad}", as_=landlord)
        assert response.status_code == 400, bad
        assert response.json()["code"] == "invalid"
    assert gateway.get(ROLL, as_=landlord).status_code == 400


def test_the_schema_documents_every_rent_route(gateway):
    schema = gateway.get("/api/schema/?format=json").json()
    paths = set(schema["paths"])
    assert {
        "/api/rent/leases", "/api/rent/leases/{lease_id}", "/api/rent/invoices",
        "/api/rent/invoices/{invoice_id}", "/api/rent/invoices/{invoice_id}/pay",
        "/api/rent/payment-methods", "/api/rent/payments",
        "/api/rent/payments/{payment_id}/receipt.pdf", "/api/rent/reports/rent-roll",
        "/api/rent/webhooks/stripe",
    } <= paths  # fmt: skip
