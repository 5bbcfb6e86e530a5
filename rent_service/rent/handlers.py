"""rent_service reacts here to rentezy.booking (`manage.py consume` reads this
mapping through settings.KAFKA_CONSUMER): a confirmed rental creates its lease
and first invoice, a cancelled or expired one voids the lease's open invoices.
Event type → a thin call of one service function, once per event id. What
rent_service publishes (rentezy.payment) is in `events.py`.
"""

from rentezy_platform.kafka import Handler

HANDLERS: dict[str, Handler] = {}
