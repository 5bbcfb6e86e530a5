"""The notification socket on the real ASGI application, the real Redis
channel layer and real PostgreSQL: a notification reaches its user's open
sockets (and nobody else's) after it commits, and a socket that reconnects
with the last id it saw gets exactly what it missed."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels.db import database_sync_to_async
from notifications.models import Notification
from rentezy_platform.testing import run_async

from tests.conftest import deliver, signed_socket

pytestmark = pytest.mark.django_db(transaction=True)


def invoice_for(user, period: str) -> None:
    deliver(
        "rentezy.payment.invoice_issued.v1",
        {
            "invoice_id": str(uuid.uuid4()), "lease_id": str(uuid.uuid4()),
            "reservation_id": None, "tenant_id": user.user_id,
            "landlord_id": str(uuid.uuid4()), "period": period, "amount_minor": 100_00,
            "currency": "USD", "due_date": f"{period}-01", "is_first_invoice": False,
        },
    )  # fmt: skip


async def connect(caller, query: str = ""):
    socket = signed_socket(caller, query)
    accepted, _ = await socket.connect(timeout=5)
    assert accepted
    return socket


@run_async
async def test_a_notification_reaches_its_users_sockets_only(tenant, stranger):
    first, second = await connect(tenant), await connect(tenant)
    other = await connect(stranger)
    await database_sync_to_async(invoice_for)(tenant, "2027-03")

    for socket in (first, second):
        frame = await socket.receive_json_from(timeout=3)
        assert frame["type"] == "notification"
        assert frame["notification"]["title"] == "Invoice for 2027-03"
    assert await other.receive_nothing(timeout=0.5)
    for socket in (first, second, other):
        await socket.disconnect()


@run_async
async def test_a_reconnecting_socket_gets_exactly_what_it_missed(tenant):
    socket = await connect(tenant)
    await database_sync_to_async(invoice_for)(tenant, "2027-01")
    seen = (await socket.receive_json_from(timeout=3))["notification"]["id"]
    await socket.disconnect()

    for period in ("2027-02", "2027-03", "2027-04"):
        await database_sync_to_async(invoice_for)(tenant, period)  # while away
    back = await connect(tenant, f"after={seen}")
    missed = [(await back.receive_json_from(timeout=3))["notification"]["title"] for _ in range(3)]
    assert missed == ["Invoice for 2027-02", "Invoice for 2027-03", "Invoice for 2027-04"]
    assert await back.receive_nothing(timeout=0.5)

    await database_sync_to_async(invoice_for)(tenant, "2027-05")  # live again
    frame = await back.receive_json_from(timeout=3)
    assert frame["notification"]["title"] == "Invoice for 2027-05"
    await back.disconnect()
    count = await database_sync_to_async(Notification.objects.count)()
    assert count == 5


@run_async
async def test_an_idle_socket_stays_open_and_still_receives(tenant):
    """The channel layer's receive blocks 5 s at a time in Redis: an idle
    socket must outlive several of those (redis-py's own 5 s read timeout
    once ended them)."""
    socket = await connect(tenant)
    await asyncio.sleep(11)
    await database_sync_to_async(invoice_for)(tenant, "2027-06")
    frame = await socket.receive_json_from(timeout=3)
    assert frame["notification"]["title"] == "Invoice for 2027-06"
    await socket.disconnect()


@run_async
async def test_an_after_that_is_not_the_users_gets_an_error_frame(tenant, stranger):
    await database_sync_to_async(invoice_for)(stranger, "2027-01")
    theirs = await database_sync_to_async(lambda: str(Notification.objects.get().pk))()
    for after in (theirs, "not-a-uuid", str(uuid.uuid4())):
        socket = await connect(tenant, f"after={after}")
        frame = await socket.receive_json_from(timeout=3)
        assert (frame["type"], frame["code"]) == ("error", "invalid_after")
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()


@run_async
async def test_ping_pong_and_bad_frames_keep_the_socket_open(tenant):
    socket = await connect(tenant)
    for raw, expected in (
        ('{"type": "ping"}', {"type": "pong"}),
        ("garbage", "invalid_json"),
        ('{"type": "subscribe", "user_id": "someone"}', "unknown_type"),
        ("x" * 20000, "frame_too_large"),
    ):
        await socket.send_to(text_data=raw)
        frame = await socket.receive_json_from(timeout=3)
        assert frame == expected if isinstance(expected, dict) else frame["code"] == expected
    await socket.send_to(text_data='{"type": "ping"}')
    assert await socket.receive_json_from(timeout=3) == {"type": "pong"}
    await socket.disconnect()


@run_async
async def test_unsigned_and_anonymous_handshakes_are_refused():
    socket = signed_socket(None)
    accepted, _ = await socket.connect(timeout=5)
    assert not accepted
