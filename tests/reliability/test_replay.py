"""Events delivered again change nothing (the consumers' inbox), through the
REAL services:

- every message of a topic produced a second time (a relay that died between
  Kafka's ack and its own commit does exactly that), read by the running
  notification consumer;
- the whole topic replayed from the start by a new consumer group of the
  same service (an operator re-reading a topic; a consumer whose offsets were
  lost), run as `manage.py consume --group-id`.

Exact counts before and after: one notification per event and recipient."""

from __future__ import annotations

import subprocess
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from faults import notifications, open_slot, settle
from rentezy_platform.testing import KafkaTestConsumer, wait_until
from support import Account, register_account

pytestmark = pytest.mark.services("auth", "property", "booking", "notification")

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
BOOKINGS = 6


def _book_viewings(gw: httpx.Client, landlord: Account, tenants: list[Account]) -> set[str]:
    slot = open_slot(gw, landlord, capacity=len(tenants), days=4)
    ids = set()
    for tenant in tenants:
        response = gw.post("/api/bookings", json={"slot_id": slot["id"]}, headers=tenant.headers)
        assert response.status_code == 201, response.text
        ids.add(response.json()["id"])
    return ids


def _counts(gw: httpx.Client, landlord: Account, tenants: list[Account]) -> dict:
    return {
        "landlord": Counter(n["type"] for n in notifications(gw, landlord)),
        "tenants": [Counter(n["type"] for n in notifications(gw, t)) for t in tenants],
    }


def _caught_up(platform, group: str, topic: str) -> bool:
    """The group has committed every partition of `topic` up to its end."""
    servers = platform.env["KAFKA_BOOTSTRAP_SERVERS"]
    probe = Consumer({"bootstrap.servers": servers, "group.id": group,
                      "enable.auto.commit": False})  # fmt: skip
    try:
        partitions = probe.list_topics(topic, timeout=10).topics[topic].partitions
        committed = probe.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
        for tp in committed:
            _low, high = probe.get_watermark_offsets(
                TopicPartition(topic, tp.partition), timeout=10
            )
            if high > 0 and tp.offset < high:
                return False
        return True
    finally:
        probe.close()


def test_duplicated_and_replayed_events_change_nothing(platform, gw):
    landlord = register_account(gw, role="landlord")
    tenants = [register_account(gw, role="tenant") for _ in range(BOOKINGS)]
    bookings = _book_viewings(gw, landlord, tenants)
    topic = f"{platform.topic_prefix}rentezy.booking"

    def expected():
        counts = _counts(gw, landlord, tenants)
        if counts["landlord"]["booking.confirmed"] != BOOKINGS:
            return None
        if any(c["booking.confirmed"] != 1 for c in counts["tenants"]):
            return None
        return counts

    before = settle(expected, timeout=120, quiet=2)

    # 1. Every message of the topic, produced again (same key, value, headers).
    with KafkaTestConsumer(topic, bootstrap_servers=platform.env["KAFKA_BOOTSTRAP_SERVERS"]) as r:
        originals = r.drain()
    assert len(originals) >= BOOKINGS
    producer = Producer({"bootstrap.servers": platform.env["KAFKA_BOOTSTRAP_SERVERS"]})
    for message in originals:
        producer.produce(
            topic, key=message.key, value=message.value, headers=list(message.headers.items())
        )
    assert producer.flush(30) == 0
    wait_until(
        lambda: _caught_up(platform, "notification_service", topic),
        timeout=120,
        message="the notification consumer to read the duplicates",
    )
    assert settle(lambda: _counts(gw, landlord, tenants), timeout=5, quiet=3) == before

    # 2. The topic replayed from the start by a new group of the same service.
    group = f"replay-{uuid.uuid4().hex[:8]}"
    env = {**platform.env, "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
           "EMAIL_FILE_PATH": str(platform.mail_dir)}  # fmt: skip
    log = platform.logs / f"{group}.log"
    with log.open("ab") as out:
        replay = subprocess.Popen(
            [PYTHON, "manage.py", "consume", "--group-id", group],
            cwd=ROOT / "notification_service", env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until(
            lambda: _caught_up(platform, group, topic),
            timeout=120,
            message=f"the replay group to reach the end of the topic:\n{log.read_text()[-2000:]}",
        )
    finally:
        replay.terminate()
        replay.wait(30)
    after = settle(lambda: _counts(gw, landlord, tenants), timeout=5, quiet=3)
    assert after == before
    booked = sorted(
        n["data"]["booking_id"]
        for n in notifications(gw, landlord)
        if n["type"] == "booking.confirmed"
    )
    assert booked == sorted(bookings)
