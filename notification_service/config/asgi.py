"""ASGI entry point of notification_service (uvicorn config.asgi:application):
Django for HTTP, the notification socket for WebSockets, both behind the
gateway's signature (GatewayTrustMiddleware / GatewayTrustWebSocketMiddleware)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_asgi_application()  # sets Django up before the consumers import

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402
from rentezy_platform.sockets import GatewayTrustWebSocketMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": GatewayTrustWebSocketMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
