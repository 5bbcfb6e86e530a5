"""Rent through the REAL gateway, auth, property, booking and rent services
(their relays, consumers and Celery workers), over real PostgreSQL, Kafka and
Redis, with localstripe as Stripe (its signed webhooks delivered to this
session's gateway): a confirmed reservation becomes a lease whose first
invoice a tenant pays by card, and every way that can go wrong.

- Approving a reservation creates the lease and its first invoice (deposit +
  first, pro-rated month) through rental_confirmed.
- `pm_card_visa` pays it: `paid`, exactly one succeeded payment, and the
  signed `payment_intent.succeeded` webhook is verified and applied once
  (changing nothing more); an Idempotency-Key replay returns the same payment.
- A card refused at attach (`pm_card_visa_chargeDeclined`) is a 402 in the
  error shape; `pm_card_chargeCustomerFail` leaves the invoice open, emits
  `payment_failed`, and booking_service then releases the reservation, whose
  cancellation voids the lease's invoices: the whole loop across services.
- A landlord opens a lease directly for a registered tenant (rent_service
  knows both from rentezy.property and rentezy.user): its first invoice, paid
  by the tenant's card like any other; an overlapping one is a 409.
- Receipts (PDF) and the rent roll (JSON and CSV) for the right people only.
- notification_service turns the payment events into notifications: the
  invoice issued and the payment to the tenant, the payment to the landlord,
  a failed payment to the tenant with an e-mail.
"""

from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import date, timedelta

import httpx
import psycopg
import pytest
from rentezy_platform.testing import wait_until
from support import (
    Account,
    confirmed_lease,
    first_invoice,
    invoices,
    listed_property,
    save_card,
    topic_events,
)

pytestmark = pytest.mark.services("auth", "property", "booking", "rent", "notification")

RENT = 2_100_00
DEPOSIT = 4_200_00


# --- helpers ----------------------------------------------------------------------


def pay(
    gw: httpx.Client, tenant: Account, invoice_id: str, card_id: str, *, key: str | None = None
) -> httpx.Response:
    headers = dict(tenant.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return gw.post(
        f"/api/rent/invoices/{invoice_id}/pay", json={"payment_method_id": card_id}, headers=headers
    )


def notified(gw: httpx.Client, account: Account, kind: str, **data) -> list[dict]:
    """The account's notifications of `kind` whose data has these values, once there."""

    def found() -> list[dict] | None:
        response = gw.get("/api/notifications", headers=account.headers)
        assert response.status_code == 200, response.text
        rows = [
            n
            for n in response.json()["results"]
            if n["type"] == kind and all(n["data"].get(k) == v for k, v in data.items())
        ]
        return rows or None

    return wait_until(found, timeout=60, message=f"a {kind} notification")


def rent_db(platform) -> psycopg.Connection:
    env = platform.env
    return psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        dbname=platform.database_prefix + "rentezy_rent",
        autocommit=True,
    )


def stripe_events_applied(platform, payment_intent_id: str) -> list[str]:
    """The Stripe webhook events rent_service applied for one PaymentIntent
    (its table of applied event ids, joined through the payment)."""
    with rent_db(platform) as conn:
        return [
            row[0]
            for row in conn.execute(
                "SELECT type FROM rent_stripeevent WHERE object_id = %s",
                (payment_intent_id,),
            )
        ]


# --- the happy path -------------------------------------------------------------------


