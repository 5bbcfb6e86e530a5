"""The WebSocket proxy through a real gateway process to a real Channels
consumer (tests/upstream_app.py)."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from gateway.revocation import REVOCATIONS_CHANNEL
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.conftest import WEB_ORIGIN


def ws_url(gateway, path: str) -> str:
    return "ws" + gateway.url[len("http"):] + path


async def _refused(url: str, **kwargs) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, proxy=None, **kwargs):
            pass
    return refused.value.response.status_code


def test_the_consumer_sees_the_signed_identity_and_never_the_token(gateway, make_token):
    token = make_token(role="landlord")

    async def scenario():
        url = ws_url(gateway, f"/ws/chat/room-1?after=5&token={token.value}&x=%C3%A9")
        async with connect(
            url, origin=WEB_ORIGIN, proxy=None, additional_headers={"X-User-ID": "forged", "X-Request-ID": "ws-rid-1"}
        ) as ws:
            return json.loads(await ws.recv())

    hello = asyncio.run(scenario())

    assert hello == {
        "type": "hello",
        "path": "/ws/chat/room-1",
        "query": "after=5&x=%C3%A9",
        "identity": {"user_id": token.user_id, "role": "landlord", "email": token.email},
        "origin": WEB_ORIGIN,
        "request_id": "ws-rid-1",
    }
    time.sleep(0.2)
    assert token.value not in gateway.log.read_text()


def test_frames_and_close_codes_propagate_both_ways(gateway, control, make_token):
    token = make_token()

    async def scenario():
        url = ws_url(gateway, f"/ws/notifications?token={token.value}")
        async with connect(url, origin=WEB_ORIGIN, proxy=None) as ws:
            await ws.recv()  # hello
            await ws.send("ping")
            text = await ws.recv()
            await ws.send(b"\x01\x02\x03")
            binary = await ws.recv()
            await ws.close(code=4001, reason="bye")
        async with connect(url, origin=WEB_ORIGIN, proxy=None) as ws:
            await ws.recv()
            await ws.send("close:4321")
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
        return text, binary, ws.close_code, closed.value.rcvd.code

    text, binary, client_close, received = asyncio.run(scenario())

    assert (text, binary) == ("echo:ping", b"\x03\x02\x01")
    assert received == client_close == 4321
    deadline = time.monotonic() + 3
    while True:
        closes = control.get("/_control/ws-closes").json()["closes"]
        if any(c == {"path": "/ws/notifications", "code": 4001} for c in closes):
            break
        assert time.monotonic() < deadline, closes
        time.sleep(0.05)


def test_a_bad_or_missing_token_is_refused_at_the_handshake(gateway):
    async def scenario():
        return (
            await _refused(ws_url(gateway, "/ws/chat/room-1?token=nope"), origin=WEB_ORIGIN),
            await _refused(ws_url(gateway, "/ws/chat/room-1"), origin=WEB_ORIGIN),
        )

    assert asyncio.run(scenario()) == (403, 403)


def test_a_disallowed_origin_is_refused_at_the_handshake(gateway, make_token):
    token = make_token()

    status = asyncio.run(_refused(ws_url(gateway, f"/ws/chat/r?token={token.value}"), origin="https://evil.example"))

    assert status == 403


def test_a_missing_origin_is_allowed_for_non_browser_clients(gateway, make_token):
    token = make_token()

    async def scenario():
        async with connect(ws_url(gateway, f"/ws/chat/r?token={token.value}"), proxy=None) as ws:
            return json.loads(await ws.recv())

    hello = asyncio.run(scenario())
    assert (hello["identity"]["user_id"], hello["origin"]) == (token.user_id, None)


def test_an_upstream_refusal_and_unknown_paths_are_refused_at_the_handshake(gateway, make_token):
    token = make_token()

    async def scenario():
        return (
            await _refused(ws_url(gateway, f"/ws/chat/refuse?token={token.value}"), origin=WEB_ORIGIN),
            await _refused(ws_url(gateway, f"/ws/elsewhere?token={token.value}"), origin=WEB_ORIGIN),
        )

    assert asyncio.run(scenario()) == (403, 403)


def test_a_revoked_token_cannot_open_a_socket(gateway, control, redis_client, make_token):
    token = make_token()
    assert httpx.get(f"{gateway.url}/api/bookings", headers={"Authorization": f"Bearer {token.value}"}, trust_env=False).status_code == 200
    control.post("/_control/revoke", json={"token": token.value})
    redis_client.publish(REVOCATIONS_CHANNEL, json.dumps({"jti": token.jti, "user_id": token.user_id}))
    time.sleep(0.3)

    status = asyncio.run(_refused(ws_url(gateway, f"/ws/chat/r?token={token.value}"), origin=WEB_ORIGIN))
    assert status == 403
