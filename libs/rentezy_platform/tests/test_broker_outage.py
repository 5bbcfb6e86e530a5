"""(c) Writes keep committing while Kafka is down; the relay catches up after."""

from __future__ import annotations

import pytest
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.testing import KafkaTestConsumer, RelayThread, wait_until

from tests.conftest import kafka_control
from tests.widgets.models import Widget
from tests.widgets.services import widget_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_writes_commit_with_the_broker_down_and_arrive_after_restart(event_type, topic):
    with RelayThread(batch_size=50) as runner:
        try:
            kafka_control("stop")
            widgets = [
                widget_create(name=f"offline-{i}", event_type=event_type, seq=i) for i in range(50)
            ]
            assert Widget.objects.count() == 50
            assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 50
            # The relay tries, fails (bounded delivery timeout), records why,
            # and keeps the rows for a retry.
            wait_until(
                lambda: OutboxMessage.objects.filter(attempts__gte=1).count() == 50,
                timeout=60,
                message="a failed delivery attempt on every row",
            )
            assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 50
            assert OutboxMessage.objects.exclude(last_error="").count() == 50
        finally:
            kafka_control("start")
        wait_until(
            lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(),
            timeout=90,
            message="every row sent after the broker restart",
        )
    assert runner.relay.total_sent == 50
    assert runner.relay.total_failed >= 50
    assert OutboxMessage.objects.filter(last_error="").count() == 50
    with KafkaTestConsumer(topic) as reader:
        reader.read(count=50, timeout=30)
        reader.drain(idle=1.0)
    # Failed attempts produce nothing: each event is on the topic exactly once.
    assert len(reader.messages) == 50
    assert sorted(m.event.data["widget_id"] for m in reader.messages) == sorted(
        str(w.id) for w in widgets
    )
