"""Issue 8, security points 2, 3 (per-user upload rate) and 7, through real
gateways in front of the real services and the real Redis.

- Point 2: the client IP's budget is spent before an uncached token
  validation, and a refused token is remembered (by hash) for a few seconds:
  a client past its budget sending fresh junk tokens, or repeating one, does
  not keep auth_service busy. Validation calls are counted from the real
  auth_service's log: Django logs every 401 it answers as
  `Unauthorized: /internal/validate`.
- Point 3: GATEWAY_UPLOADS_PER_MINUTE image uploads per user.
- Point 7: with Redis down the failed-login limit fails closed (503) while
  the request budgets fail open (logged).
"""

from __future__ import annotations

import asyncio
import socket
import uuid

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

pytestmark = pytest.mark.services("auth", "property")

INVALID_TOKEN = {
    "code": "not_authenticated",
    "message": "The token is invalid, expired or revoked.",
}
VALIDATE_REFUSED = '"message": "Unauthorized: /internal/validate"'


def validate_refusals(platform) -> int:
    return platform.processes["auth"].log.read_text(errors="replace").count(VALIDATE_REFUSED)


def junk_token() -> str:
    return f"junk.{uuid.uuid4().hex}.{uuid.uuid4().hex}"


@pytest.fixture
def extra_gateway(platform):
    started = []

    def start(name: str, **overrides: str) -> httpx.Client:
        process = platform.start_extra_gateway(name, **overrides)
        started.append(process)
        return httpx.Client(base_url=process.url, timeout=20, trust_env=False)

    yield start
    for process in started:
        process.stop()


def test_a_client_past_its_budget_sending_fresh_junk_tokens_costs_no_validation(
    platform, extra_gateway
):
    client = extra_gateway("gateway-budget", GATEWAY_ANON_BUDGET_PER_MINUTE="5")
    before = validate_refusals(platform)

    within = [
        client.get("/api/bookings", headers={"Authorization": f"Bearer {junk_token()}"})
        for _ in range(5)
    ]
    assert [(r.status_code, r.json()) for r in within] == [(401, INVALID_TOKEN)] * 5
    assert validate_refusals(platform) == before + 5

    past = [
        client.get("/api/bookings", headers={"Authorization": f"Bearer {junk_token()}"})
        for _ in range(10)
    ]
    assert [(r.status_code, r.json()["code"]) for r in past] == [(429, "rate_limited")] * 10
    assert all(1 <= int(r.headers["retry-after"]) <= 60 for r in past)
    # Not one more round trip to auth_service.
    assert validate_refusals(platform) == before + 5


def test_websocket_handshakes_past_the_budget_with_fresh_junk_tokens_cost_no_validation(
    platform, extra_gateway
):
    """The same rule on the WebSocket handshake: the token travels in the
    query, and a client past its IP budget is refused before any round trip."""
    client = extra_gateway("gateway-ws-budget", GATEWAY_ANON_BUDGET_PER_MINUTE="3")
    ws_base = "ws" + str(client.base_url).removeprefix("http").rstrip("/")

    async def handshake_status() -> int:
        try:
            async with connect(
                f"{ws_base}/ws/notifications?token={junk_token()}", proxy=None, open_timeout=10
            ):
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    before = validate_refusals(platform)
    within = [asyncio.run(handshake_status()) for _ in range(3)]
    assert within == [403] * 3
    assert validate_refusals(platform) == before + 3

    past = [asyncio.run(handshake_status()) for _ in range(8)]
    assert past == [403] * 8
    # Not one more round trip to auth_service.
    assert validate_refusals(platform) == before + 3


def test_a_repeated_junk_token_costs_one_validation(platform, gw):
    token = junk_token()
    before = validate_refusals(platform)

    responses = [
        gw.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}) for _ in range(6)
    ]

    assert [(r.status_code, r.json()) for r in responses] == [(401, INVALID_TOKEN)] * 6
    assert validate_refusals(platform) == before + 1


