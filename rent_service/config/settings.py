"""rent_service settings: leases, invoices, payments, late fees, reminders.

The platform defaults (rentezy_platform.settings) plus what is this service's own.
"""

from rentezy_platform.settings import *  # noqa: F403
from rentezy_platform.settings import PLATFORM_APPS, database

SERVICE_NAME = "rent_service"
INSTALLED_APPS = [*PLATFORM_APPS, "rent"]
DATABASES = {"default": database("rentezy_rent")}
READINESS_CHECKS = ["database", "redis", "kafka"]
KAFKA_CONSUMER = {
    "group_id": SERVICE_NAME,
    "topics": ["rentezy.booking"],
    "handlers": "rent.handlers.HANDLERS",
}
