"""property_service settings: properties, images, amenities.

The platform defaults (rentezy_platform.settings) plus what is this service's own.
"""

from rentezy_platform.settings import *  # noqa: F403
from rentezy_platform.settings import PLATFORM_APPS, database

SERVICE_NAME = "property_service"
INSTALLED_APPS = [*PLATFORM_APPS, "properties"]
DATABASES = {"default": database("rentezy_property")}
READINESS_CHECKS = ["database", "kafka"]
