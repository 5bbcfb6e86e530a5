"""rentezy_platform.postgresql against the real database: the per-request
health check trusts a quiet connection without a query and still replaces one
the server has closed before a request uses it."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import psycopg
import pytest
from django.db import OperationalError, connection, connections
from rentezy_platform.postgresql.base import DatabaseWrapper, socket_is_quiet
from rentezy_platform.testing import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _next_request() -> None:
    """What Django does between two requests (request_finished/started)."""
    connection.close_if_unusable_or_obsolete()


def _terminate(pid: int) -> None:
    """The server closes that session, as on a restart or an admin's kill."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]


@pytest.fixture
def usable_checks() -> Iterator[mock.MagicMock]:
    """Counts Django's query-based check (SELECT 1) while it still runs it."""
    with mock.patch.object(connection, "is_usable", wraps=connection.is_usable) as spy:
        yield spy


def test_these_tests_run_the_backend_the_services_run():
    assert isinstance(connections["default"], DatabaseWrapper)
    assert connections["default"].settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_quiet_connection_is_used_without_a_query_first(usable_checks):
    pid = _backend_pid()
    raw = connection.connection
    for _ in range(3):
        _next_request()
        assert not connection.health_check_done
        assert _backend_pid() == pid
        assert connection.health_check_done
    assert connection.connection is raw
    assert usable_checks.call_count == 0


def test_a_connection_the_server_closed_is_replaced_before_the_request_uses_it(usable_checks):
    pid = _backend_pid()
    _next_request()
    _terminate(pid)
    fileno = connection.connection.fileno()
    wait_until(lambda: not socket_is_quiet(fileno), timeout=10, message="the server's goodbye")
    # The next request's first query runs on a new session, not a failed one.
    assert _backend_pid() != pid
    assert usable_checks.call_count == 1


def test_negative_control_without_the_check_the_closed_connection_fails_the_request():
    pid = _backend_pid()
    _next_request()
    connection.health_check_enabled = False
    try:
        _terminate(pid)
        fileno = connection.connection.fileno()
        wait_until(lambda: not socket_is_quiet(fileno), timeout=10, message="the server's goodbye")
        with pytest.raises(OperationalError):
            _backend_pid()
    finally:
        connection.close()
        connection.health_check_enabled = True
    assert _backend_pid() != pid
