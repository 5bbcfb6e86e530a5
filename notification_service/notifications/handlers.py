"""notification_service turns rentezy.user, rentezy.booking, rentezy.payment and
rentezy.chat events into notifications: this mapping (event type → a thin call
of one service function, once per event id) is what `manage.py consume` runs,
named by settings.KAFKA_CONSUMER. The service publishes nothing, so it has no
`events.py`.
"""

from rentezy_platform.kafka import Handler

HANDLERS: dict[str, Handler] = {}
