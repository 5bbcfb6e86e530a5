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
    return "ws" + gateway.url[len("http") :] + path


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
            url,
            origin=WEB_ORIGIN,
            proxy=None,
            additional_headers={"X-User-ID": "forged", "X-Request-ID": "ws-rid-1"},
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

    status = asyncio.run(
        _refused(ws_url(gateway, f"/ws/chat/r?token={token.value}"), origin="https://evil.example")
    )

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
            await _refused(
                ws_url(gateway, f"/ws/chat/refuse?token={token.value}"), origin=WEB_ORIGIN
            ),
            await _refused(
                ws_url(gateway, f"/ws/elsewhere?token={token.value}"), origin=WEB_ORIGIN
            ),
        )

    assert asyncio.run(scenario()) == (403, 403)


def test_a_revoked_token_cannot_open_a_socket(gateway, control, redis_client, make_token):
    token = make_token()
    assert (
        httpx.get(
            f"{gateway.url}/api/bookings",
            headers={"Authorization": f"Bearer {token.value}"},
            trust_env=False,
        ).status_code
        == 200
    )
    control.post("/_control/revoke", json={"token": token.value})
    redis_client.publish(
        REVOCATIONS_CHANNEL, json.dumps({"jti": token.jti, "user_id": token.user_id})
    )
    time.sleep(0.3)

    status = asyncio.run(
        _refused(ws_url(gateway, f"/ws/chat/r?token={token.value}"), origin=WEB_ORIGIN)
    )
    assert status == 403


# --- an open socket ends when its token stops being good (issue 8, point 4) -------------


async def _open(url: str):
    ws = await connect(url, origin=WEB_ORIGIN, proxy=None)
    hello = json.loads(await ws.recv())
    assert hello["type"] == "hello"
    return ws


async def _closed_within(ws, seconds: float) -> tuple[int, str, float]:
    """Wait, sending nothing (an idle socket), for the gateway's close frame;
    (code, reason, seconds it took)."""
    started = time.monotonic()
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), seconds)
    assert closed.value.rcvd is not None, "no close frame from the gateway"
    return closed.value.rcvd.code, closed.value.rcvd.reason, time.monotonic() - started


async def _still_open(ws) -> str:
    await ws.send("still there?")
    return await asyncio.wait_for(ws.recv(), 2)


def _upstream_saw_close(control, path: str, code: int) -> None:
    deadline = time.monotonic() + 3
    while {"path": path, "code": code} not in control.get("/_control/ws-closes").json()["closes"]:
        assert time.monotonic() < deadline, f"the service never saw close {code} on {path}"
        time.sleep(0.05)


@pytest.mark.parametrize("kind", ["jti", "sid", "not_before"])
def test_a_revocation_closes_the_open_socket_with_4401_within_2_seconds(
    gateway, control, redis_client, make_token, kind
):
    token = make_token()
    bystander = make_token(user_id=token.user_id)  # same user, another session and token
    message = {
        "jti": {"jti": token.jti, "user_id": token.user_id},
        "sid": {"sid": token.session_id, "user_id": token.user_id},
        "not_before": {"user_id": token.user_id, "not_before": int(time.time()) + 1},
    }[kind]
    room = f"/ws/chat/revoked-{kind}-{token.jti}"

    async def scenario():
        ws = await _open(ws_url(gateway, f"{room}?token={token.value}"))
        other = await _open(ws_url(gateway, f"/ws/chat/bystander-{kind}?token={bystander.value}"))
        control.post("/_control/revoke", json={"token": token.value})
        redis_client.publish(REVOCATIONS_CHANNEL, json.dumps(message))
        closed = await _closed_within(ws, 2.0)
        other_alive = None if kind == "not_before" else await _still_open(other)
        await other.close()
        return closed, other_alive

    (code, reason, elapsed), other_alive = asyncio.run(scenario())

    assert (code, reason) == (4401, "token revoked")
    assert elapsed < 2.0
    _upstream_saw_close(control, room, 4401)
    # A jti or a session names one socket; a user cutoff covers the user's other one too.
    assert other_alive == (None if kind == "not_before" else "echo:still there?")


def test_a_socket_closes_at_its_tokens_expiry(gateway, control, make_token):
    token = make_token(ttl=2.5)
    room = f"/ws/chat/expiring-{token.jti}"

    async def scenario():
        ws = await _open(ws_url(gateway, f"{room}?token={token.value}"))
        code, reason, _ = await _closed_within(ws, 5.0)
        return code, reason, time.time()

    code, reason, closed_at = asyncio.run(scenario())

    assert (code, reason) == (4401, "token expired")
    assert token.expires_at - 0.05 <= closed_at < token.expires_at + 1.0
    _upstream_saw_close(control, room, 4401)


def test_without_the_revocation_subscription_open_sockets_are_revalidated(
    upstream, control, tmp_path, make_token
):
    from tests.conftest import free_port, gateway_env, start_uvicorn

    token = make_token()
    kept = make_token()
    server = start_uvicorn(
        "config.asgi:application",
        env=gateway_env(upstream.url, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"),
        log=tmp_path / "gateway.log",
    )

    async def scenario():
        ws = await _open(ws_url(server, f"/ws/chat/bypass?token={token.value}"))
        other = await _open(ws_url(server, f"/ws/chat/bypass-kept?token={kept.value}"))
        # auth_service revokes; no message can reach this gateway.
        control.post("/_control/revoke", json={"token": token.value})
        closed = await _closed_within(ws, 2.0)
        alive = await _still_open(other)
        await other.close()
        return closed, alive

    try:
        (code, reason, elapsed), alive = asyncio.run(scenario())
    finally:
        server.stop()

    assert (code, reason) == (4401, "token revoked")
    assert elapsed < 2.0
    assert alive == "echo:still there?"


def test_a_revocation_lost_with_the_subscription_still_closes_the_socket(
    gateway, control, redis_client, make_token
):
    token = make_token()
    name = f"rentezy-gateway-revocations-{gateway.process.pid}"

    async def scenario():
        ws = await _open(ws_url(gateway, f"/ws/chat/lost-{token.jti}?token={token.value}"))
        [subscriber] = [c["id"] for c in redis_client.client_list() if c.get("name") == name]
        # The subscription is cut, then auth_service revokes: no message reaches the gateway.
        redis_client.execute_command("CLIENT", "KILL", "ID", subscriber)
        control.post("/_control/revoke", json={"token": token.value})
        return await _closed_within(ws, 2.0)

    code, reason, elapsed = asyncio.run(scenario())

    assert (code, reason) == (4401, "token revoked")
    assert elapsed < 2.0
