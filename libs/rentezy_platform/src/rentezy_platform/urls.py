"""URLs every service serves, and the JSON error views.

A service's `config/urls.py`:

    from rentezy_platform.urls import handler400, handler403, handler404, handler500  # noqa: F401
    from rentezy_platform.urls import platform_urlpatterns

    urlpatterns = [*platform_urlpatterns, path("api/...", include("app.urls"))]

The schema and docs stay behind the trust middleware like everything else: only
the gateway's merged schema is public (it fetches each service's signed).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from rentezy_platform import health, openapi  # noqa: F401  (openapi: registers the bearer scheme)

handler400 = "rentezy_platform.errors.bad_request"
handler403 = "rentezy_platform.errors.permission_denied"
handler404 = "rentezy_platform.errors.page_not_found"
handler500 = "rentezy_platform.errors.server_error"

health_urlpatterns: list[URLPattern] = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

# Evaluated when the URLconf is imported, i.e. after the service set SERVICE_NAME.
schema_urlpatterns: list[URLPattern] = [
    path(
        "api/schema/",
        SpectacularAPIView.as_view(
            custom_settings={"TITLE": f"RentEzy {getattr(settings, 'SERVICE_NAME', 'service')} API"}
        ),
        name="schema",
    ),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

platform_urlpatterns: list[URLPattern] = [*health_urlpatterns, *schema_urlpatterns]