def test_a_confirmed_reservation_becomes_a_lease_whose_first_invoice_a_card_pays_once(
    gw, platform, make_account
):
    landlord, tenant = make_account("landlord"), make_account("tenant")
    reservation, lease = confirmed_lease(gw, landlord, tenant)
    assert lease["tenant_id"] == tenant.id and lease["landlord_id"] == landlord.id
    assert (lease["monthly_rent"], lease["deposit"], lease["status"]) == (
        "2100.00",
        "4200.00",
        "active",
    )

    invoice = first_invoice(gw, tenant, lease["id"])
    kinds = [line["kind"] for line in invoice["lines"]]
    assert kinds[0] == "deposit" and kinds[1] in ("rent", "prorated_rent")
    assert invoice["lines"][0]["amount"] == "4200.00"
    assert invoice["status"] == "open" and invoice["balance"] == invoice["total"]

    refused = save_card(gw, tenant, "pm_card_visa_chargeDeclined")
    assert refused.status_code == 402, refused.text
    assert refused.json()["code"] == "card_declined" and refused.json()["message"]

    saved = save_card(gw, tenant, "pm_card_visa")
    assert saved.status_code == 201, saved.text
    card = saved.json()
    assert (card["brand"], card["last4"]) == ("visa", "4242")
    listed = gw.get("/api/rent/payment-methods", headers=tenant.headers).json()
    assert [c["id"] for c in listed["results"]] == [card["id"]]

    key = str(uuid.uuid4())
    paid = pay(gw, tenant, invoice["id"], card["id"], key=key)
    assert paid.status_code == 200, paid.text
    payment_id = paid.json()["payment_id"]
    replay = pay(gw, tenant, invoice["id"], card["id"], key=key)
    assert replay.status_code == 200 and replay.json() == paid.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    reused = gw.post(
        f"/api/rent/invoices/{invoice['id']}/pay",
        json={},
        headers={**tenant.headers, "Idempotency-Key": key},
    )
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"

    def settled() -> dict | None:
        current = first_invoice(gw, tenant, lease["id"])
        return current if current["status"] == "paid" else None

    done = wait_until(settled, timeout=30, message="the invoice paid")
    assert done["balance"] == "0.00" and done["amount_paid"] == done["total"]
    again = pay(gw, tenant, invoice["id"], card["id"])
    assert again.status_code == 409, again.text

    payments = gw.get("/api/rent/payments", headers=tenant.headers).json()["results"]
    succeeded = [p for p in payments if p["status"] == "succeeded"]
    assert [p["id"] for p in succeeded] == [payment_id]
    assert succeeded[0]["amount"] == invoice["total"]

    # The signed webhook arrives (localstripe sends it about a second later),
    # is verified and recorded, and changes nothing more.
    intent = succeeded[0]["stripe_payment_intent_id"]
    wait_until(
        lambda: "payment_intent.succeeded" in stripe_events_applied(platform, intent),
        timeout=30,
        message="the signed payment_intent.succeeded webhook",
    )
    assert first_invoice(gw, tenant, lease["id"]) == done
    after = gw.get("/api/rent/payments", headers=tenant.headers).json()["results"]
    assert [p["id"] for p in after if p["status"] == "succeeded"] == [payment_id]

    receipt = gw.get(f"/api/rent/payments/{payment_id}/receipt.pdf", headers=tenant.headers)
    assert receipt.status_code == 200 and receipt.headers["content-type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF")
    assert (
        gw.get(f"/api/rent/payments/{payment_id}/receipt.pdf", headers=landlord.headers).status_code
        == 200
    )
    stranger = make_account("tenant")
    assert (
        gw.get(f"/api/rent/payments/{payment_id}/receipt.pdf", headers=stranger.headers).status_code
        == 404
    )
    assert invoices(gw, stranger, lease["id"]) == []

    month = invoice["period"]
    roll = gw.get("/api/rent/reports/rent-roll", params={"month": month}, headers=landlord.headers)
    assert roll.status_code == 200, roll.text
    (row,) = [r for r in roll.json()["results"] if r["lease_id"] == lease["id"]]
    assert (row["due"], row["paid"], row["outstanding"]) == (done["total"], done["total"], "0.00")
    as_csv = gw.get(
        "/api/rent/reports/rent-roll",
        params={"month": month, "format": "csv"},
        headers=landlord.headers,
    )
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r for r in rows if r["lease_id"] == lease["id"]][0]["paid"] == done["total"]
    assert (
        gw.get(
            "/api/rent/reports/rent-roll", params={"month": month}, headers=tenant.headers
        ).status_code
        == 403
    )

    # The events reached notification_service: each party told once.
    assert len(notified(gw, tenant, "invoice.issued", invoice_id=invoice["id"])) == 1
    assert len(notified(gw, tenant, "payment.succeeded", payment_id=payment_id)) == 1
    assert len(notified(gw, landlord, "payment.succeeded", payment_id=payment_id)) == 1


# --- a card that fails: the loop through booking_service ------------------------------


