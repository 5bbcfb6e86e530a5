"""Liveness (`/healthz`) and readiness (`/readyz`) probes.

`/healthz` only says the process serves HTTP: a dependency outage must not get
a healthy pod restarted. `/readyz` runs the checks named in READINESS_CHECKS
(`database`, `redis`, `kafka`, `search`, or a dotted path to a callable taking
the timeout in seconds) and answers 503 naming what is down, so Kubernetes stops
routing to the pod until it recovers.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import wraps

import redis
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string

from rentezy_platform.errors import error_response
from rentezy_platform.kafka.config import admin_config

logger = logging.getLogger(__name__)

Check = Callable[[float], None]  # raises when the dependency does not answer in time

DEFAULT_TIMEOUT_SECONDS = 2.0


def check_database(timeout: float) -> None:
    # The connection the requests use (and reuse): that is the one that must work.
    # Bounded by the connection's own connect_timeout (see settings.database()).
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis(timeout: float) -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout
    )
    try:
        client.ping()
    finally:
        client.close()


_kafka_admins: dict[str, AdminClient] = {}
_kafka_admins_lock = threading.Lock()


def _kafka_admin() -> AdminClient:
    # One client per process and broker list: it keeps its connections (and
    # reconnects by itself), so a probe costs one metadata round trip.
    config = {
        **admin_config(),  # the same address and security settings as the workers
        # Outages are reported by the probe; librdkafka's reconnect chatter
        # would only flood the logs.
        "log_level": 0,
    }
    key = config["bootstrap.servers"]
    with _kafka_admins_lock:
        if key not in _kafka_admins:
            _kafka_admins[key] = AdminClient(config)
        return _kafka_admins[key]


def check_kafka(timeout: float) -> None:
    try:
        _kafka_admin().list_topics(timeout=timeout)
    except KafkaException as exc:
        error = exc.args[0] if exc.args else None
        raise RuntimeError(error.str() if isinstance(error, KafkaError) else str(exc)) from exc


def check_search(timeout: float) -> None:
    try:
        with urllib.request.urlopen(settings.SEARCH_URL, timeout=timeout) as response:
            response.read(0)
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"HTTP {exc.code}") from exc
    except urllib.error.URLError as exc:
        raise RuntimeError(str(exc.reason)) from exc


CHECKS: dict[str, Check] = {
    "database": check_database,
    "redis": check_redis,
    "kafka": check_kafka,
    "search": check_search,
}


def _resolve(name: str) -> Check:
    return CHECKS[name] if name in CHECKS else import_string(name)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"down: {text[:200]}"


def _run(check: Check, timeout: float) -> str:
    try:
        check(timeout)
    except Exception as exc:
        return _reason(exc)
    return "ok"


def run_checks(names: Iterable[str], timeout: float = DEFAULT_TIMEOUT_SECONDS) -> dict[str, str]:
    """`{name: "ok" | "down: <reason>"}`; the network checks run concurrently, the
    database check in the calling thread (Django connections are per thread)."""
    names = list(names)
    results: dict[str, str] = {}
    others = [name for name in names if name != "database"]
    pool = ThreadPoolExecutor(max_workers=max(1, len(others)), thread_name_prefix="readyz")
    try:
        futures = {name: pool.submit(_run, _resolve(name), timeout) for name in others}
        if "database" in names:
            results["database"] = _run(_resolve("database"), timeout)
        deadline = time.monotonic() + timeout + 1.0
        for name, future in futures.items():
            try:
                results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                results[name] = f"down: no answer within {timeout:g}s"
    finally:
        # Never let one hung check hold the probe past its deadline.
        pool.shutdown(wait=False, cancel_futures=True)
    return {name: results[name] for name in names}


def _probe(view: Callable[[HttpRequest], JsonResponse]) -> Callable[[HttpRequest], JsonResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest) -> JsonResponse:
        if request.method not in ("GET", "HEAD"):
            response = error_response(
                "method_not_allowed", f'Method "{request.method}" not allowed.', status=405
            )
            response["Allow"] = "GET, HEAD"
            return response
        response = view(request)
        response["Cache-Control"] = "no-store"
        return response

    return wrapper


@_probe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@_probe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = run_checks(
        getattr(settings, "READINESS_CHECKS", ()),
        timeout=getattr(settings, "READINESS_TIMEOUT", DEFAULT_TIMEOUT_SECONDS),
    )
    down = [name for name, result in checks.items() if result != "ok"]
    if not down:
        return JsonResponse({"status": "ok", "checks": checks})
    logger.warning("Not ready: %s", checks)
    return JsonResponse(
        {
            "status": "unavailable",
            "code": "not_ready",
            "message": f"down: {', '.join(down)}",
            "checks": checks,
        },
        status=503,
    )
