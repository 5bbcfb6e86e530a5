"""Topic creation: every event topic has its dead-letter twin `<topic>.dlq`."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
from django.conf import settings

from rentezy_platform.kafka.config import admin_config

logger = logging.getLogger(__name__)

DLQ_SUFFIX = ".dlq"


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


def ensure_topics(
    names: Iterable[str],
    *,
    partitions: int = 3,
    replication_factor: int | None = None,
    timeout: float = 15.0,
) -> list[str]:
    """Create each topic and its `.dlq` unless it exists. Idempotent.

    Returns the topics that were actually created. Raises `KafkaException` if
    the broker cannot be reached or refuses for another reason than "exists".
    """
    wanted: list[str] = []
    for name in names:
        for topic in (name, dlq_topic(name)) if not name.endswith(DLQ_SUFFIX) else (name,):
            if topic not in wanted:
                wanted.append(topic)
    if not wanted:
        return []
    if replication_factor is None:
        replication_factor = int(getattr(settings, "KAFKA_TOPIC_REPLICATION_FACTOR", 1))
    min_insync = min(
        int(getattr(settings, "KAFKA_TOPIC_MIN_INSYNC_REPLICAS", 1)), replication_factor
    )

    admin = AdminClient(admin_config())
    existing = set(admin.list_topics(timeout=timeout).topics)
    missing = [t for t in wanted if t not in existing]
    if not missing:
        return []
    futures = admin.create_topics(
        [
            NewTopic(
                t,
                num_partitions=partitions,
                replication_factor=replication_factor,
                config={"min.insync.replicas": str(min_insync)},
            )
            for t in missing
        ],
        operation_timeout=timeout,
        request_timeout=timeout,
    )
    created: list[str] = []
    for topic, future in futures.items():
        try:
            future.result(timeout=timeout)
        except KafkaException as exc:
            # Another process won the race: exactly the state we want.
            if exc.args and exc.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            raise
        created.append(topic)
        logger.info("kafka topic created", extra={"topic": topic, "partitions": partitions})
    return created


def delete_topics(names: Iterable[str], *, timeout: float = 15.0) -> None:
    """Delete topics (and nothing else); unknown topics are ignored. For tests."""
    names = list(names)
    if not names:
        return
    admin = AdminClient(admin_config())
    futures = admin.delete_topics(names, operation_timeout=timeout, request_timeout=timeout)
    for future in futures.values():
        try:
            future.result(timeout=timeout)
        except KafkaException as exc:
            if exc.args and exc.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
                continue
            raise
