"""notification_service settings: notifications, their sockets and e-mail.

The platform defaults (rentezy_platform.settings) plus what is this service's
own: Channels with the Redis channel layer, the consumer of every topic that
notifies, e-mail, and the Celery worker that sends it.
"""

from datetime import timedelta

from rentezy_platform.conf import env
from rentezy_platform.settings import *  # noqa: F403
from rentezy_platform.settings import PLATFORM_APPS, channel_layers, database, email_settings
from rentezy_platform.tasks import celery_settings

SERVICE_NAME = "notification_service"
INSTALLED_APPS = [*PLATFORM_APPS, "channels", "notifications"]
DATABASES = {
    "default": database("rentezy_notification", conn_max_age=0)
}  # ASGI: no persistent connections
READINESS_CHECKS = ["database", "redis", "kafka"]
KAFKA_CONSUMER = {
    "group_id": SERVICE_NAME,
    "topics": ["rentezy.booking", "rentezy.payment", "rentezy.chat", "rentezy.user"],
    "handlers": "notifications.handlers.HANDLERS",
}

ASGI_APPLICATION = "config.asgi.application"
CHANNEL_LAYERS = channel_layers()
CHANNEL_LAYER_PREFIX = env.str("CHANNEL_LAYER_PREFIX", default="")

# E-mail (rentezy_platform.settings.email_settings; dev.env: files under .data/mail).
globals().update(email_settings())
# Where the links in e-mails go.
WEB_APP_URL = env.str("WEB_APP_ORIGIN", default="http://127.0.0.1:5173").split(",")[0].rstrip("/")

# Celery (config/celery.py): Redis broker, late acknowledgement.
globals().update(celery_settings(SERVICE_NAME))
# E-mails whose task never ran (broker away) are queued again by Beat: after
# PENDING_EMAIL_GRACE_SECONDS, checked every NOTIFICATION_BEAT_INTERVAL_SECONDS.
PENDING_EMAIL_GRACE_SECONDS = env.int("PENDING_EMAIL_GRACE_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "send-pending-emails": {
        "task": "notifications.send_pending_emails",
        "schedule": timedelta(seconds=env.float("NOTIFICATION_BEAT_INTERVAL_SECONDS", default=60.0)),
    },
}

# Request bodies here are a few small fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "DESCRIPTION": "Notifications and e-mail preferences (the socket: /ws/notifications).",
}
