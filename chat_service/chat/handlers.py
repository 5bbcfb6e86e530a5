"""Consumer handlers of chat_service, found by `manage.py consume` through
settings.KAFKA_CONSUMER: rentezy.user keeps the directory of users one can
talk to and their display names. What chat_service publishes is `events.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chat import services

if TYPE_CHECKING:
    from rentezy_platform.events import CloudEvent
    from rentezy_platform.kafka import Handler

USER_REGISTERED = "rentezy.user.registered.v1"
USER_UPDATED = "rentezy.user.updated.v1"


def user_changed(event: CloudEvent) -> None:
    services.user_apply(data=event.data)


HANDLERS: dict[str, Handler] = {
    USER_REGISTERED: user_changed,
    USER_UPDATED: user_changed,
}
