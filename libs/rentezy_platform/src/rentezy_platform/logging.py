"""JSON logs, one object a line on stdout, each carrying `service` and `request_id`
so one request can be followed across every service's output."""

from __future__ import annotations

import logging
import os
from typing import Any

from rentezy_platform.request_id import current_request_id


def _service_name() -> str:
    # Read lazily: a service sets SERVICE_NAME after star-importing the platform
    # settings, so the value is not known when LOGGING is built.
    from django.conf import settings

    if settings.configured:
        name = getattr(settings, "SERVICE_NAME", None)
        if name:
            return name
    return os.environ.get("SERVICE_NAME", "unknown")


class ContextFilter(logging.Filter):
    """Stamps every record with the service and the current request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = _service_name()
        # A consumer or a test may have bound one explicitly: keep it.
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id()
        return True


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """The LOGGING setting: everything, Django's own loggers included, goes through
    one JSON handler (on the handler, so propagated records get the filter too)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "rentezy_platform.logging.ContextFilter"}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": ["levelname", "name", "message", "service", "request_id"],
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            }
        },
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["json"], "level": level},
        "loggers": {
            # Replace Django's default console/mail handlers: propagate to root.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "level": level, "propagate": True},
            # stripe-python logs every request and response at INFO; the rent
            # service logs each payment's outcome itself.
            "stripe": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }
