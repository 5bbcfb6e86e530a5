"""rent_service's Celery worker SIGKILLed in the middle of autopay charges,
through the REAL stack: leases made by booking_service's rental_confirmed,
cards saved and autopay switched on through the gateway, rent's Beat sending
the billing run every 2 s (as it does once a day in production), its worker
charging each due invoice through localstripe.

The kill lands at the worst moment: Stripe has taken the money for one
invoice and the worker has not yet recorded it (the test holds that lease's
row, which recording the outcome locks). The respawned worker gets the
unacknowledged task again and finishes the same payment from its stored
PaymentIntent; Stripe's signed webhook may finish it first. Either way:
every invoice paid, exactly one succeeded payment and one succeeded
PaymentIntent per invoice, one `payment_succeeded` event per invoice and one
notification per payment and recipient."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

import psycopg
import pytest
from faults import kill_worker, notifications, settle, succeeded_intents, wait_for_new_worker
from rentezy_platform.testing import wait_until
from support import (
    confirmed_lease,
    first_invoice,
    register_account,
    saved_card,
    topic_events,
)

pytestmark = pytest.mark.services("auth", "property", "booking", "rent", "notification")

LEASES = 6
WORKER = "rent-celery-worker"


def rent_db(platform, **kwargs) -> psycopg.Connection:
    env = platform.env
    return psycopg.connect(
        host=env["POSTGRES_HOST"], port=env.get("POSTGRES_PORT", "5432"), user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"], dbname=platform.database_prefix + "rentezy_rent",
        **kwargs,
    )  # fmt: skip


def test_a_worker_killed_mid_charge_charges_every_invoice_exactly_once(platform, gw):
    landlord = register_account(gw, role="landlord")
    tenants = [register_account(gw, role="tenant") for _ in range(LEASES)]
    today = datetime.now(UTC).date()
    leases = [confirmed_lease(gw, landlord, t, start=today, days=365)[1] for t in tenants]
    invoices = [first_invoice(gw, t, lease["id"]) for t, lease in zip(tenants, leases, strict=True)]
    assert {(i["status"], i["due_date"]) for i in invoices} == {("open", str(today))}
    for tenant, lease in zip(tenants, leases, strict=True):
        saved_card(gw, tenant)
        switched = gw.patch(
            f"/api/rent/leases/{lease['id']}", json={"autopay": True}, headers=tenant.headers
        )
        assert switched.status_code == 200 and switched.json()["autopay"] is True, switched.text
    ours = {i["id"] for i in invoices}
    # The billing run charges in invoice id order: the kill interrupts the
    # middle one, with charges done before it and charges queued behind it.
    middle = sorted(range(LEASES), key=lambda k: invoices[k]["id"])[LEASES // 2]
    victim = invoices[middle]["id"]
    log = platform.workers[WORKER].log
    log_start = log.stat().st_size

    with rent_db(platform) as locker, rent_db(platform, autocommit=True) as watcher:
        # Recording a charge's outcome locks the invoice with its lease; the
        # claim and the Stripe calls before it do not: holding the lease row
        # stops that one charge after Stripe took the money.
        locker.execute("SELECT id FROM rent_lease WHERE id = %s FOR SHARE", [leases[middle]["id"]])
        platform.start_beat("rent", RENT_BILLING_BEAT_SECONDS="2")
        try:

            def charged_not_recorded() -> bool:
                pending = watcher.execute(
                    "SELECT count(*) FROM rent_payment WHERE invoice_id = %s AND status = 'pending'"
                    " AND stripe_payment_intent_id IS NOT NULL",
                    [victim],
                ).fetchone()[0]
                return pending == 1 and succeeded_intents(platform.env)[victim] == 1

            wait_until(charged_not_recorded, timeout=90, message="the victim's charge at Stripe")
            killed = kill_worker(platform, WORKER)
            locker.rollback()
            wait_for_new_worker(platform, WORKER, killed)

            def all_paid():
                states = [first_invoice(gw, t, i["lease_id"])["status"] for t, i in
                          zip(tenants, invoices, strict=True)]  # fmt: skip
                return states if set(states) == {"paid"} else None

            settle(all_paid, timeout=120, quiet=5)

            # The killed worker's task, unacknowledged, went to its successor.
            def redelivered() -> bool:
                received = re.findall(
                    r"rent\.charge_autopay_invoice\[([0-9a-f-]+)\] received",
                    log.read_bytes()[log_start:].decode(errors="replace"),
                )
                return any(n > 1 for n in Counter(received).values())

            wait_until(redelivered, timeout=60, message="the killed task delivered again")
        finally:
            platform.stop_worker("rent-celery-beat")

    for tenant, invoice in zip(tenants, invoices, strict=True):
        listed = gw.get("/api/rent/payments", headers=tenant.headers)
        assert listed.status_code == 200, listed.text
        mine = [p for p in listed.json()["results"] if p["invoice_id"] == invoice["id"]]
        assert [p["status"] for p in mine] == ["succeeded"], mine
        assert mine[0]["amount"] == invoice["total"]
    intents = succeeded_intents(platform.env)
    assert {i: intents[i] for i in ours} == dict.fromkeys(ours, 1)
    events = topic_events(platform, "rentezy.payment", type="rentezy.payment.payment_succeeded.v1")
    per_invoice = Counter(e.data["invoice_id"] for e in events if e.data["invoice_id"] in ours)
    assert per_invoice == dict.fromkeys(ours, 1)
    assert len({e.id for e in events if e.data["invoice_id"] in ours}) == LEASES

    def payment_notices():
        kinds = Counter(n["type"] for n in notifications(gw, landlord))
        return kinds["payment.succeeded"] if kinds["payment.succeeded"] >= LEASES else None

    assert settle(payment_notices, timeout=60, quiet=3) == LEASES
    for tenant in tenants:
        kinds = Counter(n["type"] for n in notifications(gw, tenant))
        assert kinds["payment.succeeded"] == 1, (tenant.email, kinds)
