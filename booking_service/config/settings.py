"""booking_service settings: viewing slots, viewing bookings, rental reservations.

The platform defaults (rentezy_platform.settings) plus what is this service's own.
"""

from rentezy_platform.settings import *  # noqa: F403
from rentezy_platform.settings import PLATFORM_APPS, database

SERVICE_NAME = "booking_service"
INSTALLED_APPS = [*PLATFORM_APPS, "bookings"]
DATABASES = {"default": database("rentezy_booking")}
READINESS_CHECKS = ["database", "kafka"]
KAFKA_CONSUMER = {
    "group_id": SERVICE_NAME,
    "topics": ["rentezy.property", "rentezy.payment"],
    "handlers": "bookings.handlers.HANDLERS",
}
