"""Consumer handlers of search_service: the property events it indexes.
(It publishes no events, so it has no `events.py`.)

HANDLERS maps an event type to the function handling it; `manage.py consume`
finds it through settings.KAFKA_CONSUMER["handlers"]. Types without a handler are skipped
(tolerant reader). The three property events all carry the property's full
state, so they share one handler: the index ends up holding the state of the
highest version seen (search/services.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from search import services

if TYPE_CHECKING:
    from rentezy_platform.events import CloudEvent
    from rentezy_platform.kafka import Handler

PROPERTY_CREATED = "rentezy.property.created.v1"
PROPERTY_UPDATED = "rentezy.property.updated.v1"
PROPERTY_ARCHIVED = "rentezy.property.archived.v1"


def property_changed(event: CloudEvent) -> None:
    services.property_document_apply(data=event.data)


HANDLERS: dict[str, Handler] = {
    PROPERTY_CREATED: property_changed,
    PROPERTY_UPDATED: property_changed,
    PROPERTY_ARCHIVED: property_changed,
}
