"""(b) The relay as a real process: SIGKILL loses nothing, SIGTERM is graceful,
and the inbox turns at-least-once delivery into exactly-once effects."""

from __future__ import annotations

import signal
import time
import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition
from django.db import connection, transaction
from rentezy_platform.inbox.models import InboxMessage
from rentezy_platform.kafka.config import bootstrap_servers
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.outbox.services import outbox_enqueue
from rentezy_platform.testing import (
    ConsumerThread,
    KafkaTestConsumer,
    start_relay_process,
    wait_until,
)

from tests.conftest import MANAGE_PY
from tests.widgets.models import EffectCounter
from tests.widgets.services import effect_counter_increment

pytestmark = pytest.mark.django_db(transaction=True)


def enqueue_events(event_type: str, count: int, *, per_transaction: int = 100) -> set[str]:
    keys = [str(uuid.uuid4()) for _ in range(20)]
    ids: set[str] = set()
    for start in range(0, count, per_transaction):
        with transaction.atomic():
            for n in range(start, min(start + per_transaction, count)):
                message = outbox_enqueue(
                    type=event_type,
                    subject=keys[n % 20],
                    data={"widget_id": keys[n % 20], "name": f"n{n}", "seq": n},
                )
                ids.add(str(message.event_id))
    return ids


def relay_env() -> dict[str, str]:
    # The child must use the database this test runs on.
    return {"PLATFORM_TESTS_DB_NAME": connection.settings_dict["NAME"]}


def unsent() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True).count()


def test_sigkilled_relay_loses_nothing_and_effects_apply_once(event_type, topic, tmp_path):
    committed = enqueue_events(event_type, 2000)
    relay = start_relay_process(
        manage_py=MANAGE_PY, env=relay_env(), batch_size=100, log_path=tmp_path / "relay-1.log"
    )
    watermarks = Consumer({"bootstrap.servers": bootstrap_servers(), "group.id": "unused"})

    def on_topic() -> int:
        return sum(
            watermarks.get_watermark_offsets(TopicPartition(topic, p), timeout=5, cached=False)[1]
            for p in range(3)
        )

    def sent() -> int:
        return OutboxMessage.objects.filter(sent_at__isnull=False).count()

    def frozen_with_a_batch_in_flight() -> bool:
        # The worst moment to die: a batch is on the topic but the transaction
        # marking it sent has not committed. Catch it, freeze the relay
        # (SIGSTOP), and confirm once nothing can move any more.
        published, marked = on_topic(), sent()
        assert marked < 2000, "the relay finished before a batch was caught in flight"
        if not published > marked > 0:
            return False
        relay.send_signal(signal.SIGSTOP)
        time.sleep(0.2)  # let the broker and the database settle
        if on_topic() > sent():
            return True
        relay.send_signal(signal.SIGCONT)
        return False

    try:
        wait_until(
            frozen_with_a_batch_in_flight, interval=0.001, timeout=60, message="a batch in flight"
        )
        relay.send_signal(signal.SIGKILL)
        assert relay.wait(timeout=10) == -signal.SIGKILL
        # Published by the dead relay but not marked sent: will be re-sent.
        duplicates_expected = on_topic() - sent()
    finally:
        watermarks.close()
        if relay.poll() is None:
            relay.kill()
    unsent_after_kill = unsent()
    assert 0 < unsent_after_kill < 2000, "the kill must land mid-run"

    restarted = start_relay_process(
        manage_py=MANAGE_PY, env=relay_env(), batch_size=200, log_path=tmp_path / "relay-2.log"
    )
    try:
        wait_until(lambda: unsent() == 0, timeout=60, message="every row sent after restart")
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=15) == 0
    finally:
        if restarted.poll() is None:
            restarted.kill()

    with KafkaTestConsumer(topic) as reader:
        reader.read(count=2000, timeout=60)
        reader.drain(idle=1.0)
    delivered = [m.event.id for m in reader.messages]
    assert set(delivered) == committed  # nothing lost, nothing invented
    duplicates = len(delivered) - len(committed)
    # Exactly the batch that was in flight is published again after the restart.
    assert 0 < duplicates == duplicates_expected <= 100
    print(f"messages on the topic: {len(delivered)} ({duplicates} duplicates from the kill)")

    with ConsumerThread(
        f"test-{uuid.uuid4().hex}", [topic], {event_type: effect_counter_increment}
    ) as consumer:
        wait_until(
            lambda: consumer.runner.processed + consumer.runner.duplicates == len(delivered),
            timeout=60,
            message="the consumer to read every message",
        )
    assert consumer.runner.processed == 2000
    assert consumer.runner.duplicates == duplicates
    assert consumer.runner.dead_lettered == 0
    assert EffectCounter.objects.count() == 2000
    assert set(EffectCounter.objects.values_list("count", flat=True)) == {1}
    assert InboxMessage.objects.count() == 2000


def test_sigterm_finishes_the_batch_and_exits_zero(event_type, topic, tmp_path):
    enqueue_events(event_type, 1000)
    relay = start_relay_process(
        manage_py=MANAGE_PY, env=relay_env(), batch_size=20, log_path=tmp_path / "relay.log"
    )
    try:
        wait_until(
            lambda: unsent() <= 900,
            interval=0.005,
            timeout=60,
            message="the relay to publish some events",
        )
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(timeout=15) == 0
    finally:
        if relay.poll() is None:
            relay.kill()
    sent = OutboxMessage.objects.filter(sent_at__isnull=False).count()
    assert 0 < sent < 1000
    with KafkaTestConsumer(topic) as reader:
        reader.drain(idle=1.5)
    # Graceful: every published row was marked sent, and nothing else published.
    assert len(reader.messages) == sent
    assert {m.event.id for m in reader.messages} == {
        str(i)
        for i in OutboxMessage.objects.filter(sent_at__isnull=False).values_list(
            "event_id", flat=True
        )
    }
