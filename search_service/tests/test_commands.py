"""`manage.py reindex` and `manage.py search_index`, with property_service's
export served by tests/export_server.py."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from search.engine import get_engine
from search.index import delete_indices
from search.query import SearchParams
from search.selectors import property_search

from tests.conftest import index_properties, next_version, property_data, unique_alias
from tests.export_server import ExportServer

pytestmark = pytest.mark.django_db


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_reindex_from_property_services_export(search_alias, settings):
    old = property_data(title="Old")
    index_properties(old)
    rows = [property_data(title=f"Flat {n}") for n in range(7)]
    rows += [next_version(old, status="archived"), property_data(status="draft")]
    with ExportServer(rows) as server:
        settings.PROPERTY_SERVICE_URL = server.url
        output = run("reindex", batch_size=4)
    [index] = get_engine().alias_indices(search_alias)
    assert output.splitlines() == [
        f"reindexing {search_alias} from property_service's export",
        f"  4 documents indexed into {index} (0 already newer)",
        f"  8 documents indexed into {index} (0 already newer)",
        f"  9 documents indexed into {index} (0 already newer)",
        output.splitlines()[-1],
    ]
    assert output.splitlines()[-1].startswith(
        f"{search_alias} -> {index}: 9 documents, 7 listed, in "
    )
    assert output.splitlines()[-1].endswith(f"(previous: {search_alias}-initial; deleted)")
    assert len(server.requests) == 3  # pages of 4
    assert property_search(params=SearchParams()).count == 7
    assert not get_engine().index_exists(f"{search_alias}-initial")


def test_reindex_keep_old_and_another_alias(settings):
    alias = unique_alias()
    try:
        with ExportServer([property_data()]) as server:
            output = run("reindex", alias=alias, keep_old=True, property_service_url=server.url)
        assert output.splitlines()[-1].endswith(f"(previous: {alias}-initial; kept)")
        assert len(get_engine().indices(f"{alias}-*")) == 2
    finally:
        delete_indices(alias)


def test_a_failed_reindex_is_a_command_error_and_changes_nothing(search_alias, settings):
    index_properties(property_data(title="Live"))
    with ExportServer([property_data()]) as server:
        server.failures = [500] * 10
        settings.PROPERTY_SERVICE_URL = server.url
        with pytest.raises(CommandError, match=f"reindex failed, {search_alias} unchanged"):
            run("reindex")
    assert get_engine().indices(f"{search_alias}*") == {f"{search_alias}-initial": [search_alias]}
    assert [r["title"] for r in property_search(params=SearchParams()).results] == ["Live"]


def test_search_index_ensures_and_reports(settings):
    alias = unique_alias()
    settings.SEARCH_INDEX_ALIAS = alias
    try:
        assert run("search_index", "--status-only") == f"{alias}: no index\n"
        assert run("search_index") == f"{alias} -> {alias}-initial (0 documents)\n"
        index_properties(property_data(), property_data(status="archived"))
        assert run("search_index", "--ensure") == f"{alias} -> {alias}-initial (2 documents)\n"
    finally:
        delete_indices(alias)


def test_search_index_engine_down(closed_engine):
    with pytest.raises(CommandError, match="search engine"):
        run("search_index")
