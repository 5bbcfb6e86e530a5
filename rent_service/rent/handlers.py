"""Consumer handlers of rent_service: the events of other services it reacts to
(rentezy.booking: a confirmed rental creates its lease; a cancelled or expired one voids its open invoices).

HANDLERS maps an event type to the function handling it (a thin call of one
service function); `manage.py consume` finds it through
settings.KAFKA_CONSUMER["handlers"]. Each handler runs once per event id, in
the transaction of its effect (the inbox). Types without a handler are skipped
(tolerant reader). Handlers arrive with the features that need them.

The events this service publishes itself live in `events.py`, never here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rentezy_platform.kafka import Handler

HANDLERS: dict[str, Handler] = {}
