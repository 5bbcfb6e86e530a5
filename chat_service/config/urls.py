"""chat_service URLs: `api/chat/...`, the public routes of API.md's Chat table
(via the gateway). The socket route is chat/routing.py."""

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
    path("api/chat/", include("chat.urls")),
]
