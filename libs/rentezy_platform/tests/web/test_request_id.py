"""Request ids: kept when sane, generated otherwise, echoed, and in every log line."""

import io
import json
import logging
import re

import pytest
from asgiref.sync import async_to_sync
from django.utils.module_loading import import_string
from rentezy_platform.logging import ContextFilter, logging_config
from rentezy_platform.request_id import bind_request_id, current_request_id

from .test_trust import signed


def test_sent_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123.XYZ_9"})
    assert response["X-Request-ID"] == "abc-123.XYZ_9"


def test_missing_request_id_is_generated(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.parametrize("bad", ["a" * 129, "has space", "new\\nline", "<script>", "ünï"])
def test_insane_request_id_is_replaced(client, bad):
    echoed = client.get("/healthz", headers={"X-Request-ID": bad})["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_128_chars_is_accepted(client):
    value = "r" * 128
    assert client.get("/healthz", headers={"X-Request-ID": value})["X-Request-ID"] == value


def test_error_responses_carry_the_id_too(client):
    refused = client.get("/api/whoami", headers={"X-Request-ID": "refused-1"})
    assert refused.status_code == 401
    assert refused["X-Request-ID"] == "refused-1"
    missing = client.get("/nowhere", headers={"X-Request-ID": "missing-1"})
    assert missing.status_code == 401  # unsigned: refused before routing
    assert missing["X-Request-ID"] == "missing-1"


def test_async_stack_echoes_the_id(async_client):
    response = async_to_sync(async_client.get)("/healthz", headers={"X-Request-ID": "async-1"})
    assert response["X-Request-ID"] == "async-1"


def test_id_does_not_leak_out_of_the_request(client):
    client.get("/healthz", headers={"X-Request-ID": "inside"})
    assert current_request_id() is None


@pytest.fixture
def json_log():
    """The platform's JSON handler (as LOGGING builds it) on the test views' logger."""
    config = logging_config("INFO")
    formatter_config = dict(config["formatters"]["json"])
    formatter = import_string(formatter_config.pop("()"))(**formatter_config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("tests.web.views")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_log_records_carry_request_id_and_service(client, json_log):
    client.get("/api/whoami", headers={**signed(), "X-Request-ID": "trace-me-1"})
    [record] = json_log()
    assert {k: record[k] for k in ("level", "logger", "message", "service", "request_id")} == {
        "level": "INFO",
        "logger": "tests.web.views",
        "message": "whoami served",
        "service": "web_tests",
        "request_id": "trace-me-1",
    }
    assert record["time"].endswith("+00:00")


def test_bind_request_id_outside_requests(json_log):
    with bind_request_id("event-42") as request_id:
        logging.getLogger("tests.web.views").info("handled")
    assert request_id == "event-42"
    assert json_log()[0]["request_id"] == "event-42"
    assert current_request_id() is None
    with bind_request_id("bad id!") as generated:
        assert re.fullmatch(r"[0-9a-f]{32}", generated)
