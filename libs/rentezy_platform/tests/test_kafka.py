"""Kafka configuration and topic creation."""

from __future__ import annotations

from io import StringIO

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource
from django.core.management import call_command
from django.db import connection
from rentezy_platform.kafka.config import (
    admin_config,
    client_logger,
    consumer_config,
    producer_config,
)
from rentezy_platform.kafka.topics import delete_topics, ensure_topics
from rentezy_platform.kafka.worker import refresh_db_connection
from rentezy_platform.testing import unique_topic


def test_producer_config_is_idempotent_acks_all_and_bounded(settings):
    settings.KAFKA_PRODUCER_CONFIG = {"security.protocol": "PLAINTEXT"}
    config = producer_config(role="outbox-relay")
    client_id = config.pop("client.id")
    assert client_id.startswith("platform_tests-outbox-relay-")
    assert config == {
        "bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS,
        "reconnect.backoff.ms": 100,
        "reconnect.backoff.max.ms": 1000,
        "logger": client_logger,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
        "message.timeout.ms": 5000,
        "request.timeout.ms": 5000,
        "security.protocol": "PLAINTEXT",
    }


def test_consumer_config_commits_manually(settings):
    config = consumer_config(group_id="booking_service")
    config.pop("client.id")
    assert config == {
        "bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS,
        "security.protocol": "plaintext",
        "reconnect.backoff.ms": 100,
        "reconnect.backoff.max.ms": 1000,
        "logger": client_logger,
        "group.id": "booking_service",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
        "max.poll.interval.ms": 300000,
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 3000,
    }


def test_ensure_topics_creates_each_topic_and_its_dlq_once():
    name = unique_topic()
    try:
        assert sorted(ensure_topics([name], partitions=3)) == [name, f"{name}.dlq"]
        assert ensure_topics([name], partitions=3) == []  # idempotent
        metadata = AdminClient(admin_config()).list_topics(timeout=10).topics
        assert len(metadata[name].partitions) == 3
        assert len(metadata[f"{name}.dlq"].partitions) == 3
    finally:
        delete_topics([name, f"{name}.dlq"])


def test_topics_are_created_with_the_configured_min_insync_replicas(settings):
    # Production sets 3 replicas and min.insync.replicas=2; the single local
    # broker can hold one replica, so 2 is clamped to the replication factor
    # and still set on the topic itself (not left to the broker default).
    settings.KAFKA_TOPIC_REPLICATION_FACTOR = 1
    settings.KAFKA_TOPIC_MIN_INSYNC_REPLICAS = 2
    name = unique_topic()
    try:
        ensure_topics([name], partitions=1)
        admin = AdminClient(admin_config())
        resource = ConfigResource(ConfigResource.Type.TOPIC, name)
        configs = admin.describe_configs([resource])[resource].result(timeout=10)
        entry = configs["min.insync.replicas"]
        assert entry.value == "1"
        assert entry.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
        metadata = admin.list_topics(timeout=10).topics[name]
        assert len(metadata.partitions[0].replicas) == 1
    finally:
        delete_topics([name, f"{name}.dlq"])


@pytest.mark.django_db(transaction=True)
def test_worker_connection_is_kept_with_conn_max_age_zero_and_dropped_when_broken():
    previous = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 0  # what the ASGI services use
    try:
        connection.ensure_connection()
        raw = connection.connection
        refresh_db_connection()
        assert connection.connection is raw  # no reconnect per batch

        connection.errors_occurred = True  # as after a failed query
        refresh_db_connection()
        assert connection.connection is raw  # still usable: kept
        assert connection.errors_occurred is False

        raw.close()  # the server went away
        connection.errors_occurred = True
        refresh_db_connection()
        assert connection.connection is None
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = previous
        connection.close()


def test_kafka_ensure_topics_command_creates_topic_and_dlq():
    name = unique_topic()
    out = StringIO()
    try:
        call_command("kafka_ensure_topics", name, stdout=out)
        assert out.getvalue().splitlines() == [
            f"created {name}",
            f"created {name}.dlq",
            f"2 created, all present: {name}",
        ]
    finally:
        delete_topics([name, f"{name}.dlq"])
