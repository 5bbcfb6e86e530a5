"""ConsumerRunner against the real broker: dedup, tolerant reading, DLQ."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from django.db import connection
from rentezy_platform.events import CloudEvent, UnknownEventType, topic_for
from rentezy_platform.inbox.models import InboxMessage
from rentezy_platform.kafka.config import bootstrap_servers, producer_config
from rentezy_platform.kafka.consumer import ConsumerRunner
from rentezy_platform.kafka.topics import dlq_topic
from rentezy_platform.testing import ConsumerThread, KafkaTestConsumer, wait_until

from tests.conftest import MANAGE_PY
from tests.widgets.models import EffectCounter
from tests.widgets.services import effect_counter_increment

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "7d3c1a4e-2f1b-4c8e-9a6d-5b4e3c2d1f0a"


def widget_event(event_type: str, *, name: str = "w", seq: int = 0, **data) -> CloudEvent:
    return CloudEvent.new(
        type=event_type,
        subject=KEY,
        data={"widget_id": KEY, "name": name, "seq": seq, **data},
        source="/producer_service",
    )


def produce(topic: str, values: list[bytes | str], *, key: str = KEY) -> None:
    """Straight to the topic, one key (so one partition, in this order)."""
    producer = Producer(producer_config())
    for value in values:
        producer.produce(topic, key=key.encode(), value=value, headers=[("origin", b"test")])
    assert producer.flush(30) == 0


def committed_offset(group_id: str, topic: str, partition: int) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap_servers(), "group.id": group_id})
    try:
        [tp] = consumer.committed([TopicPartition(topic, partition)], timeout=10)
        return tp.offset
    finally:
        consumer.close()


def test_same_envelope_twice_is_applied_once(event_type, topic):
    twice = widget_event(event_type, name="twice")
    once = widget_event(event_type, name="once")
    produce(topic, [twice.to_json(), once.to_json(), twice.to_json()])
    group = f"test-{uuid.uuid4().hex}"
    with ConsumerThread(group, [topic], {event_type: effect_counter_increment}) as consumer:
        wait_until(lambda: consumer.runner.processed + consumer.runner.duplicates == 3, timeout=30)
    assert (consumer.runner.processed, consumer.runner.duplicates) == (2, 1)
    assert dict(EffectCounter.objects.values_list("event_id", "count")) == {twice.id: 1, once.id: 1}
    assert sorted(
        InboxMessage.objects.values_list("consumer_group", "source", "event_id")
    ) == sorted([(group, "/producer_service", twice.id), (group, "/producer_service", once.id)])


def test_replaying_the_topic_with_the_same_group_changes_nothing(event_type, topic):
    events = [widget_event(event_type, seq=i) for i in range(5)]
    produce(topic, [e.to_json() for e in events])
    group = f"test-{uuid.uuid4().hex}"
    with ConsumerThread(group, [topic], {event_type: effect_counter_increment}) as consumer:
        wait_until(lambda: consumer.runner.processed == 5, timeout=30)
    partition = KafkaTestConsumer(topic).read(count=5)[0].partition
    assert committed_offset(group, topic, partition) == 5
    # Rewind the group to the beginning: a full replay.
    rewind = Consumer({"bootstrap.servers": bootstrap_servers(), "group.id": group})
    rewind.commit(offsets=[TopicPartition(topic, partition, 0)], asynchronous=False)
    rewind.close()
    with ConsumerThread(group, [topic], {event_type: effect_counter_increment}) as replay:
        wait_until(lambda: replay.runner.duplicates == 5, timeout=30)
    assert replay.runner.processed == 0
    assert set(EffectCounter.objects.values_list("count", flat=True)) == {1}
    assert EffectCounter.objects.count() == 5


def test_unknown_types_are_ignored_and_committed(event_type, topic):
    unknown = CloudEvent.new(
        type="rentezy.test.widget_painted.v9",  # no handler (and no schema here)
        subject=KEY,
        data={"colour": "red"},
        source="/producer_service",
    )
    known = widget_event(event_type)
    produce(topic, [unknown.to_json(), known.to_json()])
    group = f"test-{uuid.uuid4().hex}"
    with ConsumerThread(group, [topic], {event_type: effect_counter_increment}) as consumer:
        wait_until(lambda: consumer.runner.processed == 1, timeout=30)
    assert consumer.runner.ignored == 1
    assert consumer.runner.dead_lettered == 0
    assert list(EffectCounter.objects.values_list("event_id", flat=True)) == [known.id]


def test_poison_messages_go_to_the_dlq_and_the_consumer_moves_on(event_type, topic):
    """(d) A handler failing for one event, an unparseable message and data
    violating its schema all land in <topic>.dlq; the rest is processed."""
    first = widget_event(event_type, name="first")
    exploding = widget_event(event_type, name="explode")
    after = widget_event(event_type, name="after")
    bad_data = widget_event(event_type, name="bad-data")
    bad_data = CloudEvent.from_dict(bad_data.to_dict() | {"data": {"widget_id": "nope"}})
    last = widget_event(event_type, name="last")
    values = [
        first.to_json(),
        exploding.to_json(),
        b"{not json",
        after.to_json(),
        bad_data.to_json(),
        last.to_json(),
    ]
    produce(topic, values)

    exploding_attempts: list[str] = []

    def handler(event: CloudEvent) -> None:
        effect_counter_increment(event)
        if event.data["name"] == "explode":
            exploding_attempts.append(event.id)
            raise ValueError(f"cannot handle widget {event.data['name']}")

    group = f"test-{uuid.uuid4().hex}"
    with ConsumerThread(
        group, [topic], {event_type: handler}, max_retries=2, backoff_initial=0.01, backoff_max=0.05
    ) as consumer:
        wait_until(
            lambda: consumer.runner.processed == 3 and consumer.runner.dead_lettered == 3,
            timeout=30,
        )

    # Bounded retries: the first try plus max_retries, then the DLQ.
    assert exploding_attempts == [exploding.id] * 3
    # The failing handler's writes were rolled back each time.
    assert dict(EffectCounter.objects.values_list("event_id", "count")) == {
        first.id: 1,
        after.id: 1,
        last.id: 1,
    }
    assert InboxMessage.objects.count() == 3

    with KafkaTestConsumer(topic) as source, KafkaTestConsumer(dlq_topic(topic)) as dlq:
        originals = source.read(count=6)
        dead = dlq.read(count=3)
        dlq.drain(idle=0.5)
    assert len(dead) == 3
    partition = originals[0].partition
    assert {m.partition for m in originals} == {partition}
    assert [m.value for m in dead] == [values[1].encode(), values[2], values[4].encode()]
    assert [m.key for m in dead] == [KEY, KEY, KEY]
    for message, offset in zip(dead, (1, 2, 4), strict=True):
        assert message.header("origin") == "test"  # original headers kept
        assert message.header("consumer_group") == group
        assert message.header("original_topic") == topic
        assert message.header("original_partition") == str(partition)
        assert message.header("original_offset") == str(offset)
    assert [m.header("error_type") for m in dead] == [
        "ValueError",
        "rentezy_platform.events.envelope.InvalidEvent",
        "rentezy_platform.events.envelope.InvalidEvent",
    ]
    assert dead[0].header("error") == "cannot handle widget explode"
    assert dead[1].header("error") == (
        "event envelope is not valid JSON: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)"
    )
    assert dead[2].header("error") == (
        f"data of {event_type} violates its schema: "
        "$.data.widget_id: 'nope' does not match "
        "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'; "
        "$.data.widget_id: 'nope' is not a 'uuid'; "
        "$.data: 'name' is a required property; "
        "$.data: 'seq' is a required property"
    )
    # Everything, poison included, is behind the committed offset.
    assert committed_offset(group, topic, partition) == 6


def test_a_failure_in_a_batch_rolls_back_nothing_that_was_applied(event_type, topic):
    """The consumer applies a batch in one transaction; a handler failing
    midway must neither lose nor double the effects of its neighbours."""
    events = [widget_event(event_type, name=f"n{i}", seq=i) for i in range(6)]
    produce(topic, [e.to_json() for e in events])
    flaky = events[3].id
    failures: list[str] = []

    def handler(event: CloudEvent) -> None:
        effect_counter_increment(event)
        if event.id == flaky and not failures:
            failures.append(event.id)
            raise RuntimeError("transient")

    group = f"test-{uuid.uuid4().hex}"
    with ConsumerThread(group, [topic], {event_type: handler}, backoff_initial=0.01) as consumer:
        wait_until(lambda: consumer.runner.processed == 6, timeout=30)
    assert failures == [flaky]
    assert (consumer.runner.duplicates, consumer.runner.dead_lettered) == (0, 0)
    assert dict(EffectCounter.objects.values_list("event_id", "count")) == {e.id: 1 for e in events}
    assert InboxMessage.objects.count() == 6


def test_runner_refuses_handlers_for_unknown_types(topic):
    with pytest.raises(UnknownEventType):
        ConsumerRunner("g", [topic], {"rentezy.test.widget_exploded.v1": effect_counter_increment})


def run_manage(*args: str, env: dict[str, str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(MANAGE_PY), *args],
        env={**os.environ, "PLATFORM_TESTS_DB_NAME": connection.settings_dict["NAME"], **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **kwargs,
    )


def test_consume_command_without_consumer_settings_exits_with_a_message():
    process = run_manage("consume", env={})
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert output.decode().strip().splitlines()[-1] == (
        "CommandError: service 'platform_tests' has no Kafka consumer configured "
        "(settings.KAFKA_CONSUMER is not set); nothing to run"
    )


def test_consume_command_runs_the_configured_consumer_until_sigterm(event_type, topic, settings):
    events = [widget_event(event_type, seq=i) for i in range(3)]
    produce(topic, [e.to_json() for e in events])
    group = f"test-{uuid.uuid4().hex}"
    process = run_manage(
        "consume",
        env={
            "PLATFORM_TESTS_CONTRACTS_DIR": str(settings.EVENT_CONTRACTS_DIR),
            "PLATFORM_TESTS_KAFKA_CONSUMER": json.dumps(
                {
                    "group_id": group,
                    "topics": [topic],
                    "handlers": "tests.widgets.handlers.HANDLERS",
                }
            ),
        },
    )
    try:
        wait_until(lambda: EffectCounter.objects.count() == 3, timeout=60, message="3 effects")
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output.decode()
    assert dict(EffectCounter.objects.values_list("event_id", "count")) == {e.id: 1 for e in events}
    [partition] = {m.partition for m in KafkaTestConsumer(topic).read(count=3)}
    assert committed_offset(group, topic, partition) == 3


def test_consume_command_group_id_option_and_topic_prefix(event_type, settings):
    """`--group-id` replaces the configured group; KAFKA_TOPIC_PREFIX puts the
    configured (catalog) topic names under the prefix."""
    prefix = f"run-{uuid.uuid4().hex[:8]}."
    logical = topic_for(event_type)
    physical = prefix + logical
    events = [widget_event(event_type, seq=i) for i in range(2)]
    produce(physical, [e.to_json() for e in events])
    group = f"test-{uuid.uuid4().hex}"
    process = run_manage(
        "consume",
        "--group-id",
        group,
        env={
            "KAFKA_TOPIC_PREFIX": prefix,
            "PLATFORM_TESTS_CONTRACTS_DIR": str(settings.EVENT_CONTRACTS_DIR),
            "PLATFORM_TESTS_KAFKA_CONSUMER": json.dumps(
                {
                    "group_id": "configured-group-not-used",
                    "topics": [logical],
                    "handlers": "tests.widgets.handlers.HANDLERS",
                }
            ),
        },
    )
    try:
        wait_until(lambda: EffectCounter.objects.count() == 2, timeout=60, message="2 effects")
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output.decode()
    [partition] = {m.partition for m in KafkaTestConsumer(physical).read(count=2)}
    assert committed_offset(group, physical, partition) == 2
    assert committed_offset("configured-group-not-used", physical, partition) < 0  # none


def test_offsets_are_committed_while_running_once_the_consumer_is_idle(event_type, topic):
    events = [widget_event(event_type, seq=i) for i in range(4)]
    produce(topic, [e.to_json() for e in events])
    group = f"test-{uuid.uuid4().hex}"
    [partition] = {m.partition for m in KafkaTestConsumer(topic).read(count=4)}
    with ConsumerThread(
        group,
        [topic],
        {event_type: effect_counter_increment},
        commit_interval=3600,  # never by time: only the idle commit can do it
        poll_timeout=0.2,
    ) as consumer:
        wait_until(lambda: consumer.runner.processed == 4, timeout=30)
        wait_until(
            lambda: committed_offset(group, topic, partition) == 4,
            timeout=15,
            message="offsets committed while the consumer still runs",
        )


class EngineDown(Exception):
    """Stands for a dependency outage a service declares transient."""


def test_transient_errors_are_retried_past_max_retries_and_never_dead_lettered(event_type, topic):
    event = widget_event(event_type, seq=0)
    produce(topic, [event.to_json()])
    outage = {"left": 6}  # more failures than max_retries allows

    def handler(evt):
        if outage["left"]:
            outage["left"] -= 1
            raise EngineDown("search engine unavailable")
        effect_counter_increment(evt)

    group = f"test-{uuid.uuid4().hex}"
    with ConsumerThread(
        group,
        [topic],
        {event_type: handler},
        max_retries=2,
        backoff_initial=0.01,
        backoff_max=0.05,
        transient_errors=(EngineDown,),
    ) as consumer:
        wait_until(lambda: consumer.runner.processed == 1, timeout=30)
    assert outage["left"] == 0
    assert consumer.runner.dead_lettered == 0
    assert dict(EffectCounter.objects.values_list("event_id", "count")) == {event.id: 1}
    assert KafkaTestConsumer(dlq_topic(topic)).poll(timeout=1.0) == []


def test_other_errors_still_go_to_the_dlq_after_max_retries(event_type, topic):
    event = widget_event(event_type, seq=0)
    produce(topic, [event.to_json()])

    def handler(evt):
        raise RuntimeError("a bug, not an outage")

    group = f"test-{uuid.uuid4().hex}"
    with ConsumerThread(
        group,
        [topic],
        {event_type: handler},
        max_retries=2,
        backoff_initial=0.01,
        transient_errors=(EngineDown,),
    ) as consumer:
        wait_until(lambda: consumer.runner.dead_lettered == 1, timeout=30)
    assert EffectCounter.objects.count() == 0
