"""Consumer handlers of booking_service, found by `manage.py consume` through
settings.KAFKA_CONSUMER: rentezy.property keeps the projection of the
properties it books against; rentezy.payment says whether a reservation's
first invoice was paid. Each maps an event type to a thin call of one service
function, run once per event id in the transaction of its effect. They arrive
with the features that need them; booking's own events live in `events.py`.
"""

from rentezy_platform.kafka import Handler

HANDLERS: dict[str, Handler] = {}
