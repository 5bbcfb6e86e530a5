"""Chat through the REAL gateway, auth_service and chat_service (its relay
and its rentezy.user consumer), over real PostgreSQL, Kafka and Redis (the
channel layer), with two real WebSocket clients:

- a message from one participant reaches the other live and is in the
  history; message_sent is on rentezy.chat with a preview, never the body;
- a non-participant can neither read the history (404) nor join the socket
  (handshake refused, 403);
- a forged sender id in a frame is ignored;
- malformed, unknown and oversized frames get error frames and the socket
  stays usable;
- after logout the socket is closed (4401) within 2 seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid

import pytest
from rentezy_platform.testing import wait_until
from support import Account, open_conversation, topic_events
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

pytestmark = pytest.mark.services("auth", "chat")

WEB_ORIGIN = os.environ["WEB_APP_ORIGIN"].split(",")[0]
CLOSE_AUTH_ENDED = 4401


def ws_url(platform, conversation_id: str, account: Account) -> str:
    base = platform.gateway.replace("http://", "ws://", 1)
    return f"{base}/ws/chat/{conversation_id}?token={account.access}"


async def next_frame(ws, kind: str, timeout: float = 5) -> dict:
    frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert frame["type"] == kind, frame
    return frame


def test_two_participants_chat_live_and_an_outsider_gets_nowhere(platform, gw, make_account):
    tenant, landlord, outsider = (
        make_account("tenant"),
        make_account("landlord"),
        make_account("tenant"),
    )
    conversation = open_conversation(gw, tenant, landlord)
    cid = conversation["id"]
    assert sorted(conversation["participants"]) == sorted([tenant.id, landlord.id])

    async def scenario():
        mine = await connect(ws_url(platform, cid, tenant), origin=WEB_ORIGIN, proxy=None)
        theirs = await connect(ws_url(platform, cid, landlord), origin=WEB_ORIGIN, proxy=None)
        await mine.send(
            json.dumps(
                {
                    "type": "message",
                    "body": "Hello! Is the flat still available?",
                    "client_id": "web-1",
                    "sender_id": landlord.id,  # forged: ignored
                }
            )
        )
        received = await next_frame(theirs, "message")
        echoed = await next_frame(mine, "message")
        await mine.send(json.dumps({"type": "typing"}))
        typing = await next_frame(theirs, "typing")
        await theirs.send(json.dumps({"type": "read", "up_to": received["message"]["id"]}))
        receipt = await next_frame(mine, "read")

        errors = []
        for raw in (
            "{not json",
            '{"type": "dance"}',
            json.dumps({"type": "message", "body": "x" * 5000}),
            json.dumps({"type": "message", "body": "y" * 20000}),
        ):
            await mine.send(raw)
            errors.append((await next_frame(mine, "error"))["code"])
        await mine.send(json.dumps({"type": "message", "body": "still working"}))
        after = await next_frame(theirs, "message")
        await mine.close()
        await theirs.close()
        return received, echoed, typing, receipt, errors, after

    received, echoed, typing, receipt, errors, after = asyncio.run(scenario())

    assert received["message"]["body"] == "Hello! Is the flat still available?"
    assert received["message"]["sender_id"] == tenant.id
    assert echoed["message"]["id"] == received["message"]["id"]
    assert typing == {"type": "typing", "user_id": tenant.id}
    assert receipt == {"type": "read", "user_id": landlord.id, "up_to": received["message"]["id"]}
    assert errors == ["invalid_json", "unknown_type", "invalid", "frame_too_large"]
    assert after["message"]["body"] == "still working"

    history = gw.get(f"/api/chat/conversations/{cid}/messages", headers=landlord.headers)
    assert history.status_code == 200, history.text
    assert [m["body"] for m in history.json()["results"]] == [
        "still working",
        "Hello! Is the flat still available?",
    ]
    assert all(m["sender_id"] == tenant.id for m in history.json()["results"])

    # The outsider: 404 on the history, and the socket's handshake is refused.
    assert (
        gw.get(f"/api/chat/conversations/{cid}/messages", headers=outsider.headers).status_code
        == 404
    )

    async def outsider_joins() -> int:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(ws_url(platform, cid, outsider), origin=WEB_ORIGIN, proxy=None):
                pass
        return refused.value.response.status_code

    assert asyncio.run(outsider_joins()) == 403

    def sent_event():
        events = topic_events(platform, "rentezy.chat", type="rentezy.chat.message_sent.v1")
        return next((e for e in events if e.data["message_id"] == received["message"]["id"]), None)

    event = wait_until(sent_event, timeout=30, message="message_sent on rentezy.chat")
    assert event.data["preview"] == "Hello! Is the flat still available?"
    assert event.data["recipient_ids"] == [landlord.id] and "body" not in event.data


def test_logout_closes_the_chat_socket_within_two_seconds(platform, gw, make_account):
    tenant, landlord = make_account("tenant"), make_account("landlord")
    cid = open_conversation(gw, tenant, landlord)["id"]

    async def scenario():
        ws = await connect(ws_url(platform, cid, tenant), origin=WEB_ORIGIN, proxy=None)
        await ws.send(
            json.dumps({"type": "message", "body": "bye", "client_id": str(uuid.uuid4())})
        )
        await next_frame(ws, "message")
        logout = await asyncio.to_thread(
            gw.post,
            "/api/auth/logout",
            json={"refresh": tenant.refresh},
            headers=tenant.headers,
        )
        started = time.monotonic()
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 3)
        return logout.status_code, closed.value.rcvd, time.monotonic() - started

    status, close, elapsed = asyncio.run(scenario())
    assert status == 204
    assert close is not None and close.code == CLOSE_AUTH_ENDED
    assert elapsed < 2.0
