"""Test helpers shared by the services' test suites (real Postgres and Kafka).

- `wait_until(predicate, timeout=, interval=)`: poll until truthy.
- `unique_topic()`: a fresh `rentezy.test.<uuid>` topic name.
- `unique_event_type()` + `write_contracts(...)`: a contracts directory with
  an event type of its own (hence its own topic) for one test.
- `KafkaTestConsumer`: reads a topic from the beginning with a unique group.
- `RelayThread` / `ConsumerThread`: run the outbox relay or a ConsumerRunner
  in the background of a test; `start_relay_process()` runs the relay as a
  real subprocess (`manage.py outbox_relay`).
- `outbox_events()`: the events a test enqueued, as `CloudEvent`s.
- `SignedClient` / `Caller`: a Django test client whose requests carry the
  gateway's signed identity headers, as api_gateway would send them.

The Django-dependent helpers import lazily so `import rentezy_platform.testing`
works before Django is set up (e.g. from a conftest).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from django.test import Client

    from rentezy_platform.events import CloudEvent
    from rentezy_platform.kafka.consumer import ConsumerRunner
    from rentezy_platform.outbox.relay import OutboxRelay

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "condition",
) -> T:
    """Return the first truthy value of `predicate()`; AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {message}")
        time.sleep(interval)


def run_concurrently(count: int, target: Callable[[int], Any]) -> list[Any]:
    """Run `target(i)` for i in 0..count-1 in threads released together (a
    barrier), each closing its own database connection at the end; returns
    each one's result or the exception it raised, by index."""
    from django.db import connection

    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = target(index)
        except BaseException as exc:  # collected for the caller's assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def unique_topic(prefix: str = "rentezy.test") -> str:
    return f"{prefix}.{uuid.uuid4().hex}"


def unique_event_type(name: str = "widget_changed", *, version: int = 1) -> str:
    """`rentezy.test<random letters>.<name>.v1`: a type whose topic
    (`rentezy.test<letters>`) no other test or earlier run has used. Letters
    only, because the envelope schema allows no digits in a type's domain."""
    letters = "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:16])
    return f"rentezy.test{letters}.{name}.v{version}"


def write_contracts(
    directory: Path,
    schemas: Mapping[str, Mapping[str, Any]],
    *,
    base_dir: Path | None = None,
) -> Path:
    """Copy every schema of `base_dir` (default: the current contracts dir)
    into `directory` and add `<type>.schema.json` for each entry of `schemas`."""
    from rentezy_platform.events import contracts_dir

    base = base_dir or contracts_dir()
    directory.mkdir(parents=True, exist_ok=True)
    for path in base.glob("*.json"):
        shutil.copyfile(path, directory / path.name)
    for event_type, schema in schemas.items():
        (directory / f"{event_type}.schema.json").write_text(json.dumps(schema, indent=2))
    return directory


def outbox_events(*, type: str | None = None) -> list[CloudEvent]:
    """Events enqueued in the outbox (sent or not), oldest first."""
    from rentezy_platform.events import CloudEvent
    from rentezy_platform.outbox.models import OutboxMessage

    rows = OutboxMessage.objects.order_by("id")
    if type is not None:
        rows = rows.filter(type=type)
    return [CloudEvent.from_dict(row.payload) for row in rows]


@dataclass(frozen=True)
class ConsumedMessage:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes | None
    headers: dict[str, bytes]

    @property
    def event(self) -> CloudEvent:
        from rentezy_platform.events import CloudEvent

        return CloudEvent.from_json(self.value)

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return value.decode() if value is not None else None


