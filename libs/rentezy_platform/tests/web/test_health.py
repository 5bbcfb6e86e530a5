"""Probes: /healthz is liveness only, /readyz checks the real dependencies."""

import time

import pytest
from rentezy_platform.health import run_checks

CLOSED_PORT = "127.0.0.1:1"  # nothing listens on tcpmux; connections are refused


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_healthz_only_answers_get_and_head(client):
    assert client.head("/healthz").status_code == 200
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.json() == {
        "code": "method_not_allowed",
        "message": 'Method "POST" not allowed.',
    }
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.django_db
def test_readyz_ok_when_every_dependency_answers(client, settings):
    settings.READINESS_CHECKS = ["database", "redis", "kafka", "search"]
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "kafka": "ok", "search": "ok"},
    }


@pytest.mark.django_db
def test_readyz_names_what_is_down(client, settings):
    settings.READINESS_CHECKS = ["database", "redis", "kafka", "search"]
    settings.KAFKA_BOOTSTRAP_SERVERS = CLOSED_PORT
    settings.REDIS_URL = f"redis://{CLOSED_PORT}/0"
    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    assert {k: body[k] for k in ("status", "code", "message")} == {
        "status": "unavailable",
        "code": "not_ready",
        "message": "down: redis, kafka",
    }
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["search"] == "ok"
    assert body["checks"]["redis"].startswith("down: ")
    assert "refused" in body["checks"]["redis"].lower()
    assert body["checks"]["kafka"].startswith("down: ")
    # Checks run concurrently, each bounded by READINESS_TIMEOUT (2 s).
    assert elapsed < 3.5


@pytest.mark.django_db
def test_readyz_reports_a_down_search_engine(client, settings):
    settings.READINESS_CHECKS = ["search"]
    settings.SEARCH_URL = f"http://{CLOSED_PORT}"
    body = client.get("/readyz").json()
    assert body["message"] == "down: search"
    assert "refused" in body["checks"]["search"].lower()


def test_readyz_database_down(client, settings):
    # Without django_db, pytest-django refuses database access: as good as down.
    settings.READINESS_CHECKS = ["database"]
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("down: ")


def always_down(timeout):
    raise ConnectionError("stripe-mock did not answer")


def test_custom_checks_by_dotted_path():
    assert run_checks([f"{__name__}.always_down"], timeout=0.1) == {
        f"{__name__}.always_down": "down: stripe-mock did not answer"
    }


def test_hung_check_does_not_hold_the_probe():
    started = time.monotonic()
    result = run_checks([f"{__name__}.hangs"], timeout=0.2)
    assert result == {f"{__name__}.hangs": "down: no answer within 0.2s"}
    assert time.monotonic() - started < 2.0


def hangs(timeout):
    time.sleep(3)
