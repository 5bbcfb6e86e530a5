"""booking_service URLs: `api/bookings...`, the public routes of API.md's
Bookings table (via the gateway)."""

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
    path("api/bookings", include("bookings.urls")),
]
