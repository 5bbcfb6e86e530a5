"""The outbox relay against the real Postgres and Kafka."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict

import pytest
from django.db import transaction
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.outbox.relay import OutboxRelay
from rentezy_platform.outbox.services import outbox_enqueue
from rentezy_platform.testing import KafkaTestConsumer, RelayThread, wait_until

from tests.widgets.models import Widget
from tests.widgets.services import widget_create

pytestmark = pytest.mark.django_db(transaction=True)


class Rollback(Exception):
    pass


def test_committed_events_arrive_exactly_once_and_in_order_per_key(event_type, topic):
    """(a) 1,000 events in 200 transactions of 5, every 7th transaction rolled
    back; 20 keys with a per-key sequence number."""
    keys = [str(uuid.uuid4()) for _ in range(20)]
    next_seq: dict[str, int] = defaultdict(int)
    committed_ids: set[str] = set()
    committed_transactions = 0
    with RelayThread(batch_size=100):  # running while the writes happen
        for txn in range(200):
            ids = []
            try:
                with transaction.atomic():
                    Widget.objects.create(name=f"txn-{txn}")
                    for j in range(5):
                        key = keys[(txn * 5 + j) % 20]
                        next_seq[key] += 1
                        message = outbox_enqueue(
                            type=event_type,
                            subject=key,
                            data={"widget_id": key, "name": f"n{txn}-{j}", "seq": next_seq[key]},
                        )
                        ids.append(str(message.event_id))
                    if txn % 7 == 6:
                        raise Rollback
            except Rollback:
                continue
            committed_transactions += 1
            committed_ids.update(ids)

        with KafkaTestConsumer(topic) as reader:
            reader.read(count=len(committed_ids), timeout=60)
            reader.drain(idle=1.0)  # anything beyond would be a duplicate
            messages = reader.messages

    assert committed_transactions == 172  # 28 of the 200 were rolled back
    assert len(committed_ids) == 860
    assert Widget.objects.count() == 172
    assert len(messages) == 860
    events = [m.event for m in messages]
    assert {e.id for e in events} == committed_ids
    last_seq: dict[str, int] = {}
    for message, event in zip(messages, events, strict=True):
        assert message.key == event.subject
        assert message.header("ce_id") == event.id
        assert message.header("ce_type") == event_type
        assert message.header("content-type") == "application/cloudevents+json; charset=UTF-8"
        assert event.data["seq"] > last_seq.get(event.subject, 0), "per-key order broken"
        last_seq[event.subject] = event.data["seq"]
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    assert OutboxMessage.objects.filter(sent_at__isnull=False, attempts=1).count() == 860


def test_idle_relay_wakes_on_notify_not_on_poll(event_type, topic):
    # A 30 s fallback poll: delivery within ~1 s can only come from NOTIFY.
    with RelayThread(poll_interval=30.0) as runner, KafkaTestConsumer(topic) as reader:
        reader.poll(timeout=1.0)  # the relay is idle on LISTEN by now
        widget_create(name="wake", event_type=event_type)
        started = time.monotonic()
        reader.read(count=1, timeout=5)
        elapsed = time.monotonic() - started
    assert elapsed < 2.0  # the fallback poll alone would take 30 s
    assert runner.relay.total_sent == 1


def test_a_stream_of_single_commits_is_delivered_by_notifications_alone(event_type, topic):
    # Commits keep arriving while the relay publishes: after a partial batch it
    # goes straight back to LISTEN (no second, empty fetch), and no commit made
    # meanwhile may be left for the 30 s fallback poll.
    with RelayThread(poll_interval=30.0) as runner, KafkaTestConsumer(topic) as reader:
        reader.poll(timeout=1.0)
        started = time.monotonic()
        for n in range(60):
            widget_create(name=f"stream-{n}", event_type=event_type, seq=n)
            time.sleep(0.01)
        reader.read(count=60, timeout=10)
        elapsed = time.monotonic() - started
    assert elapsed < 10.0  # one missed notification would cost 30 s
    assert runner.relay.total_sent == 60


class CountingRelay(OutboxRelay):
    """The relay, recording when each non-empty batch ran and how many rows it fetched."""

    def __init__(self, **options):
        super().__init__(**options)
        self.batches: list[tuple[float, int]] = []

    def publish_batch(self):
        started = time.monotonic()
        result = super().publish_batch()
        if result.fetched:
            self.batches.append((started, result.fetched))
        return result


def test_a_lone_event_is_fetched_at_once_and_a_stream_is_gathered(event_type, topic):
    # A long gather (1 s) makes the two behaviours tell apart on a busy machine.
    relay = CountingRelay(poll_interval=30.0, gather=1.0)
    with RelayThread(relay), KafkaTestConsumer(topic) as reader:
        widget_create(name="warm-up", event_type=event_type, seq=0)  # topic, producer
        reader.read(count=1, timeout=30)
        time.sleep(1.5)  # a quiet spell, longer than the gather
        widget_create(name="lone", event_type=event_type, seq=1)
        lone_committed = time.monotonic()
        time.sleep(0.3)
        # Right behind it, five commits within 0.2 s: the relay, woken soon
        # after a batch that found a row, waits the gather before fetching.
        for n in range(2, 7):
            widget_create(name=f"stream-{n}", event_type=event_type, seq=n)
            time.sleep(0.04)
        reader.read(count=6, timeout=10)
    assert [fetched for _, fetched in relay.batches] == [1, 1, 5]
    assert relay.batches[1][0] - lone_committed < 0.3, "the lone event waited for a gather"
    assert relay.total_sent == 7


def test_two_relays_in_parallel_never_publish_a_row_twice(event_type, topic):
    with transaction.atomic():
        ids = {
            str(
                outbox_enqueue(
                    type=event_type,
                    subject=str(uuid.uuid4()),
                    data={"widget_id": str(uuid.uuid4()), "name": "p", "seq": i},
                ).event_id
            )
            for i in range(1000)
        }
    first, second = RelayThread(batch_size=20), RelayThread(batch_size=20)
    with first, second:
        wait_until(
            lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(),
            timeout=60,
            message="all rows sent",
        )
    with KafkaTestConsumer(topic) as reader:
        reader.read(count=1000, timeout=30)
        reader.drain(idle=1.0)
    assert len(reader.messages) == 1000
    assert {m.event.id for m in reader.messages} == ids
    assert first.relay.total_sent + second.relay.total_sent == 1000
    # SKIP LOCKED let both work (each took a share), not one after the other.
    assert first.relay.total_sent > 0
    assert second.relay.total_sent > 0
    assert OutboxMessage.objects.filter(attempts=1).count() == 1000


def test_publish_batch_sends_in_id_order_and_marks_sent(event_type, topic):
    with transaction.atomic():
        for i in range(7):
            outbox_enqueue(
                type=event_type,
                subject="one-key",
                data={"widget_id": str(uuid.uuid4()), "name": "b", "seq": i},
            )
    relay = OutboxRelay(batch_size=5)
    try:
        first = relay.publish_batch()
        second = relay.publish_batch()
        third = relay.publish_batch()
    finally:
        relay.close()
    assert (first.fetched, first.sent, first.failed) == (5, 5, 0)
    assert (second.fetched, second.sent, second.failed) == (2, 2, 0)
    assert (third.fetched, third.sent, third.failed) == (0, 0, 0)
    with KafkaTestConsumer(topic) as reader:
        reader.read(count=7, timeout=30)
        reader.drain(idle=0.5)
    assert [m.event.data["seq"] for m in reader.messages] == [0, 1, 2, 3, 4, 5, 6]
    assert len({m.partition for m in reader.messages}) == 1
