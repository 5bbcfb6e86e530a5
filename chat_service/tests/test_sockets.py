"""The chat socket on the real ASGI application (config.asgi with
GatewayTrustWebSocketMiddleware), the real Redis channel layer and real
PostgreSQL: who gets in, what frames do, and that bad frames never cost the
socket. The same flows through the real gateway: tests/test_chat_e2e.py."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import redis
from channels.db import database_sync_to_async
from chat import services
from chat.models import Message
from django.conf import settings
from rentezy_platform.presence import present_user_ids
from rentezy_platform.testing import run_async
from rentezy_platform.trust import Actor

from tests.conftest import receive_type, register, signed_socket

pytestmark = pytest.mark.django_db(transaction=True)


def path(conversation_id) -> str:
    return f"/ws/chat/{conversation_id}"


@pytest.fixture
def conversation(tenant, landlord):
    register(tenant)
    register(landlord)
    conversation, _ = services.conversation_open(
        actor=Actor.of(tenant), participant_id=landlord.user_id
    )
    return conversation


async def connected(caller, conversation_id):
    socket = signed_socket(path(conversation_id), caller)
    accepted, _ = await socket.connect(timeout=5)
    assert accepted
    return socket


async def refused(socket) -> bool:
    accepted, _ = await socket.connect(timeout=5)
    return not accepted


@run_async
async def test_a_message_reaches_both_participants_and_the_history(conversation, tenant, landlord):
    mine, theirs = (
        await connected(tenant, conversation.id),
        await connected(landlord, conversation.id),
    )
    await mine.send_json_to(
        {"type": "message", "body": "  Is it still available?  ", "client_id": "a1"}
    )

    for socket in (mine, theirs):
        frame = await receive_type(socket, "message")
        assert frame["message"]["body"] == "Is it still available?"
        assert frame["message"]["sender_id"] == tenant.user_id
        assert frame["message"]["client_id"] == "a1"
    stored = await database_sync_to_async(
        lambda: list(Message.objects.values_list("body", "sender_id"))
    )()
    assert stored == [("Is it still available?", uuid.UUID(tenant.user_id))]
    await mine.disconnect()
    await theirs.disconnect()


@run_async
async def test_a_forged_sender_is_ignored_and_a_resend_is_not_stored_twice(
    conversation, tenant, landlord
):
    mine, theirs = (
        await connected(tenant, conversation.id),
        await connected(landlord, conversation.id),
    )
    frame = {"type": "message", "body": "hi", "client_id": "c-9", "sender_id": landlord.user_id}
    await mine.send_json_to(frame)
    first = await receive_type(theirs, "message")
    assert first["message"]["sender_id"] == tenant.user_id
    await receive_type(mine, "message")

    await mine.send_json_to(frame)  # the resend after a dropped connection
    again = await receive_type(mine, "message")
    assert again["message"]["id"] == first["message"]["id"]
    assert await theirs.receive_nothing(timeout=0.5)
    assert await database_sync_to_async(Message.objects.count)() == 1
    await mine.disconnect()
    await theirs.disconnect()


@run_async
async def test_outsiders_unsigned_and_forged_handshakes_are_refused(conversation, stranger, tenant):
    assert await refused(signed_socket(path(conversation.id), stranger))
    assert await refused(signed_socket(path(uuid.uuid4()), tenant))
    assert await refused(signed_socket(path("not-a-uuid"), tenant))
    assert await refused(signed_socket(path(conversation.id), None))  # unsigned
    forged = [(b"x-user-id", tenant.user_id.encode()), (b"x-user-role", b"tenant")]
    assert await refused(signed_socket(path(conversation.id), None, extra=forged))
    # Signed for another path: the signature does not carry over.
    socket = signed_socket(path(conversation.id), tenant)
    socket.scope["path"] = path(uuid.uuid4())
    assert await refused(socket)


@pytest.mark.parametrize(
    "raw, code",
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('{"body": "no type"}', "invalid_frame"),
        ('{"type": "shout", "body": "x"}', "unknown_type"),
        ('{"type": "message", "body": ""}', "invalid"),
        ('{"type": "message", "body": "   "}', "invalid"),
        ('{"type": "message"}', "invalid"),
        ('{"type": "message", "body": 5}', "invalid"),
        (json.dumps({"type": "message", "body": "x" * 4001}), "invalid"),
        (json.dumps({"type": "message", "body": "x" * 20000}), "frame_too_large"),
        ('{"type": "message", "body": "x", "client_id": {"a": 1}}', "invalid"),
        ('{"type": "read", "up_to": "nope"}', "invalid"),
        ('{"type": "read"}', "invalid"),
    ],
)
@run_async
async def test_a_bad_frame_gets_an_error_frame_and_the_socket_stays_usable(
    conversation, tenant, raw, code
):
    socket = await connected(tenant, conversation.id)
    await socket.send_to(text_data=raw)
    error = await receive_type(socket, "error")
    assert error["code"] == code and error["message"]

    await socket.send_json_to({"type": "message", "body": "still here"})
    assert (await receive_type(socket, "message"))["message"]["body"] == "still here"
    assert await database_sync_to_async(Message.objects.count)() == 1
    await socket.disconnect()


@run_async
async def test_binary_frames_are_refused_with_an_error_frame(conversation, tenant):
    socket = await connected(tenant, conversation.id)
    await socket.send_to(bytes_data=b"\x00\x01")
    assert (await receive_type(socket, "error"))["code"] == "invalid_frame"
    await socket.disconnect()


@run_async
async def test_typing_and_read_receipts_go_to_the_other_participant_only(
    conversation, tenant, landlord
):
    mine, theirs = (
        await connected(tenant, conversation.id),
        await connected(landlord, conversation.id),
    )
    await mine.send_json_to({"type": "typing"})
    assert await receive_type(theirs, "typing") == {"type": "typing", "user_id": tenant.user_id}
    assert await mine.receive_nothing(timeout=0.3)

    await theirs.send_json_to({"type": "message", "body": "Yes, it is."})
    message = (await receive_type(mine, "message"))["message"]
    await receive_type(theirs, "message")
    await mine.send_json_to({"type": "read", "up_to": message["id"]})
    receipt = await receive_type(theirs, "read")
    assert receipt == {"type": "read", "user_id": tenant.user_id, "up_to": message["id"]}
    assert await mine.receive_nothing(timeout=0.3)
    await mine.send_json_to({"type": "read", "up_to": message["id"]})  # no move, no receipt
    assert await theirs.receive_nothing(timeout=0.5)
    await mine.disconnect()
    await theirs.disconnect()


@run_async
async def test_a_socket_over_its_rate_gets_rate_limited_frames(conversation, tenant, settings):
    settings.CHAT_SOCKET_RATE = 0.01
    settings.CHAT_SOCKET_BURST = 3
    socket = await connected(tenant, conversation.id)
    for i in range(5):
        await socket.send_json_to({"type": "message", "body": f"spam {i}"})
    frames = [await socket.receive_json_from(timeout=3) for _ in range(5)]
    assert [f["type"] for f in frames].count("message") == 3
    assert [f.get("code") for f in frames if f["type"] == "error"] == ["rate_limited"] * 2
    assert await database_sync_to_async(Message.objects.count)() == 3
    await socket.disconnect()


@run_async
async def test_an_open_socket_makes_its_user_present_until_it_closes(conversation, tenant):
    client = redis.Redis.from_url(settings.REDIS_URL)
    assert present_user_ids(client, conversation_id=conversation.id) == set()
    socket = await connected(tenant, conversation.id)
    for _ in range(50):
        if present_user_ids(client, conversation_id=conversation.id):
            break
        await asyncio.sleep(0.05)
    assert present_user_ids(client, conversation_id=conversation.id) == {tenant.user_id}
    await socket.disconnect()
    for _ in range(50):
        if not present_user_ids(client, conversation_id=conversation.id):
            break
        await asyncio.sleep(0.05)
    assert present_user_ids(client, conversation_id=conversation.id) == set()


@run_async
async def test_a_message_sent_over_rest_is_pushed_to_open_sockets(conversation, tenant, landlord):
    theirs = await connected(landlord, conversation.id)
    await database_sync_to_async(services.message_send)(
        actor=Actor.of(tenant), conversation_id=conversation.id, body="sent over REST"
    )
    frame = await receive_type(theirs, "message")
    assert frame["message"]["body"] == "sent over REST"
    await theirs.disconnect()
