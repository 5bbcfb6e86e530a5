"""The platform's background processes SIGKILLed in the middle of a burst of
bookings through the REAL gateway: booking_service's outbox relay, and the
Kafka consumers of booking_service and notification_service. Each runs under
its respawn wrapper, as in the Procfile (the kubelet restarts a container the
same way), so a new one takes over; nothing committed is lost (the outbox
row stays unsent until Kafka acknowledged it) and nothing is applied twice
(the inbox): each booking is exactly one `viewing_booked` event and two
notifications."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from faults import kill_worker, notifications, open_slot, settle, wait_for_new_worker
from rentezy_platform.testing import wait_until
from support import register_account, topic_events

pytestmark = pytest.mark.services("auth", "property", "booking", "notification")

TENANTS = 18
VICTIMS = ("booking-outbox_relay", "booking-consume", "notification-consume")


def test_killed_relays_and_consumers_are_replaced_and_lose_or_double_nothing(platform, gw):
    landlord = register_account(gw, role="landlord")
    tenants = [register_account(gw, role="tenant") for _ in range(TENANTS)]
    slot = open_slot(gw, landlord, capacity=TENANTS, days=5)
    for account in [landlord, *tenants]:
        wait_until(lambda a=account: notifications(gw, a), timeout=60, message="welcome")

    killed: dict[str, int] = {}
    done = 0
    lock = threading.Lock()

    def book(tenant) -> httpx.Response:
        nonlocal done
        with httpx.Client(base_url=platform.gateway, timeout=60, trust_env=False) as client:
            response = client.post(
                "/api/bookings", json={"slot_id": slot["id"]}, headers=tenant.headers
            )
        with lock:
            done += 1
            # Kill one victim after each third of the burst.
            index = done * len(VICTIMS) // TENANTS - 1
            if 0 <= index < len(VICTIMS) and VICTIMS[index] not in killed:
                killed[VICTIMS[index]] = kill_worker(platform, VICTIMS[index])
        return response

    with ThreadPoolExecutor(max_workers=3) as pool:
        responses = list(pool.map(book, tenants))
    assert Counter(r.status_code for r in responses) == {201: TENANTS}
    assert set(killed) == set(VICTIMS)
    for name, pid in killed.items():
        wait_for_new_worker(platform, name, pid)
    bookings = sorted(r.json()["id"] for r in responses)

    def landlord_bookings():
        got = sorted(
            n["data"]["booking_id"]
            for n in notifications(gw, landlord)
            if n["type"] == "booking.confirmed"
        )
        return got if got == bookings else None

    settle(landlord_bookings, timeout=180, quiet=5)
    for tenant in tenants:
        kinds = Counter(n["type"] for n in notifications(gw, tenant))
        assert kinds["booking.confirmed"] == 1, (tenant.email, kinds)
    events = topic_events(platform, "rentezy.booking", type="rentezy.booking.viewing_booked.v1")
    ours = {e.id: e.data["booking_id"] for e in events if e.data["booking_id"] in set(bookings)}
    assert sorted(ours.values()) == bookings  # one event id per booking
