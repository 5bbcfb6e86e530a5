"""rent_service URLs: `api/rent/...`, the public routes of API.md's Rent table
(via the gateway)."""

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
    path("api/rent/", include("rent.urls")),
]
