"""notification_service URLs: `api/notifications...`, the public routes of
API.md's Notifications table (via the gateway). The socket route is
notifications/routing.py."""

from django.urls import include, path
from rentezy_platform.urls import (  # noqa: F401
    handler400,
    handler403,
    handler404,
    handler500,
    platform_urlpatterns,
)

urlpatterns = [
    *platform_urlpatterns,
    path("api/notifications", include("notifications.urls")),
]
