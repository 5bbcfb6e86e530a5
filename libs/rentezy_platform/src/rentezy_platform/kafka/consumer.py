"""ConsumerRunner: at-least-once Kafka consumption with idempotent effects.

For each message, in partition order:
1. Parse the CloudEvents envelope and validate it against its contract. A
   message that cannot be parsed or violates its schema is poison: it goes
   to `<topic>.dlq` at once (retrying cannot fix it).
2. Look up the handler by event type. No handler: ignore it (tolerant
   reader; other services' events share the topic) and commit past it.
3. Run the handler through `inbox_process`, so the effect and the inbox row
   commit together and a redelivered event is skipped.
4. A handler exception is retried with exponential backoff, `max_retries`
   times; then the original message (key, value, headers) is published to
   `<topic>.dlq` with error headers, the delivery awaited, and the consumer
   moves on. Database outages (OperationalError/InterfaceError) are not the
   message's fault: they are retried until the database is back, never
   dead-lettered. Nor are the handler's `transient_errors` (the outage of a
   dependency such as the search engine, named by the service).

Transactions: consecutive messages that succeed at the first try are applied
in ONE database transaction (`inbox_process` nests without a savepoint): one
commit, hence one WAL flush, per run of messages instead of one per message,
and two round trips fewer per message, which is what lets the consumer keep
up on a busy database. If a handler fails, the run is rolled back, the
messages before the failing one are applied again in a new transaction, and
the failing one is retried alone. A handler may therefore run more than once
before its effect commits: its effects outside the database must be scheduled
with `transaction.on_commit` (as STYLE.md asks anyway), so they happen once,
after the commit.

Offsets are committed only after the effects they cover have committed:
at most every `commit_interval` seconds while messages flow, at once when
the consumer goes idle, before partitions are revoked and at shutdown. A
crash replays at most that interval's messages, which the inbox skips.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from django.db import (
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)

from rentezy_platform import heartbeat
from rentezy_platform.events import (
    CloudEvent,
    InvalidEvent,
    UnknownEventType,
    is_known_type,
    parse_event,
    topic_for,
    validate_data,
)
from rentezy_platform.inbox.services import inbox_claim, inbox_process
from rentezy_platform.kafka.config import consumer_config, delivery_timeout_ms, producer_config
from rentezy_platform.kafka.topics import dlq_topic, ensure_topics
from rentezy_platform.kafka.worker import Backoff, StoppableWorker, refresh_db_connection
from rentezy_platform.request_id import bind_request_id

logger = logging.getLogger(__name__)

Handler = Callable[[CloudEvent], None]

# Headers this runner sets on a dead-lettered message (replacing any
# same-named header of the original).
DLQ_HEADERS = (
    "error",
    "error_type",
    "consumer_group",
    "original_topic",
    "original_partition",
    "original_offset",
)


def _error_type(exc: BaseException) -> str:
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


class ConsumerRunner(StoppableWorker):
    worker_name = "consumer"

    def __init__(
        self,
        group_id: str,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        *,
        max_retries: int = 5,
        backoff_initial: float = 0.2,
        backoff_max: float = 5.0,
        batch_size: int = 100,
        poll_timeout: float = 1.0,
        commit_interval: float = 0.5,
        transient_errors: tuple[type[BaseException], ...] = (),
        create_topics: bool = True,
        using: str = "default",
    ) -> None:
        if not topics:
            raise ValueError("ConsumerRunner needs at least one topic")
        for event_type in handlers:
            # Fail at start-up, not at the first message, on a typo.
            if not is_known_type(event_type):
                raise UnknownEventType(f"handler registered for unknown event type {event_type!r}")
            if topic_for(event_type) not in topics:
                logger.warning(
                    "handler for an event type whose topic is not subscribed",
                    extra={"event_type": event_type, "topics": list(topics)},
                )
        self.group_id = group_id
        self.topics = list(topics)
        self.handlers = dict(handlers)
        self.max_retries = max_retries
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.batch_size = batch_size
        self.poll_timeout = poll_timeout
        self.commit_interval = commit_interval
        # Outages of what a handler talks to (a search engine down): retried
        # with backoff until it is back, like the database, never dead-lettered.
        self.transient_errors = tuple(transient_errors)
        self.create_topics = create_topics
        self.using = using
        super().__init__()
        self._consumer: Consumer | None = None
        self._dlq_producer: Producer | None = None
        # Messages whose first (fast-path) attempt failed, by id(message).
        self._fast_path_failures: dict[int, int] = {}
        # Offsets applied but not yet committed to the group, and when we last
        # committed: see _commit_offsets.
        self._pending_offsets: dict[tuple[str, int], int] = {}
        self._last_commit = 0.0
        # Counters, for logs and tests.
        self.processed = 0  # handler applied (inbox row written)
        self.duplicates = 0  # skipped: already in the inbox
        self.ignored = 0  # no handler for the type
        self.dead_lettered = 0

    # -- lifecycle ---------------------------------------------------------

    def run(self) -> None:
        if self.create_topics:
            self._ensure_topics()
        if self._stop.is_set():
            return
        config = consumer_config(group_id=self.group_id)
        config["error_cb"] = self._on_client_error
        consumer = Consumer(config)
        self._consumer = consumer
        consumer.subscribe(self.topics, on_revoke=self._on_revoke)
        logger.info("consumer started", extra={"group_id": self.group_id, "topics": self.topics})
        try:
            while not self._stop.is_set():
                heartbeat.beat()
                # Wait for one message, then take whatever else is already
                # fetched without waiting: consume(n, timeout) would hold a
                # partial batch back until the timeout, costing latency.
                first = consumer.poll(self.poll_timeout)
                if first is None:
                    self._commit_offsets(consumer)  # idle: commit what is pending
                    continue
                rest = (
                    consumer.consume(num_messages=self.batch_size - 1, timeout=0)
                    if self.batch_size > 1
                    else []
                )
                self._process_batch(consumer, [first, *rest])
        finally:
            try:
                self._commit_offsets(consumer)
            except Exception:  # noqa: BLE001 - the inbox covers an uncommitted tail
                logger.exception("consumer final offset commit failed")
            consumer.close()  # leave the group now: partitions move at once
            self._consumer = None
            if self._dlq_producer is not None:
                self._dlq_producer.flush(5)
                self._dlq_producer = None
            connections[self.using].close()
            logger.info(
                "consumer stopped",
                extra={
                    "group_id": self.group_id,
                    "processed": self.processed,
                    "duplicates": self.duplicates,
                    "ignored": self.ignored,
                    "dead_lettered": self.dead_lettered,
                },
            )

    # -- batches and messages --------------------------------------------

    def _process_batch(self, consumer: Consumer, messages: list[Message]) -> None:
        # Long-running process: drop a connection that broke or aged out,
        # as Django does around each request.
        refresh_db_connection(self.using)
        queue: list[Message] = []
        for message in messages:
            error = message.error()
            if error is None:
                queue.append(message)
            elif error.fatal():
                raise KafkaException(error)
            else:
                logger.warning("consumer error event", extra={"error": error.str()})

        next_offsets: dict[tuple[str, int], int] = {}
        position = 0
        while position < len(queue) and not self._stop.is_set():
            done = self._apply_run(queue, position)
            for message in queue[position : position + done]:
                next_offsets[(message.topic(), message.partition())] = message.offset() + 1
            position += done
            if position < len(queue) and not self._stop.is_set():
                # This message needs the slow path: retries, backoff, DLQ.
                message = queue[position]
                if not self._handle(message, failures=self._fast_path_failures.pop(id(message), 0)):
                    # Stop requested while retrying: leave it uncommitted; it
                    # is redelivered to whoever owns the partition next.
                    break
                next_offsets[(message.topic(), message.partition())] = message.offset() + 1
                position += 1
        self._fast_path_failures.clear()
        self._pending_offsets.update(next_offsets)
        if time.monotonic() - self._last_commit >= self.commit_interval:
            # Not waited for: the next batch goes on meanwhile. A later commit
            # (or the synchronous one at revoke/shutdown) supersedes one lost.
            self._commit_offsets(consumer, asynchronous=True)

    def _commit_offsets(self, consumer: Consumer, *, asynchronous: bool = False) -> None:
        """Commit the offsets applied so far: at most every `commit_interval`
        seconds while busy, whenever idle, on a rebalance and on shutdown.

        A commit per batch would cost a broker round trip per message or two
        at a steady low rate (batches are small when the consumer keeps up).
        What a crash leaves uncommitted is at most `commit_interval` of
        messages, redelivered to the next owner and skipped by the inbox:
        delivery stays at-least-once, effects exactly-once."""
        if not self._pending_offsets:
            return
        offsets = [TopicPartition(t, p, o) for (t, p), o in self._pending_offsets.items()]
        self._pending_offsets.clear()
        self._last_commit = time.monotonic()
        try:
            consumer.commit(offsets=offsets, asynchronous=asynchronous)
        except KafkaException as exc:
            # Typically a rebalance: the new owner re-reads from the last
            # commit and the inbox skips what was already applied.
            logger.warning("consumer offset commit failed", extra={"error": str(exc)})

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Partitions are about to move: hand them over with their offsets.
        self._commit_offsets(consumer)

    def _apply_run(self, queue: list[Message], start: int, end: int | None = None) -> int:
        """Fast path: apply consecutive well-formed messages whose handler
        succeeds at the first try in ONE transaction: one commit per run
        instead of one per message, no savepoint per message (two round trips
        each), and one statement recording the whole run in the inbox
        (`inbox_claim`) instead of one per message: under load each round trip
        to the database is what the consumer spends its time waiting on.
        Effects and inbox rows still commit together. Returns
        how many messages were applied and committed; the next one, if any,
        needs the slow path."""
        end = len(queue) if end is None else end
        # Parse and validate first (no database): the run stops before the
        # first message that needs the slow path untried (poison).
        prepared: list[tuple[CloudEvent | None, Handler | None]] = []
        for index in range(start, end):
            if self._stop.is_set() and prepared:
                break
            item = self._prepare(queue[index])
            if item is None:
                break
            prepared.append(item)
        outcomes: list[str] = []
        handler_failed_at: int | None = None
        try:
            with transaction.atomic(using=self.using):
                claimed = inbox_claim(
                    [event for event, handler in prepared if handler is not None],
                    consumer_group=self.group_id,
                    using=self.using,
                )
                for offset, (event, handler) in enumerate(prepared):
                    if handler is None:
                        outcomes.append("ignored")
                        continue
                    key = (event.source, event.id)
                    if key not in claimed:
                        outcomes.append("duplicate")
                        continue
                    claimed.discard(key)  # the same envelope again later in the run
                    try:
                        with bind_request_id(event.requestid):
                            handler(event)
                    except (OperationalError, InterfaceError):
                        raise  # the run's transaction is unusable: roll back below
                    except Exception as exc:  # noqa: BLE001 - retried on the slow path
                        # The run is doomed (no savepoint): roll it all back.
                        transaction.set_rollback(True, using=self.using)
                        handler_failed_at = start + offset
                        self._fast_path_failures[id(queue[handler_failed_at])] = 1
                        self._log_handler_failure(event, exc, attempt=1)
                        break
                    outcomes.append("processed")
        except (OperationalError, InterfaceError) as exc:
            # The whole run rolled back; the slow path retries the first
            # message until the database is back.
            logger.warning("consumer database error", extra={"error": str(exc)})
            connections[self.using].close()
            return 0
        if handler_failed_at is not None:
            # Without savepoints the failure rolled the whole run back:
            # apply the messages before it again (on_commit callbacks of the
            # rolled-back attempt were discarded with it).
            if handler_failed_at == start:
                return 0
            return self._apply_run(queue, start, handler_failed_at)
        self.processed += outcomes.count("processed")
        self.duplicates += outcomes.count("duplicate")
        self.ignored += outcomes.count("ignored")
        return len(outcomes)

    def _prepare(self, message: Message) -> tuple[CloudEvent, Handler | None] | None:
        """The message's event and its handler (None: no handler, ignored), or
        None for a message that must go the slow path untried (poison)."""
        try:
            event = parse_event(message.value())
        except InvalidEvent:
            return None
        handler = self.handlers.get(event.type)
        if handler is None:
            return event, None
        try:
            validate_data(event.type, event.data)
        except InvalidEvent:
            return None
        return event, handler

    def _log_handler_failure(self, event: CloudEvent, exc: Exception, *, attempt: int) -> None:
        logger.warning(
            "event handler failed, retrying",
            extra={
                "event_id": event.id,
                "event_type": event.type,
                "attempt": attempt,
                "error": str(exc),
                "error_type": _error_type(exc),
            },
        )

    def _handle(self, message: Message, *, failures: int = 0) -> bool:
        """Slow path for one message, in its own transaction: retries with
        backoff, then the DLQ. `failures`: attempts that already failed.
        Returns False only if a stop interrupted it."""
        try:
            event = parse_event(message.value())
        except InvalidEvent as exc:
            return self._dead_letter(message, exc)

        handler = self.handlers.get(event.type)
        if handler is None:
            self.ignored += 1
            return True
        try:
            validate_data(event.type, event.data)
        except InvalidEvent as exc:
            return self._dead_letter(message, exc)

        # Logs of the handler, and events it enqueues, carry the request id
        # of the write that caused this event.
        with bind_request_id(event.requestid):
            return self._apply(message, event, handler, failures=failures)

    def _apply(
        self, message: Message, event: CloudEvent, handler: Handler, *, failures: int
    ) -> bool:
        # Two schedules: outages of the database or a dependency (never
        # dead-lettered) and handler failures (counted towards max_retries).
        infra_backoff = self._backoff()
        retry_backoff = self._backoff()
        if failures:  # the fast path already failed once
            if self._stop.wait(retry_backoff.next_delay()):
                return False
        while True:
            try:
                applied = inbox_process(
                    event, handler, consumer_group=self.group_id, using=self.using
                )
            except (OperationalError, InterfaceError, *self.transient_errors) as exc:
                database = isinstance(exc, (OperationalError, InterfaceError))
                logger.warning(
                    "consumer database error, retrying"
                    if database
                    else "consumer dependency unavailable, retrying",
                    extra={"event_id": event.id, "error": str(exc), "error_type": _error_type(exc)},
                )
                if database:
                    connections[self.using].close()
                if self._stop.wait(infra_backoff.next_delay()):
                    return False
                continue
            except Exception as exc:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
                failures += 1
                if failures > self.max_retries:
                    return self._dead_letter(message, exc)
                self._log_handler_failure(event, exc, attempt=failures)
                if self._stop.wait(retry_backoff.next_delay()):
                    return False
                continue
            if applied:
                self.processed += 1
            else:
                self.duplicates += 1
            return True

    def _backoff(self) -> Backoff:
        return Backoff(initial=self.backoff_initial, maximum=self.backoff_max)

    # -- dead letters ------------------------------------------------------

    def _dead_letter(self, message: Message, exc: BaseException) -> bool:
        """Publish the original message to `<topic>.dlq`; True once acknowledged."""
        headers = [(k, v) for k, v in (message.headers() or []) if k not in DLQ_HEADERS]
        headers += [
            ("error", str(exc)[:4000].encode()),
            ("error_type", _error_type(exc).encode()),
            ("consumer_group", self.group_id.encode()),
            ("original_topic", message.topic().encode()),
            ("original_partition", str(message.partition()).encode()),
            ("original_offset", str(message.offset()).encode()),
        ]
        target = dlq_topic(message.topic())
        backoff = self._backoff()
        while True:
            outcome: list[KafkaError | None] = []
            producer = self._get_dlq_producer()
            producer.produce(
                target,
                key=message.key(),
                value=message.value(),
                headers=headers,
                on_delivery=lambda err, _msg, sink=outcome: sink.append(err),
            )
            producer.flush(delivery_timeout_ms() / 1000 + 5)
            if outcome and outcome[0] is None:
                self.dead_lettered += 1
                logger.error(
                    "message dead-lettered",
                    extra={
                        "dlq_topic": target,
                        "original_topic": message.topic(),
                        "original_partition": message.partition(),
                        "original_offset": message.offset(),
                        "error_type": _error_type(exc),
                        "error": str(exc)[:500],
                    },
                )
                return True
            # The offset cannot be committed until the DLQ has the message,
            # or it would be silently dropped.
            logger.warning(
                "dead-letter publish failed, retrying",
                extra={"dlq_topic": target, "error": str(outcome[0]) if outcome else "no report"},
            )
            if self._stop.wait(backoff.next_delay()):
                return False

    def _get_dlq_producer(self) -> Producer:
        if self._dlq_producer is None:
            config = producer_config(role="dlq")
            config["error_cb"] = self._on_client_error
            self._dlq_producer = Producer(config)
        return self._dlq_producer

    def _on_client_error(self, err: KafkaError) -> None:
        log = logger.error if err.fatal() else logger.warning
        log("kafka client error", extra={"group_id": self.group_id, "error": err.str()})

    def _ensure_topics(self) -> None:
        backoff = self._backoff()
        while not self._stop.is_set():
            try:
                ensure_topics(self.topics, timeout=5.0)
                return
            except KafkaException as exc:
                logger.warning("consumer could not ensure topics", extra={"error": str(exc)})
                self._stop.wait(backoff.next_delay())
