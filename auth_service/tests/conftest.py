"""Fixtures of the auth_service tests (real PostgreSQL and Redis).

`gateway` calls the service the way api_gateway does: a
rentezy_platform.testing.SignedClient that, for a call made with a bearer
token, first asks `POST /internal/validate` who the token stands for, answers
the 401 itself when it is refused, and otherwise forwards the signed identity
plus the untouched `Authorization` header. Each request runs its on-commit
callbacks (the Redis revocation signal), as a committed request would.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from rentezy_platform.testing import Caller, SignedClient
from users import services
from users.models import Role, User
from users.revocation import REVOCATIONS_CHANNEL, redis_client

PASSWORD = "correct horse battery staple"
VALIDATE_PATH = "/internal/validate"


class Gateway(SignedClient):
    """A SignedClient that, like api_gateway, turns `token=` into the identity
    auth_service validates for it (or returns the validation's refusal)."""

    def request(self, method: str, path: str, *args: Any, token: str | None = None, **kwargs: Any):
        if token is None:
            return super().request(method, path, *args, **kwargs)
        check = self.validate(token)
        if check.status_code != 200:
            return check
        identity = check.json()
        caller = Caller(user_id=identity["user_id"], role=identity["role"], email=identity["email"])
        headers = {**(kwargs.pop("headers", None) or {}), "Authorization": f"Bearer {token}"}
        return super().request(method, path, *args, as_=caller, headers=headers, **kwargs)

    def validate(self, token: str):
        return self.request("POST", VALIDATE_PATH, {"token": token})

    def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = self.post("/api/auth/login", {"email": email, "password": password})
        assert response.status_code == 200, response.json()
        return response.json()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]


@pytest.fixture
def gateway(client) -> Gateway:
    return Gateway(client)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def make_user(
    *,
    email: str | None = None,
    password: str = PASSWORD,
    full_name: str = "Ada Tenant",
    role: str = Role.TENANT,
) -> User:
    return services.user_register(
        email=email or unique_email(), password=password, full_name=full_name, role=role
    )


@pytest.fixture
def user(db) -> User:
    return make_user()


class RevocationListener:
    """A real Redis subscriber to the revocation channel. Other processes may
    publish there too, so messages are read per user id."""

    def __init__(self) -> None:
        self.pubsub = redis_client().pubsub()
        self.pubsub.subscribe(REVOCATIONS_CHANNEL)
        # Only Redis's confirmation proves the subscription is active: until
        # then a message published by the test could be missed.
        deadline = time.monotonic() + 5
        while True:
            message = self.pubsub.get_message(timeout=0.1)
            if message is not None and message["type"] == "subscribe":
                break
            assert time.monotonic() < deadline, "no subscription confirmation from Redis"
        self.seen: list[dict[str, Any]] = []

    def _drain(self, timeout: float) -> None:
        message = self.pubsub.get_message(timeout=timeout)
        while message is not None:
            if message["type"] == "message":
                self.seen.append(json.loads(message["data"]))
            message = self.pubsub.get_message(timeout=0.01)

    def messages_for(
        self, user_id: str, *, count: int, timeout: float = 2.0
    ) -> list[dict[str, Any]]:
        """Wait for `count` messages about `user_id`, then a little longer for extras."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._drain(0.05)
            if len([m for m in self.seen if m.get("user_id") == user_id]) >= count:
                break
        self._drain(0.2)
        return [m for m in self.seen if m.get("user_id") == user_id]

    def close(self) -> None:
        self.pubsub.close()


@pytest.fixture
def revocations() -> Iterator[RevocationListener]:
    listener = RevocationListener()
    yield listener
    listener.close()
