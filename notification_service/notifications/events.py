"""Events notification_service consumes (and, later, the types it publishes).

HANDLERS maps an event type to the function handling it; `manage.py consume`
finds it through settings.KAFKA_CONSUMER. Types without a handler are skipped
(tolerant reader). Handlers arrive with the features that need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rentezy_platform.kafka import Handler

HANDLERS: dict[str, Handler] = {}
