"""What a client may send on a WebSocket through the REAL gateway (uvicorn
with the Procfile's flags) to the real chat and notification services:

- a frame over 64 KiB (--ws-max-size) closes the socket with 1009 before the
  gateway reads it: nothing reaches a service, nothing is stored;
- a frame under that but over the consumers' 16 Ki characters gets an
  error frame and the socket stays open (tests/test_chat_e2e.py);
- chat messages faster than CHAT_SOCKET_RATE get `rate_limited` error frames:
  exactly the ones answered with an echo are stored;
- any frames faster than GATEWAY_WS_FRAMES_PER_SECOND (bursts of
  GATEWAY_WS_FRAME_BURST) close the socket on both sides with 1008."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter

import pytest
from support import open_conversation, register_account
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

pytestmark = pytest.mark.services("auth", "chat", "notification")

ORIGIN = os.environ["WEB_APP_ORIGIN"].split(",")[0]
MAX_SIZE = 64 * 1024  # rentezy_platform.servers.WS_MAX_SIZE_BYTES
GATEWAY_BURST = 60  # GATEWAY_WS_FRAME_BURST's default
GATEWAY_RATE = 20  # GATEWAY_WS_FRAMES_PER_SECOND's
CHAT_BURST = 20  # CHAT_SOCKET_BURST's default
CHAT_RATE = 5  # CHAT_SOCKET_RATE's


def socket_url(platform, path: str, token: str) -> str:
    return f"{platform.gateway.replace('http://', 'ws://', 1)}{path}?token={token}"


async def frames_until_closed(ws, timeout: float = 10) -> list[dict]:
    out = []
    try:
        while True:
            out.append(json.loads(await asyncio.wait_for(ws.recv(), timeout)))
    except ConnectionClosed:
        return out


def messages(gw, account, conversation_id: str) -> list[dict]:
    response = gw.get(
        f"/api/chat/conversations/{conversation_id}/messages?page_size=100",
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_a_frame_over_64_kib_closes_the_socket_with_1009_and_reaches_no_service(platform, gw):
    tenant, landlord = register_account(gw, role="tenant"), register_account(gw, role="landlord")
    cid = open_conversation(gw, tenant, landlord)["id"]
    big = json.dumps({"type": "message", "body": "x" * MAX_SIZE})

    async def scenario():
        for path in (f"/ws/chat/{cid}", "/ws/notifications"):
            async with connect(
                socket_url(platform, path, tenant.access), origin=ORIGIN, proxy=None,
                max_size=None,
            ) as ws:  # fmt: skip
                await ws.send(big)
                assert await frames_until_closed(ws) == []
                assert ws.close_code == 1009, (path, ws.close_code, ws.close_reason)
        # Just under the limit is a frame the consumer answers (and refuses).
        async with connect(
            socket_url(platform, f"/ws/chat/{cid}", tenant.access), origin=ORIGIN, proxy=None
        ) as ws:
            await ws.send(json.dumps({"type": "message", "body": "y" * (MAX_SIZE - 100)}))
            answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert (answer["type"], answer["code"]) == ("error", "frame_too_large")

    asyncio.run(scenario())
    assert messages(gw, tenant, cid) == []


def test_chat_messages_past_the_rate_are_refused_and_exactly_the_echoed_ones_stored(platform, gw):
    tenant, landlord = register_account(gw, role="tenant"), register_account(gw, role="landlord")
    cid = open_conversation(gw, tenant, landlord)["id"]
    sent = CHAT_BURST + 15  # at once, under the gateway's burst

    async def scenario() -> tuple[Counter, float]:
        async with connect(
            socket_url(platform, f"/ws/chat/{cid}", tenant.access), origin=ORIGIN, proxy=None
        ) as ws:
            started = time.monotonic()
            for n in range(sent):
                await ws.send(json.dumps({"type": "message", "body": f"flood {n}"}))
            answers = Counter()
            while sum(answers.values()) < sent:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                answers[frame["type"] if frame["type"] == "message" else frame["code"]] += 1
            return answers, time.monotonic() - started

    answers, elapsed = asyncio.run(scenario())
    assert set(answers) == {"message", "rate_limited"}, answers
    # The bucket starts full (the burst) and refills 5 a second while they go.
    assert CHAT_BURST <= answers["message"] <= CHAT_BURST + CHAT_RATE * elapsed, (answers, elapsed)
    assert answers["message"] + answers["rate_limited"] == sent
    stored = messages(gw, tenant, cid)
    assert len(stored) == answers["message"]


def test_frames_past_the_gateways_rate_close_the_socket_with_1008(platform, gw):
    tenant = register_account(gw, role="tenant")

    async def scenario() -> tuple[int, list[dict], int | None, str, float]:
        async with connect(
            socket_url(platform, "/ws/notifications", tenant.access), origin=ORIGIN, proxy=None
        ) as ws:
            started = time.monotonic()
            # A full burst at once is relayed: every ping answered.
            for _ in range(GATEWAY_BURST):
                await ws.send(json.dumps({"type": "ping"}))
            answered = 0
            while answered < GATEWAY_BURST:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert frame["type"] == "pong", frame
                answered += 1
            # The bucket is empty now (it refills 20 a second): another burst
            # gets what refilled meanwhile through, then the socket is closed.
            try:
                for _ in range(GATEWAY_BURST * 2):
                    await ws.send(json.dumps({"type": "ping"}))
            except ConnectionClosed:
                pass
            elapsed = time.monotonic() - started
            after = await frames_until_closed(ws)
            return answered, after, ws.close_code, ws.close_reason, elapsed

    answered, after, code, reason, elapsed = asyncio.run(scenario())
    assert answered == GATEWAY_BURST
    assert (code, reason) == (1008, "too many frames")
    assert {f["type"] for f in after} <= {"pong"}
    assert len(after) <= GATEWAY_RATE * elapsed + 1, (len(after), elapsed)
