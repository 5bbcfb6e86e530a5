"""Issue 8, points 6 and 4, through the REAL gateway in front of the REAL
auth_service and a real Channels app on the chat route (`ws_echo`):

- logout ends the session: every access token of it, whichever refresh
  minted it and even one minted by a refresh that raced the logout; the
  user's other sessions live on; refresh token reuse ends the session too;
- an open WebSocket is closed (code 4401) within 2 s of its session's logout
  or its user's password change, and at its token's `exp`, idle or not, while
  a socket of another session of the same user stays open.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
import time

import httpx
import pytest
from rentezy_platform.trust import gateway_headers
from support import PASSWORD, Account, wait_for_status
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

pytestmark = pytest.mark.services("auth", "ws_echo")

WEB_ORIGIN = os.environ["WEB_APP_ORIGIN"].split(",")[0]
REVOKED = {"code": "not_authenticated", "message": "The token is invalid, expired or revoked."}
REVOCATION_DEADLINE = 2.0
CLOSE_AUTH_ENDED = 4401
# The variant auth_service of the expiry test: access tokens live this long.
SHORT_ACCESS_LIFETIME = 3


def _me(gw, access: str) -> httpx.Response:
    return gw.get("/api/auth/me", headers={"Authorization": f"Bearer {access}"})


def _login(gw, account: Account) -> dict:
    response = gw.post("/api/auth/login", json={"email": account.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()


def _refresh(gw, refresh: str) -> dict:
    response = gw.post("/api/auth/refresh", json={"refresh": refresh})
    assert response.status_code == 200, response.text
    return response.json()


def _logout(gw, *, access: str, refresh: str) -> httpx.Response:
    return gw.post(
        "/api/auth/logout", json={"refresh": refresh}, headers={"Authorization": f"Bearer {access}"}
    )


# --- point 6: logout ends the session -------------------------------------------------------


def test_logout_kills_an_access_token_minted_earlier_in_the_session_by_a_refresh(gw, make_account):
    account = make_account()
    first = _refresh(gw, account.refresh)  # minted by a refresh, used, then superseded
    second = _refresh(gw, first["refresh"])
    other_session = _login(gw, account)
    for access in (account.access, first["access"], second["access"], other_session["access"]):
        assert _me(gw, access).status_code == 200  # now cached by the gateway

    logout = _logout(gw, access=second["access"], refresh=second["refresh"])

    assert logout.status_code == 204, logout.text
    for access in (first["access"], account.access, second["access"]):
        assert wait_for_status(lambda a=access: _me(gw, a), 401, within=REVOCATION_DEADLINE) < 2.0
        assert _me(gw, access).json() == REVOKED
    # Another session of the same user keeps working, at the gateway and in auth_service.
    assert _me(gw, other_session["access"]).json()["id"] == account.id
    assert _refresh(gw, other_session["refresh"])["access"]


def test_refresh_token_reuse_kills_the_sessions_access_tokens(gw, make_account):
    account = make_account()
    rotated = _refresh(gw, account.refresh)
    other_session = _login(gw, account)
    for access in (account.access, rotated["access"], other_session["access"]):
        assert _me(gw, access).status_code == 200

    replay = gw.post("/api/auth/refresh", json={"refresh": account.refresh})

    assert (replay.status_code, replay.json()) == (
        401,
        {
            "code": "not_authenticated",
            "message": "The refresh token was already used; the session has been revoked.",
        },
    )
    for access in (account.access, rotated["access"]):
        assert wait_for_status(lambda a=access: _me(gw, a), 401, within=REVOCATION_DEADLINE) < 2.0
    assert _me(gw, other_session["access"]).json()["id"] == account.id


def test_a_refresh_racing_a_logout_never_leaves_a_working_access_token(platform, make_account):
    account = make_account()
    rounds = 12
    outcomes = {"refresh won": 0, "logout won": 0}
    with platform.client() as gw:
        for _ in range(rounds):
            session = _login(gw, account)
            assert _me(gw, session["access"]).status_code == 200  # cached: no extra round trip
            barrier = threading.Barrier(2)
            results: dict[str, httpx.Response] = {}

            def refresh(session=session, barrier=barrier, results=results) -> None:
                with platform.client() as client:
                    barrier.wait()
                    results["refresh"] = client.post(
                        "/api/auth/refresh", json={"refresh": session["refresh"]}
                    )

            def logout(session=session, barrier=barrier, results=results) -> None:
                with platform.client() as client:
                    barrier.wait()
                    results["logout"] = _logout(
                        client, access=session["access"], refresh=session["refresh"]
                    )

            threads = [threading.Thread(target=refresh), threading.Thread(target=logout)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)

            assert results["logout"].status_code == 204, results["logout"].text
            wait_for_status(lambda s=session: _me(gw, s["access"]), 401, within=2.0)
            if results["refresh"].status_code == 200:
                outcomes["refresh won"] += 1
                minted = results["refresh"].json()
                assert (
                    _me(gw, minted["access"]).status_code,
                    _me(gw, minted["access"]).json(),
                ) == (
                    401,
                    REVOKED,
                )
                again = gw.post("/api/auth/refresh", json={"refresh": minted["refresh"]})
                assert again.status_code == 401
            else:
                outcomes["logout won"] += 1
                assert (results["refresh"].status_code, results["refresh"].json()) == (
                    401,
                    {
                        "code": "not_authenticated",
                        "message": "The refresh token is invalid or revoked.",
                    },
                )
    assert sum(outcomes.values()) == rounds
    # The dangerous order (the refresh mints a token, then the logout commits) happened.
    assert outcomes["refresh won"] >= 1, outcomes


# --- point 4: open WebSockets end with their token ------------------------------------------


def _ws_url(platform, path: str, access: str) -> str:
    return platform.gateway.replace("http://", "ws://", 1) + f"{path}?token={access}"


async def _open(url: str):
    ws = await connect(url, origin=WEB_ORIGIN, proxy=None)
    hello = json.loads(await ws.recv())
    assert hello["type"] == "hello"
    return ws, hello


async def _close_of(ws, within: float) -> tuple[int, str, float]:
    """The gateway's close frame on an idle socket (nothing sent): code, reason, seconds."""
    started = time.monotonic()
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), within)
    assert closed.value.rcvd is not None, "the socket dropped without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason, time.monotonic() - started


