"""Celery of rent_service (rentezy_platform.tasks): the tasks of rent/tasks.py,
scheduled by CELERY_BEAT_SCHEDULE in config/settings.py (the daily billing run
at RENT_BILLING_HOUR in RENT_BILLING_TIME_ZONE).

    celery -A config worker   # runs the tasks
    celery -A config beat     # sends the periodic ones (one Beat per deployment)
"""

from rentezy_platform.tasks import celery_app

app = celery_app("rent_service", packages=["rent"])