class KafkaTestConsumer:
    """Reads one topic from the beginning with a group no one else uses.

    Partitions are assigned directly (no group join and rebalance delay), so
    reading starts at once; offsets are never committed.
    """

    def __init__(
        self, topic: str, *, bootstrap_servers: str | None = None, timeout: float = 15.0
    ) -> None:
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        from rentezy_platform.kafka.config import bootstrap_servers as configured_servers

        self.topic = topic
        self.messages: list[ConsumedMessage] = []
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers or configured_servers(),
                "group.id": f"test-reader-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "reconnect.backoff.max.ms": 1000,
            }
        )
        partitions = wait_until(
            lambda: self._consumer.list_topics(topic, timeout=timeout).topics[topic].partitions,
            timeout=timeout,
            message=f"metadata of topic {topic}",
        )
        self._consumer.assign(
            [TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(partitions)]
        )

    def __enter__(self) -> KafkaTestConsumer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._consumer.close()

    def poll(self, *, timeout: float = 0.5) -> list[ConsumedMessage]:
        """Whatever arrives within `timeout`; appended to `messages` too."""
        batch: list[ConsumedMessage] = []
        first = self._consumer.poll(timeout)
        fetched = (
            [] if first is None else [first, *self._consumer.consume(num_messages=1000, timeout=0)]
        )
        for msg in fetched:
            if msg.error() is not None:
                continue
            key = msg.key()
            batch.append(
                ConsumedMessage(
                    topic=msg.topic(),
                    partition=msg.partition(),
                    offset=msg.offset(),
                    key=key.decode() if key is not None else None,
                    value=msg.value(),
                    headers={k: v for k, v in (msg.headers() or [])},
                )
            )
        self.messages.extend(batch)
        return batch

    def read(self, *, count: int, timeout: float = 30.0) -> list[ConsumedMessage]:
        """Poll until at least `count` messages in total have been read."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"read {len(self.messages)} of {count} messages from {self.topic} "
                    f"within {timeout:.1f}s"
                )
            self.poll(timeout=0.2)
        return self.messages

    def drain(self, *, idle: float = 1.0, timeout: float = 60.0) -> list[ConsumedMessage]:
        """Poll until nothing new arrives for `idle` seconds (checks for extras)."""
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < idle and time.monotonic() < deadline:
            if self.poll(timeout=0.2):
                quiet_since = time.monotonic()
        return self.messages


class _BackgroundRunner:
    """Runs an object with run()/stop() in a daemon thread; re-raises its error."""

    def __init__(self, target: OutboxRelay | ConsumerRunner, name: str) -> None:
        self.target = target
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        try:
            self.target.run()
        except BaseException as exc:  # surfaced by stop()
            self.error = exc

    def start(self) -> _BackgroundRunner:
        self._thread.start()
        return self

    def stop(self, *, timeout: float = 30.0) -> None:
        self.target.stop()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError(f"{self._thread.name} did not stop within {timeout}s")
        if self.error is not None:
            raise self.error

    def __enter__(self) -> _BackgroundRunner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RelayThread(_BackgroundRunner):
    def __init__(self, relay: OutboxRelay | None = None, **relay_options: Any) -> None:
        from rentezy_platform.outbox.relay import OutboxRelay

        super().__init__(relay or OutboxRelay(**relay_options), name="outbox-relay")

    @property
    def relay(self) -> OutboxRelay:
        return self.target  # type: ignore[return-value]


class ConsumerThread(_BackgroundRunner):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from rentezy_platform.kafka.consumer import ConsumerRunner

        super().__init__(ConsumerRunner(*args, **kwargs), name="consumer-runner")

    @property
    def runner(self) -> ConsumerRunner:
        return self.target  # type: ignore[return-value]


def start_relay_process(
    *,
    manage_py: Path,
    env: Mapping[str, str] | None = None,
    batch_size: int | None = None,
    poll_interval: float | None = None,
    log_path: Path | None = None,
) -> subprocess.Popen[bytes]:
    """`python manage.py outbox_relay` as a real child process.

    `env` is added to this process's environment (point the child at the test
    database there). Output goes to `log_path` (or is discarded) so a chatty
    relay never blocks on a full pipe.
    """
    command = [sys.executable, str(manage_py), "outbox_relay"]
    if batch_size is not None:
        command += ["--batch-size", str(batch_size)]
    if poll_interval is not None:
        command += ["--poll-interval", str(poll_interval)]
    output = open(log_path, "ab") if log_path is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(
            command,
            env={**os.environ, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    finally:
        if log_path is not None:
            output.close()  # type: ignore[union-attr]


@dataclass(frozen=True)
class Caller:
    """An identity the gateway vouches for (what it signs into X-User-*)."""

    user_id: str
    role: str
    email: str = ""

    @classmethod
    def new(cls, role: str) -> Caller:
        """A caller with a fresh user id and a matching e-mail."""
        user_id = str(uuid.uuid4())
        return cls(user_id=user_id, role=role, email=f"{role}-{user_id[:8]}@example.com")


_NO_BODY = object()


class SignedClient:
    """A Django test client that calls a service the way api_gateway does:
    each request carries the identity headers and the HMAC signature of
    `rentezy_platform.trust.gateway_headers` for the caller given (`as_=` a
    `Caller`, or anonymous), over the exact path and query it requests.

        api = SignedClient()
        api.post("/api/properties", {"title": ...}, as_=Caller.new("landlord"))

    Bodies are JSON unless `raw=` (sent as is, e.g. malformed JSON) or
    `upload()` (multipart). With `run_on_commit` (default) each request runs
    the on-commit callbacks its transaction registered, as a committed request
    would, even inside a test's rolled-back transaction."""

    def __init__(
        self,
        client: Client | None = None,
        *,
        as_: Caller | None = None,
        run_on_commit: bool = True,
    ) -> None:
        from django.test import Client

        self.client = client if client is not None else Client()
        self.caller = as_
        self.run_on_commit = run_on_commit

    def signed_headers(self, method: str, path: str, as_: Caller | None = None) -> dict[str, str]:
        from django.conf import settings

        from rentezy_platform.trust import gateway_headers

        caller = as_ or self.caller
        return gateway_headers(
            key=settings.GATEWAY_SIGNING_KEY,
            method=method,
            path_with_query=path,
            user_id=caller.user_id if caller else None,
            role=caller.role if caller else None,
            email=caller.email if caller else "",
        )

    def _send(self, send: Callable[[], Any]) -> Any:
        if not self.run_on_commit:
            return send()
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            return send()

    def request(
        self,
        method: str,
        path: str,
        body: Any = _NO_BODY,
        *,
        as_: Caller | None = None,
        raw: str | bytes | None = None,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        if raw is not None:
            data: str | bytes = raw
        elif body is _NO_BODY:
            data = ""
        else:
            data = json.dumps(body)
        # The signature's headers win over any the test adds.
        sent = {**(headers or {}), **self.signed_headers(method, path, as_)}
        return self._send(
            lambda: self.client.generic(
                method, path, data=data, content_type=content_type, headers=sent
            )
        )

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = _NO_BODY, **kwargs: Any) -> Any:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = _NO_BODY, **kwargs: Any) -> Any:
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any = _NO_BODY, **kwargs: Any) -> Any:
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def upload(self, path: str, files: Mapping[str, Any], *, as_: Caller | None = None) -> Any:
        """A multipart POST, as a browser's form would send it."""
        return self._send(
            lambda: self.client.post(
                path, data=dict(files), headers=self.signed_headers("POST", path, as_)
            )
        )


