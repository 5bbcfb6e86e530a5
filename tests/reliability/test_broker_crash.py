"""The Kafka broker SIGKILLed in the middle of a burst of bookings, rent
payments and chat messages through the REAL gateway (auth, property,
booking, rent, chat and notification services with their relays, consumers
and Celery workers; localstripe as Stripe), then started again by the
infrastructure script.

The promise (ARCHITECTURE.md, "no lost events"): every write keeps
succeeding while the broker is down (the transactional outbox holds the
events), and once it is back every event arrives and every effect happens
exactly once: each booking is one `viewing_booked` event and two
notifications (tenant and landlord), each payment one `payment_succeeded`
event and two notifications, each message one notification for its
recipient; nothing is missing, nothing is doubled."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from faults import kill_infra, notifications, open_slot, settle, start_infra
from rentezy_platform.testing import wait_until
from support import (
    confirmed_lease,
    first_invoice,
    open_conversation,
    register_account,
    saved_card,
    topic_events,
)

pytestmark = pytest.mark.services("auth", "property", "booking", "rent", "chat", "notification")

TENANTS = 16  # each books once and sends the landlord two messages
MESSAGES_PER_TENANT = 2
PAYERS = 6  # the first six also pay the first invoice of a lease


def test_a_broker_killed_mid_burst_loses_and_doubles_nothing(platform, gw):
    landlord = register_account(gw, role="landlord")
    tenants = [register_account(gw, role="tenant") for _ in range(TENANTS)]
    slot = open_slot(gw, landlord, capacity=TENANTS)
    conversations = {t.id: open_conversation(gw, t, landlord)["id"] for t in tenants}
    start = datetime.now(UTC).date() + timedelta(days=10)
    bills = {}  # tenant id -> (invoice id, card id)
    for tenant in tenants[:PAYERS]:
        _, lease = confirmed_lease(gw, landlord, tenant, start=start, days=365)
        bills[tenant.id] = (first_invoice(gw, tenant, lease["id"])["id"], saved_card(gw, tenant))
    # Everyone's welcome notification has arrived: the counts below start clean.
    for account in [landlord, *tenants]:
        wait_until(lambda a=account: notifications(gw, a), timeout=60, message="welcome")

    writes = []
    for tenant in tenants:
        writes.append(("book", tenant, None))
        if tenant.id in bills:
            writes.append(("pay", tenant, None))
        writes += [("say", tenant, n) for n in range(MESSAGES_PER_TENANT)]
    done = 0
    lock = threading.Lock()
    killed = threading.Event()

    def write(item) -> httpx.Response:
        nonlocal done
        kind, tenant, n = item
        with httpx.Client(base_url=platform.gateway, timeout=60, trust_env=False) as client:
            if kind == "book":
                response = client.post(
                    "/api/bookings", json={"slot_id": slot["id"]}, headers=tenant.headers
                )
            elif kind == "pay":
                invoice, card = bills[tenant.id]
                response = client.post(
                    f"/api/rent/invoices/{invoice}/pay",
                    json={"payment_method_id": card},
                    headers=tenant.headers,
                )
            else:
                response = client.post(
                    f"/api/chat/conversations/{conversations[tenant.id]}/messages",
                    json={"body": f"message {n} from {tenant.email}"},
                    headers=tenant.headers,
                )
        with lock:
            done += 1
            if done == len(writes) // 3 and not killed.is_set():
                kill_infra("kafka")  # a third of the way in: no shutdown, no flush
                killed.set()
        return response

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            responses = list(pool.map(write, writes))
        assert killed.is_set()
        # Writes never waited for the broker: all of them succeeded.
        want = {201: len(writes) - PAYERS, 200: PAYERS}  # (a payment is a 200)
        assert Counter(r.status_code for r in responses) == want, [
            r.text for r in responses if r.status_code not in (200, 201)
        ][:3]
    finally:
        started = time.monotonic()
        start_infra("kafka")
        print(f"kafka back after {time.monotonic() - started:.1f}s")

    bookings = {r.json()["id"] for r in responses if "slot_id" in r.json()}
    messages = {r.json()["id"] for r in responses if "conversation_id" in r.json()}
    payments = {r.json()["payment_id"] for r in responses if "payment_id" in r.json()}
    assert {r.json()["status"] for r in responses if "payment_id" in r.json()} == {"succeeded"}
    assert len(bookings) == TENANTS and len(messages) == TENANTS * MESSAGES_PER_TENANT
    assert len(payments) == PAYERS

    def landlord_counts():
        kinds = Counter(n["type"] for n in notifications(gw, landlord))
        want = {
            "booking.confirmed": TENANTS,
            "payment.succeeded": PAYERS,
            "message.received": len(messages),
        }
        got = {k: kinds.get(k, 0) for k in want}
        return got if got == want else None

    # Exactly one notification per event and recipient, held still for a while.
    settle(landlord_counts, timeout=180, quiet=5)
    landlord_items = notifications(gw, landlord)
    assert sorted(
        n["data"]["booking_id"] for n in landlord_items if n["type"] == "booking.confirmed"
    ) == sorted(bookings)
    assert sorted(
        n["data"]["message_id"] for n in landlord_items if n["type"] == "message.received"
    ) == sorted(messages)
    assert sorted(
        n["data"]["payment_id"] for n in landlord_items if n["type"] == "payment.succeeded"
    ) == sorted(payments)
    for tenant in tenants:
        kinds = Counter(n["type"] for n in notifications(gw, tenant))
        assert kinds["booking.confirmed"] == 1, (tenant.email, kinds)
        assert kinds["payment.succeeded"] == (tenant.id in bills), (tenant.email, kinds)
    # On the topic: every booking's event is there, once per event id.
    events = topic_events(platform, "rentezy.booking", type="rentezy.booking.viewing_booked.v1")
    ours = [e for e in events if e.data["booking_id"] in bookings]
    assert sorted({e.data["booking_id"] for e in ours}) == sorted(bookings)
    assert len({e.id for e in ours}) == TENANTS
    paid = topic_events(platform, "rentezy.payment", type="rentezy.payment.payment_succeeded.v1")
    ours = [e for e in paid if e.data["payment_id"] in payments]
    assert sorted(e.data["payment_id"] for e in ours) == sorted(payments)  # once each
    assert len({e.id for e in ours}) == PAYERS
