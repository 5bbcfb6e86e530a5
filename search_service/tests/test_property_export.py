"""search/property_export.py: walking property_service's export page by page,
signed as a service call."""

from __future__ import annotations

import pytest
from search.property_export import PropertyExportError, export_path, property_export_rows

from tests.conftest import property_data
from tests.export_server import ExportServer


def test_export_path():
    assert export_path(after=None, limit=500) == "/internal/properties/export?limit=500"
    assert (
        export_path(after="0f6c3e4e-1d2a-4b3c-8d4e-5f6a7b8c9d0e", limit=2)
        == "/internal/properties/export?after=0f6c3e4e-1d2a-4b3c-8d4e-5f6a7b8c9d0e&limit=2"
    )


def test_every_row_page_by_page_signed_as_this_service():
    rows = [property_data() for _ in range(5)]
    with ExportServer(rows) as server:
        got = list(property_export_rows(base_url=server.url, limit=2))
    assert got == server.rows
    ids = [row["property_id"] for row in server.rows]
    assert server.requests == [
        "/internal/properties/export?limit=2",
        f"/internal/properties/export?after={ids[1]}&limit=2",
        f"/internal/properties/export?after={ids[3]}&limit=2",
    ]
    assert set(server.callers) == {("search_service", "service")}


def test_an_empty_export():
    with ExportServer([]) as server:
        assert list(property_export_rows(base_url=server.url)) == []
        assert server.requests == ["/internal/properties/export?limit=500"]


def test_server_errors_are_retried():
    rows = [property_data()]
    with ExportServer(rows) as server:
        server.failures = [503, 500]
        assert list(property_export_rows(base_url=server.url, backoff=0.01)) == rows
        assert len(server.requests) == 3


def test_too_many_server_errors_fail():
    with ExportServer([property_data()]) as server:
        server.failures = [503] * 3
        with pytest.raises(PropertyExportError, match="HTTP 503"):
            list(property_export_rows(base_url=server.url, attempts=3, backoff=0.01))


def test_a_refusal_is_not_retried(settings):
    with ExportServer([property_data()]) as server:
        server.key = "another key"
        with pytest.raises(PropertyExportError, match="HTTP 401"):
            list(property_export_rows(base_url=server.url, backoff=0.01))
        assert len(server.requests) == 1


def test_property_service_down():
    with ExportServer([]) as server:
        url = server.url
    with pytest.raises(PropertyExportError):
        list(property_export_rows(base_url=url, attempts=2, backoff=0.01))
