"""Integration events auth_service publishes (topic `rentezy.user`, key user_id).

Schemas: contracts/events/rentezy.user.*.schema.json. Enqueued through the
outbox in the transaction that makes the change (users/services.py).
"""

from __future__ import annotations

from typing import Any

from rentezy_platform.outbox.services import outbox_enqueue

from users.models import User

USER_REGISTERED = "rentezy.user.registered.v1"
USER_UPDATED = "rentezy.user.updated.v1"


def user_registered_data(user: User) -> dict[str, Any]:
    return {
        "user_id": str(user.id),
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
    }


def user_updated_data(user: User) -> dict[str, Any]:
    # The full profile after the change; no phone is null.
    return {**user_registered_data(user), "phone": user.phone or None}


def enqueue_user_registered(user: User) -> None:
    outbox_enqueue(type=USER_REGISTERED, subject=str(user.id), data=user_registered_data(user))


def enqueue_user_updated(user: User) -> None:
    outbox_enqueue(type=USER_UPDATED, subject=str(user.id), data=user_updated_data(user))
