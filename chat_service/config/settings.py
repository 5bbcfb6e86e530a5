"""chat_service settings: conversations and messages.

The platform defaults (rentezy_platform.settings) plus what is this service's own.
"""

from rentezy_platform.settings import *  # noqa: F403
from rentezy_platform.settings import PLATFORM_APPS, database

SERVICE_NAME = "chat_service"
INSTALLED_APPS = [*PLATFORM_APPS, "chat"]
DATABASES = {"default": database("rentezy_chat", conn_max_age=0)}  # ASGI: no persistent connections
READINESS_CHECKS = ["database", "kafka"]
