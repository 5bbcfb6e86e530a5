"""The access log's lean formatter writes what the platform's JSON formatter
would write for the same record."""

from __future__ import annotations

import copy
import json
import logging

import pytest
from django.conf import settings
from gateway.logs import AccessFormatter
from rentezy_platform.logging import ContextFilter
from rentezy_platform.request_id import bind_request_id


def _platform_formatter() -> logging.Formatter:
    config = copy.deepcopy(settings.LOGGING)
    spec = dict(config["formatters"]["json"])
    factory = spec.pop("()")
    module, _, name = factory.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)(**spec)


def _record(extra: dict) -> logging.LogRecord:
    logger = logging.getLogger("gateway.access")
    return logger.makeRecord(
        "gateway.access",
        logging.INFO,
        __file__,
        1,
        "%s %s %s",
        ("GET", "/api/x", 200),
        None,
        extra=extra,
    )


@pytest.mark.parametrize(
    "extra",
    [
        {
            "request_id": "rid-1",
            "method": "GET",
            "path": "/api/bookings/é",
            "status": 200,
            "duration_ms": 1.234,
            "client_ip": "127.0.0.1",
            "user_id": "",
            "upstream": "booking",
        },
        {
            "request_id": "rid-2",
            "method": "WS",
            "path": "/ws/chat/1",
            "status": "accepted",
            "close_code": None,
            "reason": "",
            "duration_ms": 12.5,
            "client_ip": "10.0.0.1",
            "user_id": "u-1",
            "upstream": "chat",
        },
    ],
)
def test_access_lines_match_the_platform_formatter(extra):
    platform, lean = _platform_formatter(), AccessFormatter()
    record = _record(extra)
    ContextFilter().filter(record)  # what the platform's handler applies

    assert lean.format(copy.copy(record)) == platform.format(copy.copy(record))


def test_the_access_handler_stamps_the_service_and_the_request_id_of_the_context():
    handler = logging.getLogger("gateway.access").handlers[0]
    assert isinstance(handler.formatter, AccessFormatter)
    record = _record({"method": "GET", "path": "/healthz", "status": 200})
    with bind_request_id("bound-id"):
        assert handler.filter(record)
    line = json.loads(handler.format(record))
    assert (line["request_id"], line["service"], line["logger"]) == (
        "bound-id",
        "api_gateway",
        "gateway.access",
    )
