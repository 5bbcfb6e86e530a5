"""booking_service settings: viewing slots, viewing bookings, rental reservations.

The platform defaults (rentezy_platform.settings) plus what is this service's
own: its booking rules and its Celery tasks.
"""

from datetime import timedelta

from rentezy_platform.conf import env
from rentezy_platform.settings import *  # noqa: F403
from rentezy_platform.settings import PLATFORM_APPS, database
from rentezy_platform.tasks import celery_settings

SERVICE_NAME = "booking_service"
INSTALLED_APPS = [*PLATFORM_APPS, "rentezy_platform.idempotency", "bookings"]
DATABASES = {"default": database("rentezy_booking")}
READINESS_CHECKS = ["database", "kafka"]
KAFKA_CONSUMER = {
    "group_id": SERVICE_NAME,
    "topics": ["rentezy.property", "rentezy.payment"],
    "handlers": "bookings.handlers.HANDLERS",
}

# Booking closes this long before a viewing starts (409 `slot_closed`).
BOOKING_NOTICE_MINUTES = env.int("BOOKING_NOTICE_MINUTES", default=60)
# A pending reservation the landlord has not answered within this expires.
RESERVATION_RESPONSE_HOURS = env.int("RESERVATION_RESPONSE_HOURS", default=72)
# A confirmed reservation whose first invoice failed is released after this,
# unless the invoice is paid by then (48 h).
RESERVATION_PAYMENT_GRACE_SECONDS = env.int("RESERVATION_PAYMENT_GRACE_SECONDS", default=48 * 3600)

# Request bodies here are a few small fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

# Celery (config/celery.py): Redis broker, late acknowledgement.
globals().update(celery_settings(SERVICE_NAME))
# How often Beat looks for due work (seconds); the tests make it short.
_BEAT_SECONDS = env.float("BOOKING_BEAT_INTERVAL_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE = {
    "expire-pending-reservations": {
        "task": "bookings.expire_pending_reservations",
        "schedule": timedelta(seconds=_BEAT_SECONDS),
    },
    "release-due-reservations": {
        "task": "bookings.release_due_reservations",
        "schedule": timedelta(seconds=_BEAT_SECONDS * 5),
    },
    "prune-idempotency-keys": {
        "task": "bookings.prune_idempotency_keys",
        "schedule": timedelta(hours=1),
    },
}

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "DESCRIPTION": "Viewing slots and bookings, rental reservations.",
}
