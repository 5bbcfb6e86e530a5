"""Celery of notification_service (rentezy_platform.tasks): the e-mail task
of notifications/tasks.py.

    celery -A config worker
"""

from rentezy_platform.tasks import celery_app

app = celery_app("notification_service", packages=["notifications"])
