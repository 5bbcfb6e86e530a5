"""Consumer handlers of notification_service, found by `manage.py consume`
through settings.KAFKA_CONSUMER: every event type of catalog.PLANS becomes its
notifications (services.notify_for_event, once per event id in the
consumer's transaction); rentezy.user also keeps the directory of e-mail
addresses and names. The service publishes nothing, so it has no `events.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from notifications import catalog, services

if TYPE_CHECKING:
    from rentezy_platform.events import CloudEvent
    from rentezy_platform.kafka import Handler

USER_REGISTERED = "rentezy.user.registered.v1"
USER_UPDATED = "rentezy.user.updated.v1"


def notify(event: CloudEvent) -> None:
    services.notify_for_event(event_id=event.id, event_type=event.type, data=event.data)


def user_registered(event: CloudEvent) -> None:
    services.contact_apply(data=event.data)
    notify(event)


def user_updated(event: CloudEvent) -> None:
    services.contact_apply(data=event.data)


HANDLERS: dict[str, Handler] = {
    **{event_type: notify for event_type in catalog.PLANS},
    USER_REGISTERED: user_registered,
    USER_UPDATED: user_updated,
}
