"""Two more processes SIGKILLed under the REAL stack, each replaced by its
respawn wrapper as the Procfile runs it:

- search_service's consumer, while properties are being created through the
  gateway: every property becomes searchable, exactly once;
- notification_service's Celery Beat: the new one takes over the periodic
  sweep of pending e-mails (its log shows the sweep sent again).
"""

from __future__ import annotations

import time
import uuid

import pytest
from faults import kill_worker, settle, wait_for_new_worker
from support import property_body, register_account

pytestmark = pytest.mark.services("auth", "property", "search", "notification")

PROPERTIES = 12


def test_a_killed_search_consumer_is_replaced_and_indexes_everything_once(platform, gw):
    landlord = register_account(gw, role="landlord")
    token = f"kill{uuid.uuid4().hex[:10]}"
    created = []
    killed = None
    for n in range(PROPERTIES):
        body = property_body(title=f"Flat {token} number {n}")
        response = gw.post("/api/properties", json=body, headers=landlord.headers)
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
        if n == PROPERTIES // 3:
            killed = kill_worker(platform, "search-consume")
    assert killed is not None
    wait_for_new_worker(platform, "search-consume", killed)

    def found():
        response = gw.get("/api/search/properties", params={"q": token, "page_size": 100})
        assert response.status_code == 200, response.text
        ids = sorted(r["id"] for r in response.json()["results"])
        return ids if len(ids) == PROPERTIES else None

    ids = settle(found, timeout=120, quiet=3)
    assert ids == sorted(created)


def test_a_killed_beat_is_replaced_and_beats_again(platform, gw):
    name = "notification-celery-beat"
    killed = kill_worker(platform, name)
    new = wait_for_new_worker(platform, name, killed)
    assert new != killed
    # The replacement runs its schedule: its log shows the sweep sent again.
    log = platform.workers[name].log
    offset = log.stat().st_size
    deadline = time.monotonic() + 30
    while "notifications.send_pending_emails" not in log.read_bytes()[offset:].decode(
        errors="replace"
    ):
        assert time.monotonic() < deadline, "the new Beat never sent the sweep"
        time.sleep(0.2)
