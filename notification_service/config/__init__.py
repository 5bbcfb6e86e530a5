"""notification_service's Django project. The Celery app loads with it, so
that `task.delay()` from a consumer uses the configured broker."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
