"""Celery for the services that run tasks (booking, rent): one way to make
the app, one set of reliability settings.

A service's `config/celery.py`:

    from rentezy_platform.tasks import celery_app
    app = celery_app("booking_service", packages=["bookings"])

and its settings set `CELERY_BEAT_SCHEDULE`. The worker and Beat run as
`celery -A config worker|beat` from the service's folder (Procfile).

- Broker: Redis (`CELERY_BROKER_URL`, default REDIS_URL). Each service has a
  queue of its own (its name, after `CELERY_QUEUE_PREFIX`, which the tests set
  so a dev stack's worker never takes their tasks).
- Reliability: a task is acknowledged after it ran (`acks_late`) and requeued
  if its worker dies (`reject_on_worker_lost`); a worker reserves one task at
  a time (`prefetch_multiplier=1`). With Redis a task whose worker died is
  delivered again after `visibility_timeout` (CELERY_VISIBILITY_TIMEOUT,
  default 1 h). Tasks must therefore be idempotent, which also makes the
  duplicates Redis can produce for tasks due further away than the visibility
  timeout harmless.
- No results are stored (no task here is waited on).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from celery import Celery, bootsteps
from celery.beat import Scheduler

from rentezy_platform import heartbeat
from rentezy_platform.conf import env


def celery_settings(service_name: str) -> dict[str, Any]:
    """The CELERY_* Django settings every task-running service shares."""
    redis_url = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
    queue = env.str("CELERY_QUEUE_PREFIX", default="") + service_name
    return {
        "CELERY_BROKER_URL": env.str("CELERY_BROKER_URL", default=redis_url),
        "CELERY_BROKER_TRANSPORT_OPTIONS": {
            "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        },
        "CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP": True,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ACKS_LATE": True,
        "CELERY_TASK_REJECT_ON_WORKER_LOST": True,
        "CELERY_WORKER_PREFETCH_MULTIPLIER": 1,
        "CELERY_TASK_IGNORE_RESULT": True,
        "CELERY_RESULT_BACKEND": None,
        "CELERY_TASK_SERIALIZER": "json",
        "CELERY_ACCEPT_CONTENT": ["json"],
        "CELERY_TIMEZONE": "UTC",
        "CELERY_ENABLE_UTC": True,
        "CELERY_WORKER_HIJACK_ROOT_LOGGER": False,
        "CELERY_WORKER_SEND_TASK_EVENTS": False,
    }


def celery_app(service_name: str, *, packages: Sequence[str]) -> Celery:
    """The service's Celery app, configured from its Django settings (CELERY_*)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    app = Celery(service_name)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.autodiscover_tasks(list(packages))
    if heartbeat.heartbeat_file() is not None:
        app.steps["worker"].add(HeartbeatStep)
    return app


class HeartbeatStep(bootsteps.StartStopStep):
    """Touches the heartbeat file from the worker's own timer (the container's
    liveness probe reads it): a worker whose main loop hangs stops beating."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        heartbeat.beat()
        self.tref = worker.timer.call_repeatedly(heartbeat.INTERVAL_SECONDS, heartbeat.beat)

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


class HeartbeatScheduler(Scheduler):
    """Celery Beat's in-memory scheduler (`celery.beat:Scheduler`, every
    periodic task being an idempotent sweep) that also beats the heartbeat on
    every tick, for the container's liveness probe."""

    def tick(self, *args, **kwargs):
        heartbeat.beat()
        return super().tick(*args, **kwargs)
