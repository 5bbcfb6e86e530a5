"""api_gateway URLs: the pages the gateway serves itself. Everything else is
the reverse proxy (gateway.app), which never reaches Django."""

from pathlib import Path

import drf_spectacular_sidecar
from django.conf import settings
from django.urls import path, re_path
from django.views.static import serve
from gateway import schema
from rentezy_platform.urls import handler400, handler403, handler404, handler500, health_urlpatterns  # noqa: F401

# Only Swagger UI's folder of the sidecar package (its Redoc bundle is unused).
_SIDECAR_STATIC = Path(drf_spectacular_sidecar.__file__).parent / "static"
_SWAGGER_UI = "drf_spectacular_sidecar/swagger-ui-dist/"

urlpatterns = [
    *health_urlpatterns,
    path("api/schema/", schema.merged_schema, name="schema"),
    path("api/docs/", schema.swagger_ui, name="docs"),
    # The docs page's assets, same origin (the CSP allows no other).
    re_path(
        rf"^{settings.STATIC_URL.lstrip('/')}(?P<path>{_SWAGGER_UI}[^/]+)$",
        serve,
        {"document_root": str(_SIDECAR_STATIC)},
        name="docs-assets",
    ),
]
