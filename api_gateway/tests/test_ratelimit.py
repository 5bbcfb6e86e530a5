"""Rate limits in the real Redis, through a real gateway process."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import ANON_BUDGET, USER_BUDGET, bearer, next_address

LOGIN = "/api/auth/login"
GOOD_PASSWORD = "correct-horse-battery"


def _login_calls(control) -> int:
    return control.get("/_control/stats").json()["login_calls"]


def test_the_11th_failed_login_for_one_account_gets_429(gw, control):
    email = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    for attempt in range(10):
        response = gw.post(LOGIN, json={"email": email, "password": f"guess-{attempt}"})
        assert response.status_code == 401, attempt
    calls = _login_calls(control)

    # The same account in another spelling, even with the right password.
    blocked = gw.post(LOGIN, json={"email": f"  {email.upper()} ", "password": GOOD_PASSWORD})

    assert blocked.status_code == 429
    assert blocked.json()["code"] == "rate_limited"
    assert 899 <= int(blocked.headers["retry-after"]) <= 900
    assert (
        blocked.json()["message"]
        == f"Too many requests. Retry in {blocked.headers['retry-after']} seconds."
    )
    assert _login_calls(control) == calls  # never reached auth_service
    # Another account from the same gw is not affected.
    other = gw.post(
        LOGIN, json={"email": f"other-{uuid.uuid4().hex[:8]}@example.com", "password": "x"}
    )
    assert other.status_code == 401


def test_the_account_limit_is_shared_by_every_client_ip(gateway):
    email = f"spread-{uuid.uuid4().hex[:8]}@example.com"
    statuses = []
    for attempt in range(11):
        with httpx.Client(
            transport=httpx.HTTPTransport(local_address=next_address()), trust_env=False
        ) as http:
            statuses.append(
                http.post(
                    f"{gateway.url}{LOGIN}", json={"email": email, "password": f"p{attempt}"}
                ).status_code
            )

    assert statuses == [401] * 10 + [429]


def test_parallel_guesses_cannot_pass_the_account_limit(gateway, control, source_address):
    email = f"burst-{uuid.uuid4().hex[:8]}@example.com"
    calls = _login_calls(control)

    def attempt(i):
        with httpx.Client(
            transport=httpx.HTTPTransport(local_address=source_address), trust_env=False
        ) as http:
            return http.post(
                f"{gateway.url}{LOGIN}", json={"email": email, "password": f"p{i}"}
            ).status_code

    with ThreadPoolExecutor(25) as pool:
        statuses = list(pool.map(attempt, range(25)))

    assert sorted(statuses) == [401] * 10 + [429] * 15
    assert _login_calls(control) == calls + 10


def test_a_successful_login_clears_the_account_failures(gw):
    email = f"typo-{uuid.uuid4().hex[:8]}@example.com"
    for attempt in range(9):
        assert (
            gw.post(LOGIN, json={"email": email, "password": f"typo{attempt}"}).status_code == 401
        )

    assert gw.post(LOGIN, json={"email": email, "password": GOOD_PASSWORD}).status_code == 200

    statuses = [
        gw.post(LOGIN, json={"email": email, "password": "x"}).status_code for _ in range(11)
    ]
    assert statuses == [401] * 10 + [429]


def test_invalid_login_bodies_are_not_counted_as_failures(gw):
    email = f"bad-body-{uuid.uuid4().hex[:8]}@example.com"

    statuses = [gw.post(LOGIN, json={"email": email}).status_code for _ in range(12)]

    assert statuses == [400] * 12


def test_failed_logins_per_ip_are_limited(gw):
    statuses = [
        gw.post(
            LOGIN, json={"email": f"ip-{i}-{uuid.uuid4().hex[:6]}@example.com", "password": "x"}
        ).status_code
        for i in range(31)
    ]

    assert statuses == [401] * 30 + [429]


def test_the_anonymous_budget_is_per_ip(gw, gateway):
    statuses = [gw.get("/api/properties").status_code for _ in range(ANON_BUDGET + 1)]

    assert statuses == [200] * ANON_BUDGET + [429]
    limited = gw.get("/api/properties")
    assert limited.json() == {
        "code": "rate_limited",
        "message": f"Too many requests. Retry in {limited.headers['retry-after']} seconds.",
    }
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    with httpx.Client(
        transport=httpx.HTTPTransport(local_address=next_address()), trust_env=False
    ) as other:
        assert other.get(f"{gateway.url}/api/properties").status_code == 200


def test_failed_authentications_spend_the_ip_budget(gw):
    statuses = [
        gw.get("/api/bookings", headers={"Authorization": "Bearer guess"}).status_code
        for _ in range(ANON_BUDGET + 1)
    ]

    assert statuses == [401] * ANON_BUDGET + [429]


def test_the_user_budget_is_per_user_across_ips(gateway, make_token):
    token = make_token()
    statuses = []
    for _ in range(USER_BUDGET + 1):
        with httpx.Client(
            transport=httpx.HTTPTransport(local_address=next_address()), trust_env=False
        ) as http:
            statuses.append(
                http.get(f"{gateway.url}/api/bookings", headers=bearer(token)).status_code
            )

    assert statuses == [200] * USER_BUDGET + [429]
    other = make_token()
    with httpx.Client(
        transport=httpx.HTTPTransport(local_address=next_address()), trust_env=False
    ) as http:
        assert http.get(f"{gateway.url}/api/bookings", headers=bearer(other)).status_code == 200


# --- per-IP keys: IPv6 by /64, IPv4-mapped as IPv4 (pure logic) --------------------------


@pytest.mark.parametrize(
    ("client_ip", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("::1", "::/64"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_ip_key_groups_ipv6_by_64_and_unmaps_ipv4(client_ip, key):
    from gateway.ratelimit import ip_key

    assert ip_key(client_ip) == key


def test_two_addresses_of_one_ipv6_64_share_a_budget_and_another_64_does_not():
    from gateway.ratelimit import ip_key

    assert ip_key("2001:db8:a:b::1") == ip_key("2001:db8:a:b:1234:5678:9abc:def0")
    assert ip_key("2001:db8:a:b::1") != ip_key("2001:db8:a:c::1")
    assert ip_key("::ffff:198.51.100.7") == ip_key("198.51.100.7")
