"""Fixtures of the chat_service tests (real PostgreSQL and Redis).

`gateway` calls the REST API the way api_gateway does (signed requests for
the `as_=` caller). `registered(caller)` puts a user in the directory through
the function the rentezy.user consumer calls. `socket(caller, conversation_id)`
opens the chat socket on the real ASGI application (config.asgi, the
GatewayTrustWebSocketMiddleware included) with the real Redis channel layer,
signed as the gateway signs a handshake.
"""

from __future__ import annotations

from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from chat import services
from chat.models import ChatUser
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


@pytest.fixture
def gateway(client) -> SignedClient:
    return SignedClient(client)


def register(caller: Caller, full_name: str = "") -> ChatUser:
    return services.user_apply(
        data={
            "user_id": caller.user_id,
            "email": caller.email,
            "full_name": full_name or f"{caller.role.title()} {caller.user_id[:4]}",
            "role": caller.role,
        }
    )


@pytest.fixture
def tenant() -> Caller:
    caller = Caller.new("tenant")
    return caller


@pytest.fixture
def landlord() -> Caller:
    return Caller.new("landlord")


@pytest.fixture
def stranger() -> Caller:
    return Caller.new("tenant")


def signed_socket(path: str, caller: Caller | None, *, extra=()) -> WebsocketCommunicator:
    from config.asgi import application

    return signed_websocket(application, path, caller, extra=extra)


async def receive_type(
    socket: WebsocketCommunicator, kind: str, timeout: float = 3
) -> dict[str, Any]:
    """The next frame of `kind`, skipping none: a different frame fails the test."""
    frame = await socket.receive_json_from(timeout=timeout)
    assert frame["type"] == kind, frame
    return frame
