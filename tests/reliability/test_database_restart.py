"""PostgreSQL SIGKILLed under the REAL services and started again by the
infrastructure script: while it is down every service answers 503
`service_unavailable` with Retry-After (never a 500, never a hang), and once
it is back they answer again on their own: no service restarted, no request
after the outage lost."""

from __future__ import annotations

import time
from collections import Counter

import httpx
import pytest
from faults import kill_infra, start_infra
from rentezy_platform.testing import wait_until
from support import property_body, register_account

pytestmark = pytest.mark.services("auth", "property", "booking", "chat", "notification", "search")


def test_services_answer_503_while_postgres_is_down_and_recover_without_a_restart(platform, gw):
    tenant = register_account(gw, role="tenant")
    landlord = register_account(gw, role="landlord")
    created = gw.post("/api/properties", json=property_body(), headers=landlord.headers)
    assert created.status_code == 201, created.text
    property_id = created.json()["id"]
    # One call per service that needs its database (the gateway has cached
    # both tokens, as it would in steady state).
    calls = {
        "property": ("GET", f"/api/properties/{property_id}", landlord),
        "booking": ("GET", "/api/bookings", tenant),
        "chat": ("GET", "/api/chat/conversations", tenant),
        "notification": ("GET", "/api/notifications", tenant),
        "auth": ("GET", "/api/auth/me", tenant),
    }

    def call(client: httpx.Client, name: str) -> httpx.Response:
        method, path, account = calls[name]
        return client.request(method, path, headers=account.headers)

    for name in calls:
        assert call(gw, name).status_code == 200, name
    pids = {name: process.popen.pid for name, process in platform.processes.items()}

    try:
        # Inside the try: whatever happens once the kill is sent, the finally
        # starts PostgreSQL again for the tests that follow.
        kill_infra("postgres")
        seen: Counter = Counter()
        with httpx.Client(base_url=platform.gateway, timeout=30, trust_env=False) as client:
            for _ in range(3):
                for name in calls:
                    started = time.monotonic()
                    response = call(client, name)
                    elapsed = time.monotonic() - started
                    seen[(name, response.status_code)] += 1
                    assert response.status_code == 503, (name, response.status_code, response.text)
                    assert response.json()["code"] == "service_unavailable", response.text
                    assert response.headers.get("Retry-After"), name
                    assert elapsed < 10, (name, elapsed)  # the connect timeout, not a hang
            # A login needs the database too: refused the same way.
            login = client.post(
                "/api/auth/login", json={"email": tenant.email, "password": "x" * 12}
            )
            assert login.status_code == 503, login.text
    finally:
        start_infra("postgres")

    # Back on their own: the same processes answer 200 again.
    for name in calls:
        wait_until(
            lambda n=name: call(gw, n).status_code == 200, timeout=60, message=f"{name} to recover"
        )
    assert {name: p.popen.pid for name, p in platform.processes.items()} == pids
    assert all(p.popen.poll() is None for p in platform.processes.values())
    # And writes work again, end to end.
    again = gw.post("/api/properties", json=property_body(), headers=landlord.headers)
    assert again.status_code == 201, again.text
