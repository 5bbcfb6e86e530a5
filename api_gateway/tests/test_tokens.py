"""Token enforcement, the validation cache and revocation, through a real
gateway process, a real upstream playing auth_service and the real Redis."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from gateway.revocation import REVOCATIONS_CHANNEL

from tests.conftest import bearer, validate_calls

NOT_AUTHENTICATED = "not_authenticated"

PROTECTED = [
    ("GET", "/api/bookings"),
    ("POST", "/api/bookings"),
    ("POST", "/api/properties"),
    ("PATCH", "/api/properties/p1"),
    ("DELETE", "/api/properties/p1"),
    ("POST", "/api/properties/p1/images"),
    ("GET", "/api/auth/me"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/bookings/slots"),
    ("GET", "/api/rent/invoices"),
    ("GET", "/api/chat/conversations"),
    ("GET", "/api/notifications"),
    ("POST", "/api/rent/webhooks/other"),
]
PUBLIC = [
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/password/reset"),
    ("POST", "/api/auth/password/reset/confirm"),
    ("GET", "/api/properties"),
    ("GET", "/api/properties/3f2c9a1e-0000-4000-8000-000000000001"),
    ("HEAD", "/api/properties"),
    ("GET", "/api/bookings/slots"),
    ("POST", "/api/rent/webhooks/stripe"),
    ("GET", "/media/properties/p1/photo.jpg"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_protected_routes_need_a_token(gw, method, path):
    response = gw.request(method, path)

    assert response.status_code == 401
    assert response.json() == {
        "code": NOT_AUTHENTICATED,
        "message": "Authentication credentials were not provided.",
    }
    assert response.headers["www-authenticate"] == 'Bearer realm="rentezy"'


@pytest.mark.parametrize(("method", "path"), PUBLIC)
def test_public_routes_pass_anonymously(gw, method, path):
    response = gw.request(method, path)

    assert response.status_code == 200
    if method != "HEAD":
        assert response.json()["identity"] == {"user_id": None, "role": "anonymous", "email": ""}


def test_a_token_on_a_public_route_still_identifies_the_user(gw, make_token):
    token = make_token(role="landlord")

    response = gw.get("/api/properties?owner=me", headers=bearer(token))

    assert response.json()["identity"] == {
        "user_id": token.user_id,
        "role": "landlord",
        "email": token.email,
    }
    assert response.json()["full_path"] == "/api/properties?owner=me"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-known-token", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a b"],
)
def test_a_bad_token_is_refused_on_public_routes_too(gw, authorization):
    response = gw.get("/api/properties", headers={"Authorization": authorization})

    assert response.status_code == 401
    assert response.json()["code"] == NOT_AUTHENTICATED


def test_valid_answers_are_cached(gw, control, make_token):
    token = make_token()
    before = validate_calls(control)

    statuses = [gw.get("/api/bookings", headers=bearer(token)).status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert validate_calls(control) == before + 1


def test_an_expired_token_is_not_served_from_the_cache(gw, control, make_token):
    token = make_token(ttl=1.5)
    assert gw.get("/api/bookings", headers=bearer(token)).status_code == 200

    time.sleep(1.6)

    assert gw.get("/api/bookings", headers=bearer(token)).status_code == 401


def _wait_for_status(gw, token, status, timeout=2.0) -> float:
    started = time.monotonic()
    while True:
        got = gw.get("/api/bookings", headers=bearer(token)).status_code
        elapsed = time.monotonic() - started
        if got == status:
            return elapsed
        assert elapsed < timeout, f"still {got} after {elapsed:.2f}s"
        time.sleep(0.02)


def test_a_published_revocation_is_honoured_within_2_seconds(gw, control, redis_client, make_token):
    token = make_token()
    assert gw.get("/api/bookings", headers=bearer(token)).status_code == 200
    # auth_service revokes: its validation now says 401, but the gateway's
    # cache would keep answering 200 without the message.
    control.post("/_control/revoke", json={"token": token.value})
    assert gw.get("/api/bookings", headers=bearer(token)).status_code == 200

    redis_client.publish(
        REVOCATIONS_CHANNEL, json.dumps({"jti": token.jti, "user_id": token.user_id})
    )

    assert _wait_for_status(gw, token, 401) < 2.0


def test_a_not_before_revocation_evicts_every_token_of_the_user(
    gw, control, redis_client, make_token
):
    first = make_token()
    second = make_token(user_id=first.user_id)
    bystander = make_token()
    for token in (first, second, bystander):
        assert gw.get("/api/bookings", headers=bearer(token)).status_code == 200
    control.post("/_control/revoke", json={"user_id": first.user_id})
    calls = validate_calls(control)

    redis_client.publish(
        REVOCATIONS_CHANNEL, json.dumps({"user_id": first.user_id, "not_before": int(time.time())})
    )

    assert _wait_for_status(gw, first, 401) < 2.0
    assert _wait_for_status(gw, second, 401) < 2.0
    # Someone else's cached token is untouched: no new validation for it.
    before_bystander = validate_calls(control)
    assert gw.get("/api/bookings", headers=bearer(bystander)).status_code == 200
    assert validate_calls(control) == before_bystander
    assert before_bystander >= calls + 2


def test_malformed_revocation_messages_change_nothing(gw, control, redis_client, make_token):
    token = make_token()
    assert gw.get("/api/bookings", headers=bearer(token)).status_code == 200
    calls = validate_calls(control)

    for payload in ("not json", "[1, 2]", json.dumps({"user_id": token.user_id}), json.dumps({})):
        redis_client.publish(REVOCATIONS_CHANNEL, payload)
    time.sleep(0.3)

    assert gw.get("/api/bookings", headers=bearer(token)).status_code == 200
    assert validate_calls(control) == calls


def _gateway_subscriber_ids(redis_client, gateway) -> list[int]:
    name = f"rentezy-gateway-revocations-{gateway.process.pid}"
    return [c["id"] for c in redis_client.client_list() if c.get("name") == name]


def test_a_lost_subscription_never_keeps_a_revoked_token_alive(
    gw, control, redis_client, gateway, make_token
):
    token = make_token()
    assert gw.get("/api/bookings", headers=bearer(token)).status_code == 200
    ids = _gateway_subscriber_ids(redis_client, gateway)
    assert len(ids) == 1
    # Revoked, and the message is lost: the gateway's subscription is cut first.
    redis_client.execute_command("CLIENT", "KILL", "ID", ids[0])
    control.post("/_control/revoke", json={"token": token.value})

    assert _wait_for_status(gw, token, 401) < 2.0

    # And the subscription comes back by itself.
    deadline = time.monotonic() + 5
    while not _gateway_subscriber_ids(redis_client, gateway):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_auth_service_down_means_503_not_401(upstream, tmp_path, make_token):
    from tests.conftest import free_port, gateway_env, start_uvicorn

    token = make_token()
    server = start_uvicorn(
        "config.asgi:application",
        env=gateway_env(upstream.url, AUTH_SERVICE_URL=f"http://127.0.0.1:{free_port()}"),
        log=tmp_path / "gateway.log",
    )
    try:
        response = httpx.get(f"{server.url}/api/bookings", headers=bearer(token), trust_env=False)
        anonymous = httpx.get(f"{server.url}/api/properties", trust_env=False)
    finally:
        server.stop()

    assert (response.status_code, response.json()) == (
        503,
        {"code": "upstream_unavailable", "message": "Authentication is temporarily unavailable."},
    )
    assert anonymous.status_code == 200


def test_without_redis_every_request_is_validated_and_budgets_fail_open(
    upstream, control, tmp_path, make_token
):
    from tests.conftest import free_port, gateway_env, start_uvicorn

    token = make_token()
    log = tmp_path / "gateway.log"
    server = start_uvicorn(
        "config.asgi:application",
        env=gateway_env(
            upstream.url,
            REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
            GATEWAY_USER_BUDGET_PER_MINUTE="2",
        ),
        log=log,
    )
    try:
        before = validate_calls(control)
        statuses = [
            httpx.get(
                f"{server.url}/api/bookings", headers=bearer(token), trust_env=False
            ).status_code
            for _ in range(4)
        ]
        after = validate_calls(control)
        control.post("/_control/revoke", json={"token": token.value})
        revoked = httpx.get(f"{server.url}/api/bookings", headers=bearer(token), trust_env=False)
        ready = httpx.get(f"{server.url}/readyz", trust_env=False)
    finally:
        server.stop()

    assert statuses == [200] * 4  # over the budget of 2, but Redis is down: fail open
    assert after == before + 4  # no cache without the revocation subscription
    assert revoked.status_code == 401
    assert ready.status_code == 503
    assert ready.json()["checks"]["redis"].startswith("down")
    assert "Rate limits fail open, logins fail closed: Redis unavailable" in log.read_text()