async def _echo(ws) -> str:
    await ws.send("ping")
    return await asyncio.wait_for(ws.recv(), 2)


def test_logout_closes_the_sessions_open_socket_and_spares_another_sessions(
    platform, gw, make_account
):
    account = make_account()
    rotated = _refresh(gw, account.refresh)  # the socket's token is an earlier one of the session
    other_session = _login(gw, account)

    async def scenario():
        ws, hello = await _open(_ws_url(platform, "/ws/chat/session-a", account.access))
        other, _ = await _open(_ws_url(platform, "/ws/chat/session-b", other_session["access"]))
        logout = await asyncio.to_thread(
            _logout, gw, access=rotated["access"], refresh=rotated["refresh"]
        )
        closed = await _close_of(ws, REVOCATION_DEADLINE)
        survived = await _echo(other)
        await asyncio.sleep(REVOCATION_DEADLINE)  # and still after the deadline
        survived_later = await _echo(other)
        await other.close()
        return hello, logout.status_code, closed, survived, survived_later

    hello, logout_status, (code, reason, elapsed), survived, survived_later = asyncio.run(
        scenario()
    )

    assert hello["identity"]["user_id"] == account.id
    assert logout_status == 204
    assert (code, reason) == (CLOSE_AUTH_ENDED, "token revoked")
    assert elapsed < 2.0
    assert survived == survived_later == "echo:ping"


def test_a_password_change_closes_every_open_socket_of_the_user(platform, gw, make_account):
    account = make_account()
    other_session = _login(gw, account)

    async def scenario():
        ws, _ = await _open(_ws_url(platform, "/ws/chat/password-a", account.access))
        other, _ = await _open(_ws_url(platform, "/ws/chat/password-b", other_session["access"]))
        change = await asyncio.to_thread(
            gw.post,
            "/api/auth/password/change",
            json={"old_password": PASSWORD, "new_password": "a brand new passphrase 2027"},
            headers=account.headers,
        )
        return change.status_code, await _close_of(ws, 2.0), await _close_of(other, 2.0)

    status, first, second = asyncio.run(scenario())

    assert status == 204
    for code, reason, elapsed in (first, second):
        assert (code, reason) == (CLOSE_AUTH_ENDED, "token revoked")
        assert elapsed < 2.0


@pytest.fixture(scope="module")
def short_lived_auth(platform):
    """A second auth_service on the same database whose access tokens live
    SHORT_ACCESS_LIFETIME seconds; the gateway's own auth_service validates
    them like any other."""
    return platform.start_variant(
        "auth-short-access",
        service="auth",
        env={"JWT_ACCESS_TOKEN_LIFETIME_SECONDS": str(SHORT_ACCESS_LIFETIME)},
    )


def test_a_socket_is_closed_at_its_tokens_expiry(platform, make_account, short_lived_auth):
    account = make_account(login=False)
    with httpx.Client(base_url=short_lived_auth.url, trust_env=False, timeout=20) as direct:
        # Called directly: an anonymous call signed as the gateway signs it.
        login = direct.post(
            "/api/auth/login",
            json={"email": account.email, "password": PASSWORD},
            headers=gateway_headers(
                key=platform.env["GATEWAY_SIGNING_KEY"],
                method="POST",
                path_with_query="/api/auth/login",
            ),
        )
    assert login.status_code == 200, login.text
    assert login.json()["expires_in"] == SHORT_ACCESS_LIFETIME
    access = login.json()["access"]

    async def scenario():
        ws, hello = await _open(_ws_url(platform, "/ws/chat/expiring", access))
        code, reason, _ = await _close_of(ws, SHORT_ACCESS_LIFETIME + 3)
        return hello, code, reason, time.time()

    hello, code, reason, closed_at = asyncio.run(scenario())

    expires_at = _claims(access)["exp"]
    assert hello["identity"]["user_id"] == account.id
    assert (code, reason) == (CLOSE_AUTH_ENDED, "token expired")
    assert expires_at - 0.05 <= closed_at < expires_at + 1.0


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
