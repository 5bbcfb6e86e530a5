"""Issue 3: a WebSocket through the real gateway, authenticated by a real
auth_service token, reaches a real Channels consumer with the right signed
identity; a bad token, a revoked one or a disallowed Origin is refused at the
handshake."""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

pytestmark = pytest.mark.services("auth", "ws_echo")

WEB_ORIGIN = os.environ["WEB_APP_ORIGIN"].split(",")[0]


def ws_url(platform, path: str) -> str:
    return platform.gateway.replace("http://", "ws://", 1) + path


async def _hello(url: str, **kwargs) -> dict:
    async with connect(url, proxy=None, **kwargs) as ws:
        return json.loads(await ws.recv())


def _refused_status(url: str, **kwargs) -> int:
    async def attempt():
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, proxy=None, **kwargs):
                pass
        return refused.value.response.status_code

    return asyncio.run(attempt())


def test_the_consumer_sees_the_real_users_signed_identity(platform, make_account):
    account = make_account(role="landlord")
    url = ws_url(platform, f"/ws/chat/conversation-1?token={account.access}")

    hello = asyncio.run(
        _hello(url, origin=WEB_ORIGIN, additional_headers={"X-User-ID": "forged-user"})
    )

    assert hello["type"] == "hello"
    assert hello["path"] == "/ws/chat/conversation-1"
    assert hello["query"] == ""  # the token never reaches the service
    assert hello["identity"] == {"user_id": account.id, "role": "landlord", "email": account.email}
    assert hello["origin"] == WEB_ORIGIN


@pytest.mark.parametrize("token", ["", "not-a-jwt", "eyJhbGciOiJub25lIn0.e30."])
def test_a_bad_token_is_refused_at_the_handshake(platform, token):
    url = ws_url(platform, f"/ws/chat/conversation-1?token={token}")
    assert _refused_status(url, origin=WEB_ORIGIN) == 403


def test_a_disallowed_origin_is_refused_at_the_handshake(platform, make_account):
    account = make_account()
    url = ws_url(platform, f"/ws/chat/conversation-1?token={account.access}")
    assert _refused_status(url, origin="https://evil.example") == 403


def test_a_logged_out_token_cannot_open_a_socket_within_2_seconds(platform, gw, make_account):
    account = make_account()
    url = ws_url(platform, f"/ws/chat/conversation-1?token={account.access}")
    assert asyncio.run(_hello(url, origin=WEB_ORIGIN))["identity"]["user_id"] == account.id

    logout = gw.post("/api/auth/logout", json={"refresh": account.refresh}, headers=account.headers)
    assert logout.status_code == 204
    deadline = time.monotonic() + 2.0
    while True:
        try:
            status = _refused_status(url, origin=WEB_ORIGIN)
            break
        except pytest.fail.Exception:
            assert time.monotonic() < deadline, "the revoked token still opened a socket after 2 s"
            time.sleep(0.1)
    assert status == 403
