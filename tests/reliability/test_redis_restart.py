"""Redis SIGKILLed and started again under the REAL gateway, auth, chat and
notification services (Redis holds the gateway's rate limits and the token
revocation channel, the Channels layer, presence and Celery's queue):

- the gateway keeps answering (a small request budget fails open while
  Redis is gone, then counts again), logins work;
- a logout after the restart is honoured within 2 s: the gateway's
  revocation subscriber resubscribed on its own;
- a notification socket that lost its connection reconnects with `after`
  and receives exactly what it missed, then live ones again;
- Celery's worker reconnects, and an e-mail whose task could not be queued
  while Redis was gone is queued again by Beat's sweep: each message's
  e-mail is sent exactly once.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

import httpx
import pytest
from faults import kill_infra, settle, start_infra
from rentezy_platform.testing import wait_until
from support import PASSWORD, open_conversation, register_account
from websockets.asyncio.client import connect

pytestmark = pytest.mark.services("auth", "chat", "notification")

WEB_ORIGIN = os.environ["WEB_APP_ORIGIN"].split(",")[0]


def _ws(platform, path: str, token: str) -> str:
    base = platform.gateway.replace("http://", "ws://", 1)
    joiner = "&" if "?" in path else "?"
    return f"{base}{path}{joiner}token={token}"


async def _frame(socket, timeout: float = 15) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


def test_after_a_redis_restart_limits_revocation_sockets_and_celery_recover(platform, gw):
    tenant = register_account(gw, role="tenant")
    landlord = register_account(gw, role="landlord")

    conversation_id = open_conversation(gw, landlord, tenant)["id"]
    wait_until(
        lambda: gw.get("/api/notifications", headers=tenant.headers).json()["results"],
        timeout=60, message="the welcome notification",
    )  # fmt: skip

    def say(body: str) -> None:
        response = gw.post(f"/api/chat/conversations/{conversation_id}/messages",
                           json={"body": body}, headers=landlord.headers)  # fmt: skip
        assert response.status_code == 201, response.text

    async def before_restart() -> int:
        bell = await connect(_ws(platform, "/ws/notifications", tenant.access),
                             origin=WEB_ORIGIN, proxy=None)  # fmt: skip
        await asyncio.to_thread(say, "before the restart")
        seen = await _frame(bell)
        assert seen["notification"]["body"] == "before the restart"
        await bell.close()
        return seen["notification"]["id"]

    last_seen = asyncio.run(before_restart())

    # A gateway with a small anonymous budget (5 a minute) counts in Redis.
    budgeted = platform.start_extra_gateway(
        "gateway-small-budget", GATEWAY_ANON_BUDGET_PER_MINUTE="5"
    )
    anonymous = httpx.Client(base_url=budgeted.url, timeout=20, trust_env=False)

    def statuses(count: int) -> list[int]:
        return [anonymous.get("/api/auth/me").status_code for _ in range(count)]

    try:
        assert statuses(6) == [401] * 5 + [429]
        try:
            kill_infra("redis")
            # Redis is gone: the gateways still answer, their budgets fail open.
            assert gw.get("/api/notifications", headers=tenant.headers).status_code in (200, 503)
            assert statuses(8) == [401] * 8
        finally:
            start_infra("redis")
        # Back: the budget counts again (what survived the kill, if anything,
        # counts too): never more than 5 more before a 429.
        wait_until(lambda: 429 in statuses(6), timeout=30, message="the budget counting again")
    finally:
        anonymous.close()
        budgeted.stop()

    # The gateway, its rate limits and logins: back.
    def gateway_answers():
        return gw.get("/api/auth/me", headers=tenant.headers).status_code == 200

    wait_until(gateway_answers, timeout=60, message="the gateway after Redis came back")
    # Logins fail closed while the failed-login limit cannot be counted, and
    # open again by themselves.
    login = wait_until(
        lambda: (r := gw.post("/api/auth/login", json={"email": tenant.email,
                                                       "password": PASSWORD})).status_code == 200
        and r,
        timeout=30, message="logins after the Redis restart",
    )  # fmt: skip

    # A message while the tenant is away; the socket reconnects with `after`.
    say("while you were away")

    async def reconnect() -> tuple[list[str], str]:
        # The notification's arrival is asynchronous (Kafka, then the consumer).
        await asyncio.sleep(0)
        bell = await connect(_ws(platform, f"/ws/notifications?after={last_seen}", tenant.access),
                             origin=WEB_ORIGIN, proxy=None)  # fmt: skip
        missed = [(await _frame(bell, timeout=60))["notification"]["body"]]
        try:
            extra = await asyncio.wait_for(bell.recv(), 1.5)
            missed.append(json.loads(extra)["notification"]["body"])
        except TimeoutError:
            pass
        await asyncio.to_thread(say, "live again")
        live = (await _frame(bell))["notification"]["body"]
        await bell.close()
        return missed, live

    missed, live = asyncio.run(reconnect())
    assert missed == ["while you were away"]
    assert live == "live again"

    # Every message's e-mail, exactly once (Celery's worker reconnected; one
    # whose task could not be queued while Redis was gone came from Beat's sweep).
    bodies = ("before the restart", "while you were away", "live again")

    def mailed() -> dict[str, int]:
        texts = [m.as_string() for m in platform.mails() if m["To"] == tenant.email]
        counts = {body: sum(body in text for text in texts) for body in bodies}
        return counts if all(counts.values()) else None

    settle(mailed, timeout=90, quiet=4)
    assert mailed() == dict.fromkeys(bodies, 1)

    # Revocation: the gateway's subscriber is back; a logout is honoured within 2 s.
    session = login.json()
    headers = {"Authorization": f"Bearer {session['access']}"}
    assert gw.get("/api/auth/me", headers=headers).status_code == 200  # cached by the gateway
    out = gw.post("/api/auth/logout", json={"refresh": session["refresh"]}, headers=headers)
    assert out.status_code == 204, out.text
    deadline = time.monotonic() + 2.0
    while gw.get("/api/auth/me", headers=headers).status_code != 401:
        assert time.monotonic() < deadline, "a logout after the Redis restart was not honoured"
        time.sleep(0.05)
