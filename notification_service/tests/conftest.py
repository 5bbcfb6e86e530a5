"""Fixtures of the notification_service tests (real PostgreSQL and Redis).

`gateway` calls the REST API the way api_gateway does. `deliver(type, data)`
hands an event to the consumer's handler as `manage.py consume` does.
`mailed` records the e-mail tasks sent (`send_email.delay`) instead of
queueing them: the tests run the task function itself, with Django's
in-memory e-mail outbox; a real worker sends them in tests/test_notifications_e2e.py.
`socket(caller, query)` opens `/ws/notifications` on the real ASGI
application with the real Redis channel layer, signed as the gateway signs.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from notifications import handlers, services, tasks
from rentezy_platform.events import CloudEvent
from rentezy_platform.testing import (
    Caller,
    SignedClient,
    isolated_channel_layer,
    signed_websocket,
)


@pytest.fixture(autouse=True)
def _own_channel_layer(settings):
    """Each test's groups and presence keys in Redis of its own."""
    with isolated_channel_layer(settings):
        yield


@pytest.fixture(autouse=True)
def mailed(monkeypatch) -> list[str]:
    sent: list[str] = []
    monkeypatch.setattr(
        tasks.send_email, "delay", lambda notification_id: sent.append(notification_id)
    )
    return sent


@pytest.fixture
def gateway(client) -> SignedClient:
    return SignedClient(client)


@pytest.fixture
def tenant() -> Caller:
    return Caller.new("tenant")


@pytest.fixture
def landlord() -> Caller:
    return Caller.new("landlord")


@pytest.fixture
def stranger() -> Caller:
    return Caller.new("tenant")


def deliver(event_type: str, data: dict[str, Any], *, event_id: str | None = None) -> CloudEvent:
    event = CloudEvent.new(type=event_type, subject=str(uuid.uuid4()), data=data, source="/tests")
    if event_id is not None:
        event = dataclasses.replace(event, id=event_id)
    from django.test import TestCase

    # The consumer commits its transaction: run what waits for the commit
    # (push, e-mail) even inside a test's rolled-back transaction.
    with TestCase.captureOnCommitCallbacks(execute=True):
        handlers.HANDLERS[event_type](event)
    return event


def register(caller: Caller, full_name: str = "Robin Example") -> None:
    services.contact_apply(
        data={
            "user_id": caller.user_id,
            "email": caller.email,
            "full_name": full_name,
            "role": caller.role,
        }
    )


def signed_socket(caller: Caller | None, query: str = "") -> WebsocketCommunicator:
    from config.asgi import application

    path = "/ws/notifications" + (f"?{query}" if query else "")
    return signed_websocket(application, path, caller)
