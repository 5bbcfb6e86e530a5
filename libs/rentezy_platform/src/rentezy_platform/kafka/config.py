"""confluent-kafka client configuration built from Django settings.

Settings read (all optional except the bootstrap servers):

- `KAFKA_BOOTSTRAP_SERVERS` (falls back to the environment variable of the
  same name, so the native stack's `dev.env` is enough).
- `KAFKA_DELIVERY_TIMEOUT_MS` (default 10000): how long a produced message
  may wait for its acknowledgement before it is reported failed. Bounded so a
  relay batch (which holds its outbox rows locked) never hangs on a dead broker.
- `KAFKA_PRODUCER_CONFIG` / `KAFKA_CONSUMER_CONFIG`: dicts merged last, for
  security protocol, SASL credentials and the like in production.
- `SERVICE_NAME`: used as the client id, so broker logs name the service.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_DELIVERY_TIMEOUT_MS = 10_000

# librdkafka's own log lines (connection failures, ...) go through Python
# logging, hence the services' JSON formatter, instead of raw stderr.
client_logger = logging.getLogger("rentezy_platform.kafka.client")


def bootstrap_servers() -> str:
    servers = getattr(settings, "KAFKA_BOOTSTRAP_SERVERS", None) or os.environ.get(
        "KAFKA_BOOTSTRAP_SERVERS"
    )
    if not servers:
        raise ImproperlyConfigured("KAFKA_BOOTSTRAP_SERVERS is not set (settings or environment)")
    return servers


def _client_id(role: str) -> str:
    service = getattr(settings, "SERVICE_NAME", None) or "rentezy"
    return f"{service}-{role}-{socket.gethostname()}-{os.getpid()}"


def _common() -> dict[str, Any]:
    return {
        "bootstrap.servers": bootstrap_servers(),
        # `ssl` for a broker reached over TLS (Amazon MSK's 9094 listener).
        "security.protocol": getattr(settings, "KAFKA_SECURITY_PROTOCOL", "plaintext"),
        # librdkafka's default reconnect backoff grows to 10 s; after a broker
        # restart we want the relay and consumers back within about a second.
        "reconnect.backoff.ms": 100,
        "reconnect.backoff.max.ms": 1000,
        "logger": client_logger,
    }


def delivery_timeout_ms() -> int:
    return int(getattr(settings, "KAFKA_DELIVERY_TIMEOUT_MS", DEFAULT_DELIVERY_TIMEOUT_MS))


def producer_config(*, role: str = "producer") -> dict[str, Any]:
    """Idempotent, acks=all producer: no duplicates from internal retries and
    per-partition order kept across retries."""
    config: dict[str, Any] = {
        **_common(),
        "client.id": _client_id(role),
        "enable.idempotence": True,
        "acks": "all",
        # A few ms of batching gives throughput without hurting the latency
        # budget (p99 < 100 ms commit-to-handler).
        "linger.ms": 5,
        "compression.type": "lz4",
        "message.timeout.ms": delivery_timeout_ms(),
        "request.timeout.ms": min(delivery_timeout_ms(), 30_000),
    }
    config.update(getattr(settings, "KAFKA_PRODUCER_CONFIG", {}) or {})
    return config


def consumer_config(*, group_id: str) -> dict[str, Any]:
    """Manual, synchronous offset commits after effects: at-least-once."""
    config: dict[str, Any] = {
        **_common(),
        "client.id": _client_id("consumer"),
        "group.id": group_id,
        "enable.auto.commit": False,
        # We commit explicit offsets; librdkafka must not store them itself.
        "enable.auto.offset.store": False,
        # A new group starts from the beginning: a service deployed after
        # events were published must still see them (the inbox dedups).
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
        # Handlers retry with backoff before dead-lettering; allow for it.
        "max.poll.interval.ms": 300_000,
        "session.timeout.ms": 10_000,
        "heartbeat.interval.ms": 3_000,
    }
    config.update(getattr(settings, "KAFKA_CONSUMER_CONFIG", {}) or {})
    return config


def admin_config() -> dict[str, Any]:
    config: dict[str, Any] = {**_common(), "client.id": _client_id("admin")}
    extra = getattr(settings, "KAFKA_PRODUCER_CONFIG", {}) or {}
    # Only connection/security keys make sense for the admin client.
    config.update({k: v for k, v in extra.items() if k.startswith(("security.", "sasl.", "ssl."))})
    return config