def test_a_valid_token_past_the_ip_budget_still_works_once_cached(
    platform, extra_gateway, make_account
):
    """The IP's budget is spent by uncached validations only: a user whose
    token is cached goes on spending the user's budget."""
    account = make_account()
    client = extra_gateway("gateway-cached", GATEWAY_ANON_BUDGET_PER_MINUTE="2")
    first = client.get("/api/auth/me", headers=account.headers)  # validates: spends the IP's
    assert first.status_code == 200, first.text
    spent = client.get("/api/bookings", headers={"Authorization": f"Bearer {junk_token()}"})
    assert spent.status_code == 401  # the IP's second and last request
    assert client.get("/api/bookings", headers={"Authorization": "Bearer x"}).status_code == 429

    cached = [client.get("/api/auth/me", headers=account.headers) for _ in range(3)]
    assert [r.status_code for r in cached] == [200] * 3
    assert {r.json()["id"] for r in cached} == {account.id}


def test_ipv6_clients_share_one_budget_per_64_and_mapped_ipv4_counts_as_ipv4(extra_gateway):
    """Behind one trusted proxy (X-Forwarded-For believed for one hop): every
    address of a /64 spends one budget, another /64 has its own, and an
    IPv4-mapped IPv6 address is the IPv4 address."""
    client = extra_gateway(
        "gateway-ipv6", GATEWAY_TRUSTED_PROXY_HOPS="1", GATEWAY_ANON_BUDGET_PER_MINUTE="3"
    )

    def status_from(address: str) -> int:
        return client.get("/api/properties", headers={"X-Forwarded-For": address}).status_code

    same_64 = ["2001:db8:1:2::a", "2001:db8:1:2::b", "2001:db8:1:2:ffff:ffff:ffff:ffff"]
    assert [status_from(a) for a in same_64] == [200, 200, 200]
    assert status_from("2001:db8:1:2::d") == 429
    assert status_from("2001:db8:1:3::a") == 200  # the next /64

    mapped = ["::ffff:198.51.100.7", "::ffff:198.51.100.7", "198.51.100.7"]
    assert [status_from(a) for a in mapped] == [200, 200, 200]
    assert status_from("::ffff:198.51.100.7") == 429
    assert status_from("198.51.100.8") == 200


# --- point 3: image uploads per user ------------------------------------------------------------


def test_image_uploads_are_limited_per_user(platform, extra_gateway, make_account):
    landlord, other = make_account("landlord"), make_account("landlord")
    client = extra_gateway("gateway-uploads", GATEWAY_UPLOADS_PER_MINUTE="2")
    missing = f"/api/properties/{uuid.uuid4()}/images"
    files = {"image": ("photo.png", b"not really a png", "image/png")}

    answered = [client.post(missing, files=files, headers=landlord.headers) for _ in range(2)]
    limited = client.post(missing, files=files, headers=landlord.headers)

    assert [(r.status_code, r.json()["code"]) for r in answered] == [(404, "not_found")] * 2
    assert limited.status_code == 429
    assert limited.json() == {
        "code": "rate_limited",
        "message": f"Too many requests. Retry in {limited.headers['retry-after']} seconds.",
    }
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # Other requests of the same user, and another user's uploads, go on.
    assert client.get("/api/auth/me", headers=landlord.headers).status_code == 200
    other_upload = client.post(missing, files=files, headers=other.headers)
    assert (other_upload.status_code, other_upload.json()["code"]) == (404, "not_found")


# --- point 7: Redis down -----------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_without_redis_logins_fail_closed_and_budgets_fail_open(
    platform, extra_gateway, make_account
):
    account = make_account()
    client = extra_gateway(
        "gateway-no-redis",
        REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0",
        GATEWAY_ANON_BUDGET_PER_MINUTE="1",
        GATEWAY_USER_BUDGET_PER_MINUTE="1",
    )

    logins = [
        client.post("/api/auth/login", json={"email": account.email, "password": password})
        for password in (account.password, "a wrong guess", account.password)
    ]
    for login in logins:
        assert login.status_code == 503
        assert login.json() == {
            "code": "upstream_unavailable",
            "message": "Sign-in is temporarily unavailable. Retry in a few seconds.",
        }
        assert login.headers["retry-after"] == "5"
        assert "access" not in login.text

    # Budgets of 1 a minute, but Redis is down: every request goes through.
    anonymous = [client.get("/api/properties") for _ in range(3)]
    users = [client.get("/api/auth/me", headers=account.headers) for _ in range(3)]
    assert [r.status_code for r in anonymous] == [200] * 3
    assert [r.status_code for r in users] == [200] * 3
    log = platform.logs / "gateway-no-redis.log"
    assert "Rate limits fail open, logins fail closed: Redis unavailable" in log.read_text()
