"""Outbox relay: publishes committed outbox rows to Kafka, then marks them sent.

Guarantees
- Nothing committed is lost: a row is marked sent only in the transaction
  that saw Kafka acknowledge it (acks=all). If the relay dies between the ack
  and the commit the row is published again: delivery is at least once, and
  consumers deduplicate through the inbox.
- Per-key order: rows are fetched and produced in id order and the idempotent
  producer keeps produce order within a partition (a key always maps to the
  same partition), including across its internal retries.
- Several relays may run against one database: `FOR UPDATE SKIP LOCKED`
  means no row is ever published by two relays at once. Per-key order across
  relays is NOT guaranteed, though (relay A may still be publishing rows
  1..500 when relay B publishes 501..1000), so the supported deployment is ONE
  relay per service; a second replica is only a hot spare for availability.

Failures: a row whose delivery fails (broker down: reported after
KAFKA_DELIVERY_TIMEOUT_MS) stays unsent with `attempts` + 1 and `last_error`,
and the relay backs off exponentially before trying again. Within a partition
the idempotent producer fails a message together with everything queued
behind it, so a failure never lets a later event of a key overtake an earlier
one. Per-message permanent errors are kept out at enqueue time (schema, topic
name from the type pattern, size limit in `outbox_enqueue`).

Idle behaviour: no busy polling. After an empty fetch the relay blocks on
`LISTEN rentezy_outbox` (`outbox_enqueue` issues `NOTIFY`, delivered on
commit) with a fallback poll every `poll_interval` seconds in case a
notification was missed (listener reconnect, rows inserted by other means).

Under load, batches: each cycle (fetch, produce, wait for the acks, mark
sent, commit) costs about the same whatever its size, so a relay woken within
`gather` seconds (25 ms) of a batch that found rows waits that long for more
commits before it fetches: under a steady stream a cycle carries several
events instead of one or two (make bench: CPU per event), and the first event
after a quiet spell is fetched at once, with no wait added.

Settings (defaults): OUTBOX_RELAY_BATCH_SIZE (500), OUTBOX_RELAY_POLL_INTERVAL
(1.0 s), OUTBOX_RELAY_GATHER_SECONDS (0.025), OUTBOX_RELAY_BACKOFF_INITIAL /
_MAX (0.5 / 30 s), OUTBOX_RELAY_CREATE_TOPICS (True: ensure a topic and its
`.dlq` the first time the relay publishes to it), OUTBOX_RETENTION_DAYS (7;
None keeps sent rows), OUTBOX_PRUNE_INTERVAL (3600 s; pruning runs only while
idle).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
from confluent_kafka import KafkaError, KafkaException, Producer
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import F
from django.db.models.functions import Now

from rentezy_platform import heartbeat
from rentezy_platform.kafka.config import delivery_timeout_ms, producer_config
from rentezy_platform.kafka.topics import ensure_topics
from rentezy_platform.kafka.worker import Backoff, StoppableWorker, refresh_db_connection
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.outbox.services import NOTIFY_CHANNEL, outbox_prune

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "OUTBOX_RELAY_BATCH_SIZE": 500,
    "OUTBOX_RELAY_POLL_INTERVAL": 1.0,
    "OUTBOX_RELAY_GATHER_SECONDS": 0.025,
    "OUTBOX_RELAY_BACKOFF_INITIAL": 0.5,
    "OUTBOX_RELAY_BACKOFF_MAX": 30.0,
    "OUTBOX_RELAY_CREATE_TOPICS": True,
    "OUTBOX_RETENTION_DAYS": 7,
    "OUTBOX_PRUNE_INTERVAL": 3600.0,
}


# After a failed topic check, how long to publish without asking again.
ENSURE_TOPICS_RETRY_SECONDS = 30.0


def _setting(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


@dataclass(frozen=True)
class BatchResult:
    fetched: int
    sent: int
    failed: int


class OutboxRelay(StoppableWorker):
    worker_name = "outbox relay"

    def __init__(
        self,
        *,
        batch_size: int | None = None,
        poll_interval: float | None = None,
        gather: float | None = None,
        backoff_initial: float | None = None,
        backoff_max: float | None = None,
        retention_days: int | None = None,
        prune_interval: float | None = None,
        create_topics: bool | None = None,
        using: str = "default",
    ) -> None:
        def option(value: Any, name: str) -> Any:
            return value if value is not None else _setting(name)

        self.batch_size = int(option(batch_size, "OUTBOX_RELAY_BATCH_SIZE"))
        self.poll_interval = float(option(poll_interval, "OUTBOX_RELAY_POLL_INTERVAL"))
        self.gather = float(option(gather, "OUTBOX_RELAY_GATHER_SECONDS"))
        self.backoff = Backoff(
            initial=float(option(backoff_initial, "OUTBOX_RELAY_BACKOFF_INITIAL")),
            maximum=float(option(backoff_max, "OUTBOX_RELAY_BACKOFF_MAX")),
        )
        # None disables pruning (e.g. a database-side job does it).
        self.retention_days: int | None = option(retention_days, "OUTBOX_RETENTION_DAYS")
        self.prune_interval = float(option(prune_interval, "OUTBOX_PRUNE_INTERVAL"))
        self.create_topics = bool(option(create_topics, "OUTBOX_RELAY_CREATE_TOPICS"))
        self.using = using
        self._producer: Producer | None = None
        self._producer_fatal = False
        self._listener: psycopg.Connection | None = None
        self._known_topics: set[str] = set()
        self._ensure_retry_at: dict[str, float] = {}
        super().__init__()
        self._next_prune = time.monotonic()
        # Total counters, for logs and tests.
        self.total_sent = 0
        self.total_failed = 0

    # -- lifecycle ---------------------------------------------------------

    def run(self) -> None:
        logger.info(
            "outbox relay started",
            extra={"batch_size": self.batch_size, "poll_interval": self.poll_interval},
        )
        try:
            # Listen before the first fetch: a commit between that fetch and a
            # later LISTEN would otherwise wait for the fallback poll.
            self._start_listening()
            while not self._stop.is_set():
                heartbeat.beat()
                refresh_db_connection(self.using)
                try:
                    result = self.publish_batch()
                except DatabaseError as exc:
                    # Database down or connection broken: drop the connection
                    # (the next iteration reconnects) and back off.
                    logger.warning("outbox relay database error", extra={"error": str(exc)})
                    connections[self.using].close()
                    self._sleep(self.backoff.next_delay())
                    continue
                if result.failed:
                    self._sleep(self.backoff.next_delay())
                    continue
                self.backoff.reset()
                if result.fetched == 0:
                    try:
                        self._maybe_prune()
                    except DatabaseError as exc:
                        # Housekeeping only: try again next interval.
                        logger.warning("outbox prune failed", extra={"error": str(exc)})
                if result.fetched < self.batch_size:
                    # No backlog: wait for the next commit's NOTIFY instead of
                    # a second, empty fetch (three round trips saved per wake-
                    # up). A commit made meanwhile has already notified the
                    # listener, so the wait returns at once for it.
                    waiting = time.monotonic()
                    notified = self._wait_for_notification()
                    if notified and result.fetched and time.monotonic() - waiting < self.gather:
                        # A stream, not a lone event: let the next batch fill.
                        self._sleep(self.gather)
        finally:
            self.close()
            logger.info(
                "outbox relay stopped",
                extra={"sent": self.total_sent, "failed": self.total_failed},
            )

    # -- one batch -----------------------------------------------------------

    def publish_batch(self) -> BatchResult:
        """Publish up to `batch_size` unsent rows in id order; mark the acked ones sent."""
        with transaction.atomic(using=self.using):
            rows = list(
                OutboxMessage.objects.using(self.using)
                .select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True)
                .order_by("id")
                .only("id", "topic", "key", "payload", "headers")[: self.batch_size]
            )
            if not rows:
                return BatchResult(fetched=0, sent=0, failed=0)
            self._ensure_topics(row.topic for row in rows)
            outcomes = self._produce(rows)
            acked = [row_id for row_id, error in outcomes.items() if error is None]
            failed: dict[str, list[int]] = {}
            for row_id, error in outcomes.items():
                if error is not None:
                    failed.setdefault(error, []).append(row_id)
            if acked:
                OutboxMessage.objects.using(self.using).filter(id__in=acked).update(
                    sent_at=Now(), attempts=F("attempts") + 1, last_error=""
                )
            for error, row_ids in failed.items():
                OutboxMessage.objects.using(self.using).filter(id__in=row_ids).update(
                    attempts=F("attempts") + 1, last_error=error[:2000]
                )
        n_failed = sum(len(ids) for ids in failed.values())
        self.total_sent += len(acked)
        self.total_failed += n_failed
        if n_failed:
            logger.warning(
                "outbox relay delivery failed",
                extra={"failed": n_failed, "sent": len(acked), "errors": sorted(failed)[:5]},
            )
        return BatchResult(fetched=len(rows), sent=len(acked), failed=n_failed)

    def _produce(self, rows: list[OutboxMessage]) -> dict[int, str | None]:
        """Produce every row, wait for ALL delivery reports; row id -> error or None."""
        producer = self._get_producer()
        outcomes: dict[int, str | None] = {}

        def reporter(row_id: int) -> Callable[[KafkaError | None, Any], None]:
            def on_delivery(err: KafkaError | None, _msg: Any) -> None:
                outcomes[row_id] = None if err is None else f"{err.name()}: {err.str()}"

            return on_delivery

        for row in rows:
            value = json.dumps(row.payload, separators=(",", ":"), ensure_ascii=False).encode()
            headers = [(name, str(v).encode()) for name, v in (row.headers or {}).items()]
            while True:
                try:
                    producer.produce(
                        row.topic,
                        key=row.key.encode(),
                        value=value,
                        headers=headers,
                        on_delivery=reporter(row.id),
                    )
                    break
                except BufferError:
                    # Local queue full: serve delivery reports to make room.
                    producer.poll(0.05)
                except KafkaException as exc:
                    outcomes[row.id] = f"produce refused: {exc}"
                    break
        # flush() serves delivery callbacks until the queue is empty; every
        # message gets a report within message.timeout.ms.
        remaining = producer.flush(delivery_timeout_ms() / 1000 + 5)
        if remaining:
            # Should not happen (message.timeout.ms bounds it); drop the
            # producer so its late deliveries cannot be confused with ours.
            logger.error(
                "outbox relay flush left messages undelivered", extra={"remaining": remaining}
            )
            self._discard_producer()
        for row in rows:
            outcomes.setdefault(row.id, "no delivery report before the flush timeout")
        if self._producer_fatal:
            self._discard_producer()
        return outcomes

    def _get_producer(self) -> Producer:
        if self._producer is None:
            config = producer_config(role="outbox-relay")
            config["error_cb"] = self._on_producer_error
            self._producer = Producer(config)
            self._producer_fatal = False
        return self._producer

    def _on_producer_error(self, err: KafkaError) -> None:
        if err.fatal():
            # An idempotent producer in a fatal state refuses everything:
            # replace it (the unacked rows simply stay unsent).
            self._producer_fatal = True
            logger.error("outbox relay producer fatal error", extra={"error": err.str()})
        else:
            logger.warning("outbox relay producer error", extra={"error": err.str()})

    def _discard_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.purge()
                self._producer.flush(0)
            except (KafkaException, RuntimeError):
                pass
        self._producer = None

    def _ensure_topics(self, topics: Iterable[str]) -> None:
        if not self.create_topics:
            return
        now = time.monotonic()
        new = sorted(
            t for t in set(topics) - self._known_topics if self._ensure_retry_at.get(t, 0.0) <= now
        )
        if not new:
            return
        try:
            ensure_topics(new, timeout=5.0)
        except KafkaException as exc:
            # Not fatal: produce may still succeed (topic exists, or broker
            # auto-creates); otherwise the rows fail and are retried. Do not
            # ask again for a while, so an outage does not slow every batch.
            logger.warning(
                "outbox relay could not ensure topics", extra={"topics": new, "error": str(exc)}
            )
            for topic in new:
                self._ensure_retry_at[topic] = now + ENSURE_TOPICS_RETRY_SECONDS
            return
        self._known_topics.update(new)

    # -- idle, pruning, shutdown ---------------------------------------------

    def _sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def _wait_for_notification(self) -> bool:
        """Block until an outbox NOTIFY arrives (True) or `poll_interval` passes."""
        notified = False
        try:
            listener = self._get_listener()
            deadline = time.monotonic() + self.poll_interval
            # Short socket waits (no query is sent) so stop() and signals are
            # honoured promptly even with a long fallback poll.
            while not notified and not self._stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                for _ in listener.notifies(timeout=min(remaining, 0.25), stop_after=1):
                    notified = True
            # Several commits may have notified: one fetch serves them all.
            for _ in listener.notifies(timeout=0):
                pass
        except psycopg.Error as exc:
            logger.warning("outbox relay listener error", extra={"error": str(exc)})
            self._close_listener()
            self._sleep(self.poll_interval)
        return notified

    def _start_listening(self) -> None:
        try:
            self._get_listener()
        except psycopg.Error as exc:
            # The wait reconnects; until then the fallback poll covers it.
            logger.warning("outbox relay listener error", extra={"error": str(exc)})
            self._close_listener()

    def _get_listener(self) -> psycopg.Connection:
        if self._listener is None or self._listener.closed:
            # A dedicated autocommit connection that does nothing but LISTEN,
            # so no notification is consumed by an unrelated query.
            params = dict(connections[self.using].get_connection_params())
            for django_only in ("cursor_factory", "context", "pool", "prepare_threshold"):
                params.pop(django_only, None)
            self._listener = psycopg.connect(**params, autocommit=True)
            self._listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return self._listener

    def _close_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except psycopg.Error:
                pass
        self._listener = None

    def _maybe_prune(self) -> None:
        if self.retention_days is None or time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + self.prune_interval
        deleted = outbox_prune(older_than=timedelta(days=self.retention_days), using=self.using)
        if deleted:
            logger.info("outbox pruned", extra={"deleted": deleted})

    def close(self) -> None:
        """Release the producer, the listener and the DB connection (run() does it on exit)."""
        if self._producer is not None:
            self._producer.flush(5)
            self._producer = None
        self._close_listener()
        connections[self.using].close()
