"""notification_service settings: notifications and e-mail delivery.

The platform defaults (rentezy_platform.settings) plus what is this service's own.
"""

from rentezy_platform.settings import *  # noqa: F403
from rentezy_platform.settings import PLATFORM_APPS, database

SERVICE_NAME = "notification_service"
INSTALLED_APPS = [*PLATFORM_APPS, "notifications"]
DATABASES = {
    "default": database("rentezy_notification", conn_max_age=0)
}  # ASGI: no persistent connections
READINESS_CHECKS = ["database", "redis", "kafka"]
KAFKA_CONSUMER = {
    "group_id": SERVICE_NAME,
    "topics": ["rentezy.booking", "rentezy.payment", "rentezy.chat", "rentezy.user"],
    "handlers": "notifications.handlers.HANDLERS",
}
