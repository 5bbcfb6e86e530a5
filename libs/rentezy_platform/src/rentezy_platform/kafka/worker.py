"""Database connection hygiene for the long-running workers (relay, consumer)."""

from __future__ import annotations

import time
from weakref import WeakKeyDictionary

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

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
