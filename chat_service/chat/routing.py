"""chat_service's socket route (config/asgi.py): `/ws/chat/<conversation_id>`."""

from django.urls import re_path

from chat.consumers import ChatConsumer

websocket_urlpatterns = [
    re_path(r"^ws/chat/(?P<conversation_id>[^/]+)$", ChatConsumer.as_asgi()),
]
