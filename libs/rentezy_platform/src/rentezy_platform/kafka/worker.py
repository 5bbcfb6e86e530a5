"""What the long-running workers (outbox relay, Kafka consumer) share: a
graceful stop on SIGTERM/SIGINT, database connection hygiene and the one
exponential Backoff of their retries."""

from __future__ import annotations

import logging
import signal
import threading
import time
from weakref import WeakKeyDictionary

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)


class Backoff:
    """Exponential backoff with a cap: `initial`, twice that, ... up to `maximum`;
    `reset()` after a success."""

    def __init__(self, *, initial: float, maximum: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self._next = initial

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.maximum)
        return delay

    def reset(self) -> None:
        self._next = self.initial


class StoppableWorker:
    """A loop that finishes the unit of work in progress, then exits, when asked
    to stop (by `stop()` from another thread, or by SIGTERM/SIGINT)."""

    # Names the worker in the "stopping" log line.
    worker_name = "worker"

    def __init__(self) -> None:
        self._stop = threading.Event()

    def stop(self) -> None:
        """Ask the loop to exit after the work in progress (thread-safe)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def install_signal_handlers(self) -> None:
        def handle(signum: int, _frame: object) -> None:
            logger.info(
                "%s stopping", self.worker_name, extra={"signal": signal.Signals(signum).name}
            )
            self.stop()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)


# When each (thread-local) connection wrapper was last looked at.
_last_refresh: WeakKeyDictionary[BaseDatabaseWrapper, float] = WeakKeyDictionary()


def refresh_db_connection(using: str = "default", *, every: float = 1.0) -> None:
    """Call before each batch, as Django calls close_old_connections() around
    each request: drop a connection that broke or outlived CONN_MAX_AGE.

    At most once per `every` seconds unless an error occurred: the check costs
    a round trip (CONN_HEALTH_CHECKS), too much to pay on every small batch.

    CONN_MAX_AGE=0 (what the ASGI services set, because their threads cannot
    share a connection) would mean a new connection for every batch here; a
    worker uses its connection from one thread, so it keeps it and only drops
    it once it is broken.
    """
    connection = connections[using]
    now = time.monotonic()
    if not connection.errors_occurred and now - _last_refresh.get(connection, -every) < every:
        return
    _last_refresh[connection] = now
    if connection.settings_dict.get("CONN_MAX_AGE") != 0:
        connection.close_if_unusable_or_obsolete()
        return
    if connection.connection is not None and connection.errors_occurred:
        if connection.is_usable():
            connection.errors_occurred = False
        else:
            connection.close()