def test_a_failing_card_leaves_the_invoice_open_and_booking_releases_then_rent_voids(
    gw, platform, make_account
):
    landlord, tenant = make_account("landlord"), make_account("tenant")
    reservation, lease = confirmed_lease(gw, landlord, tenant)
    invoice = first_invoice(gw, tenant, lease["id"])
    saved = save_card(gw, tenant, "pm_card_chargeCustomerFail")
    assert saved.status_code == 201, saved.text

    response = pay(gw, tenant, invoice["id"], saved.json()["id"])
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "failed"
    assert first_invoice(gw, tenant, lease["id"])["status"] == "open"

    def failure_event():
        found = topic_events(platform, "rentezy.payment", type="rentezy.payment.payment_failed.v1")
        return next((e for e in found if e.data["invoice_id"] == invoice["id"]), None)

    failed = wait_until(failure_event, timeout=30, message="payment_failed on rentezy.payment")
    assert failed.data["is_first_invoice"] is True
    assert failed.data["reservation_id"] == reservation["id"]
    (told,) = notified(gw, tenant, "payment.failed", invoice_id=invoice["id"])
    assert told["title"] == "Payment failed"
    mailed = wait_until(
        lambda: [m for m in platform.mails() if m["To"] == tenant.email],
        timeout=60,
        message="the payment failure e-mail",
    )
    assert [m["Subject"] for m in mailed] == ["RentEzy: Payment failed"]

    # booking_service releases the reservation after its grace period (3 s in
    # this suite), and rent_service voids the lease's unpaid invoices.
    def released() -> dict | None:
        rows = gw.get("/api/bookings/rentals", headers=tenant.headers).json()["results"]
        (row,) = [r for r in rows if r["id"] == reservation["id"]]
        return row if row["status"] == "cancelled" else None

    assert (
        wait_until(released, timeout=60, message="the release")["reason"] == "first_payment_failed"
    )

    def voided() -> dict | None:
        current = first_invoice(gw, tenant, lease["id"])
        return current if current["status"] == "void" else None

    wait_until(voided, timeout=60, message="the voided invoice")
    leases = gw.get("/api/rent/leases", headers=tenant.headers).json()["results"]
    assert [row["status"] for row in leases if row["id"] == lease["id"]] == ["cancelled"]


# --- a lease a landlord opens directly ------------------------------------------------


def test_a_landlord_opens_a_lease_for_a_registered_tenant_who_pays_its_first_invoice(
    gw, make_account
):
    landlord, tenant = make_account("landlord"), make_account("tenant")
    property_id = listed_property(gw, landlord)
    start = date.today() + timedelta(days=15)
    body = {
        "property_id": property_id,
        "tenant_id": tenant.id,
        "start_date": str(start),
        "end_date": str(start + timedelta(days=365)),
        "due_day": 3,
        "late_fee_policy": {"kind": "flat", "amount": "25.00"},
    }
    deadline = time.monotonic() + 60
    while True:  # until rent_service's projections have the property and the tenant
        response = gw.post("/api/rent/leases", json=body, headers=landlord.headers)
        if response.status_code not in (400, 404) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert response.status_code == 201, response.text
    lease = response.json()
    assert (lease["tenant_id"], lease["monthly_rent"], lease["deposit"], lease["due_day"]) == (
        tenant.id,
        "2100.00",
        "4200.00",
        3,
    )
    assert (lease["reservation_id"], lease["late_fee"]) == (None, "25.00")
    assert [
        row["id"] for row in gw.get("/api/rent/leases", headers=tenant.headers).json()["results"]
    ] == [lease["id"]]

    overlapping = gw.post(
        "/api/rent/leases",
        json={**body, "start_date": str(start + timedelta(days=30))},
        headers=landlord.headers,
    )
    assert overlapping.status_code == 409 and overlapping.json()["code"] == "property_unavailable"
    by_tenant = gw.post("/api/rent/leases", json=body, headers=tenant.headers)
    assert by_tenant.status_code == 403 and by_tenant.json()["code"] == "forbidden"
    other = make_account("landlord")
    assert gw.post("/api/rent/leases", json=body, headers=other.headers).status_code == 403

    invoice = first_invoice(gw, tenant, lease["id"])
    assert invoice["lines"][0] == {
        "kind": "deposit",
        "description": invoice["lines"][0]["description"],
        "amount": "4200.00",
    }
    card = save_card(gw, tenant, "pm_card_visa")
    assert card.status_code == 201, card.text
    paid = pay(gw, tenant, invoice["id"], card.json()["id"])
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.text
    assert first_invoice(gw, tenant, lease["id"])["status"] == "paid"
