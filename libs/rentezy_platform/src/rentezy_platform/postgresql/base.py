"""Django's PostgreSQL backend with a health check that costs no round trip.

Every service runs persistent connections (CONN_MAX_AGE) with
CONN_HEALTH_CHECKS, so a connection the database dropped (a restart, an
administrator's terminate, an idle timeout) is replaced before a request uses
it. Django checks with a `SELECT 1` at the first use in every request: a
round trip, and on the booking path a twentieth of the service's CPU per
request (make bench).

A connection the server closed has said so on its socket: the server sends
its FATAL message and closes, so an idle connection's socket turns readable.
A quiet socket therefore needs no query; only a readable one (or a platform
without poll) gets Django's `SELECT 1`, which also reads what is waiting.
redis-py checks its pooled connections the same way. A connection that broke
with nothing on the socket (a silent network cut) is not caught by either
check before use: the request then fails with a database error, answered 503
by `rentezy_platform.errors`, and Django drops the connection at its end.

Use it through `rentezy_platform.settings.database()` (ENGINE).
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base

# poll(2) is everywhere the services run; elsewhere Django's check applies.
CAN_POLL = hasattr(select, "poll")


def socket_is_quiet(fileno: int) -> bool:
    """True when nothing waits to be read on the idle connection's socket."""
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and CAN_POLL
            and not self.connection.closed
            and socket_is_quiet(self.connection.fileno())
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
