"""search_service settings: the property search index.

The platform defaults (rentezy_platform.settings) plus what is this service's own.
"""

from rentezy_platform.settings import *  # noqa: F403
from rentezy_platform.settings import PLATFORM_APPS, database

SERVICE_NAME = "search_service"
INSTALLED_APPS = [*PLATFORM_APPS, "search"]
DATABASES = {"default": database("rentezy_search")}
READINESS_CHECKS = ["database", "kafka", "search"]
KAFKA_CONSUMER = {
    "group_id": SERVICE_NAME,
    "topics": ["rentezy.property"],
    "handlers": "search.events.HANDLERS",
}
