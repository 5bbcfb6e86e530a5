"""Consumer handlers of notification_service: the events of other services it reacts to
(rentezy.user, rentezy.booking, rentezy.payment and rentezy.chat: each becomes a notification).

HANDLERS maps an event type to the function handling it (a thin call of one
service function); `manage.py consume` finds it through
settings.KAFKA_CONSUMER["handlers"]. Each handler runs once per event id, in
the transaction of its effect (the inbox). Types without a handler are skipped
(tolerant reader). It publishes no events of its own, so it has no `events.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rentezy_platform.kafka import Handler

HANDLERS: dict[str, Handler] = {}
