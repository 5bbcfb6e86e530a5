"""auth_service URLs.

- `api/auth/...`: the public routes of API.md's Auth table (via the gateway).
- `internal/validate`: the gateway's token check (signed; never routed publicly).
- `internal/admin/`: the operators' Django admin, exempt from gateway trust
  (GATEWAY_TRUST_EXEMPT_PREFIXES in settings); in production reachable only by `kubectl port-forward`.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles.views import serve as serve_static
from django.urls import include, path, re_path
from rentezy_platform.urls import (  # noqa: F401
    handler400,
    handler403,
    handler404,
    handler500,
    platform_urlpatterns,
)
from users.apis import ValidateTokenApi

admin_prefix = settings.ADMIN_URL_PREFIX.lstrip("/")

urlpatterns = [
    *platform_urlpatterns,
    path("api/auth/", include("users.urls")),
    path("internal/validate", ValidateTokenApi.as_view(), name="internal-validate"),
    # The admin's CSS and JS, served by the app itself: operators only, a
    # handful of requests, and no separate static file server to run.
    re_path(
        rf"^{settings.STATIC_URL.lstrip('/')}(?P<path>.*)$",
        serve_static,
        {"insecure": True},
    ),
    path(admin_prefix, admin.site.urls),
]