# How long the tasks a test leaves behind (sockets' receive loops) get to
# finish their cancellation before the loop is closed anyway.
TEARDOWN_SECONDS = 5.0


def run_async(test: Callable[..., Any]) -> Callable[..., None]:
    """An async test (`async def test_...`) run to completion in a fresh
    event loop; its fixtures are the sync ones pytest passes in.

    Unlike asyncio.run, the tasks left running when the test returns get a
    bounded time to finish their cancellation: channels-redis's receive can
    swallow a cancellation that lands as its BZPOPMIN returns (about 1 in 150
    here, with or without redis-py retries), and asyncio.run would then wait
    for that receive loop forever, after the test itself has passed or failed."""
    import asyncio
    import functools
    import warnings

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(test(*args, **kwargs))
        finally:
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                _, stuck = loop.run_until_complete(asyncio.wait(pending, timeout=TEARDOWN_SECONDS))
                if stuck:
                    warnings.warn(
                        f"{len(stuck)} task(s) ignored their cancellation; loop closed anyway",
                        RuntimeWarning,
                        stacklevel=1,
                    )
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    return run


def signed_websocket(application: Any, path: str, caller: Caller | None, *, extra=()) -> Any:
    """A channels.testing.WebsocketCommunicator on `application` whose
    handshake carries the identity headers and signature the gateway sends
    for `caller` over `path` (with its query), plus any `extra` headers."""
    from channels.testing import WebsocketCommunicator
    from django.conf import settings

    from rentezy_platform.trust import gateway_headers

    headers: list[tuple[bytes, bytes]] = list(extra)
    if caller is not None:
        signed = gateway_headers(
            key=settings.GATEWAY_SIGNING_KEY,
            method="GET",
            path_with_query=path,
            user_id=caller.user_id,
            role=caller.role,
            email=caller.email,
        )
        headers += [(k.lower().encode(), v.encode()) for k, v in signed.items()]
    return WebsocketCommunicator(application, path, headers=headers)


@contextlib.contextmanager
def isolated_channel_layer(settings: Any) -> Iterator[str]:
    """A test's channel layer and presence keys under a Redis prefix of its
    own (pytest-django's `settings`), with fresh channel layer instances in
    and after it. Yields the prefix.

        @pytest.fixture(autouse=True)
        def _own_channel_layer(settings):
            with isolated_channel_layer(settings):
                yield
    """
    from channels.layers import channel_layers

    prefix = f"test{uuid.uuid4().hex[:8]}:"
    settings.CHANNEL_LAYER_PREFIX = prefix
    layer = settings.CHANNEL_LAYERS["default"]
    settings.CHANNEL_LAYERS = {
        "default": {**layer, "CONFIG": {**layer["CONFIG"], "prefix": prefix + "rentezy:ws"}}
    }
    channel_layers.backends.clear()
    try:
        yield prefix
    finally:
        channel_layers.backends.clear()
