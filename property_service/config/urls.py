"""property_service URLs.

- `api/properties...`: the public routes of API.md's Properties table (via the gateway).
- `media/...`: the stored images (via the gateway, public).
- `internal/properties/export`: search_service's reindexing source (signed
  with the role `service`; never routed publicly).
"""

from django.urls import include, path, re_path
from properties.apis import PropertyExportApi
from properties.media import media_serve
from rentezy_platform.urls import (  # noqa: F401
    handler400,
    handler403,
    handler404,
    handler500,
    platform_urlpatterns,
)

urlpatterns = [
    *platform_urlpatterns,
    path("api/properties", include("properties.urls")),
    re_path(r"^media/(?P<path>.+)$", media_serve, name="media"),
    path(
        "internal/properties/export", PropertyExportApi.as_view(), name="internal-property-export"
    ),
]
