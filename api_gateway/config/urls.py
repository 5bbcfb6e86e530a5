"""api_gateway URLs: the pages the gateway serves itself. Everything else is
the reverse proxy (gateway.app), which never reaches Django."""

from django.urls import path
from gateway import schema
from rentezy_platform.urls import handler400, handler403, handler404, handler500, health_urlpatterns  # noqa: F401

urlpatterns = [
    *health_urlpatterns,
    path("api/schema/", schema.merged_schema, name="schema"),
    path("api/docs/", schema.swagger_ui, name="docs"),
]
