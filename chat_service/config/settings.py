"""chat_service settings: conversations and messages, over REST and sockets.

The platform defaults (rentezy_platform.settings) plus what is this service's
own: Channels with the Redis channel layer, the socket rate limit, the
rentezy.user consumer.
"""

from rentezy_platform.conf import env
from rentezy_platform.settings import *  # noqa: F403
from rentezy_platform.settings import PLATFORM_APPS, channel_layers, database

SERVICE_NAME = "chat_service"
INSTALLED_APPS = [*PLATFORM_APPS, "channels", "chat"]
DATABASES = {"default": database("rentezy_chat", conn_max_age=0)}  # ASGI: no persistent connections
READINESS_CHECKS = ["database", "redis", "kafka"]
KAFKA_CONSUMER = {
    "group_id": SERVICE_NAME,
    "topics": ["rentezy.user"],
    "handlers": "chat.handlers.HANDLERS",
}

ASGI_APPLICATION = "config.asgi.application"
CHANNEL_LAYERS = channel_layers()
CHANNEL_LAYER_PREFIX = env.str("CHANNEL_LAYER_PREFIX", default="")
# Message and typing frames a socket may send: per second, and saved up.
CHAT_SOCKET_RATE = env.float("CHAT_SOCKET_RATE", default=5.0)
CHAT_SOCKET_BURST = env.int("CHAT_SOCKET_BURST", default=20)

# Request bodies here are a message (4,000 characters) at most.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "DESCRIPTION": "Conversations and messages (the socket: /ws/chat/{conversation_id}).",
}
