"""booking_service URLs."""

from rentezy_platform.urls import (  # noqa: F401
    handler400,
    handler403,
    handler404,
    handler500,
    platform_urlpatterns,
)

urlpatterns = [*platform_urlpatterns]
