"""Celery of booking_service (rentezy_platform.tasks): the tasks of
bookings/tasks.py, scheduled by CELERY_BEAT_SCHEDULE in config/settings.py.

    celery -A config worker   # runs the tasks
    celery -A config beat     # sends the periodic ones (one Beat per deployment)
"""

from rentezy_platform.tasks import celery_app

app = celery_app("booking_service", packages=["bookings"])
