"""search/engine.py against the real engine: the adapter's operations and how
client errors become ours."""

from __future__ import annotations

import pytest
from search.engine import (
    IndexAlreadyExists,
    IndexNotFound,
    IndexOperation,
    OpenSearchEngine,
    SearchEngineError,
    SearchUnavailable,
    get_engine,
    reset_engines,
)
from search.index import index_body

from tests.conftest import unique_alias


@pytest.fixture
def index_name():
    engine = get_engine()
    name = unique_alias()
    engine.create_index(name, index_body())
    yield name
    engine.delete_index(name)


def test_one_client_per_configuration(settings):
    engine = get_engine()
    assert isinstance(engine, OpenSearchEngine)
    assert get_engine() is engine
    settings.SEARCH_URL = "http://127.0.0.1:9"
    other = get_engine()
    assert other is not engine and other.url == "http://127.0.0.1:9"
    settings.SEARCH_URL = engine.url
    assert get_engine() is engine


def test_unreachable_engine_is_unavailable(closed_engine):
    engine = get_engine()
    with pytest.raises(SearchUnavailable):
        engine.search(index="anything", body={"query": {"match_all": {}}})
    with pytest.raises(SearchUnavailable):
        engine.alias_indices("anything")


def test_reset_engines_forgets_clients():
    engine = get_engine()
    reset_engines()
    assert get_engine() is not engine


def test_missing_index_and_existing_index(index_name):
    engine = get_engine()
    with pytest.raises(IndexNotFound):
        engine.search(index=f"{index_name}-nope", body={})
    with pytest.raises(IndexAlreadyExists):
        engine.create_index(index_name, index_body())
    assert engine.index_exists(index_name) is True
    assert engine.index_exists(f"{index_name}-nope") is False
    assert engine.delete_index(f"{index_name}-nope") is False


def test_a_request_the_engine_refuses_is_an_engine_error(index_name):
    with pytest.raises(SearchEngineError) as raised:
        get_engine().search(index=index_name, body={"query": {"no_such_query": {}}})
    assert raised.type is SearchEngineError
    assert raised.value.status == 400


def test_aliases(index_name):
    engine = get_engine()
    alias = f"{index_name}-alias"
    assert engine.alias_indices(alias) == []
    engine.update_aliases([{"add": {"index": index_name, "alias": alias}}])
    assert engine.alias_indices(alias) == [index_name]
    assert engine.indices(f"{index_name}*") == {index_name: [alias]}
    assert engine.index_definition(index_name)["aliases"] == {alias: {}}


def test_bulk_index_with_external_versions(index_name):
    engine = get_engine()
    doc = {"id": "a", "status": "draft", "version": 5}
    first = engine.bulk_index(
        [
            IndexOperation(index_name, "a", doc, 5),
            IndexOperation(index_name, "a", {**doc, "version": 4}, 4),  # older
            IndexOperation(index_name, "a", doc, 5),  # the same again
            IndexOperation(f"{index_name}-nope", "a", doc, 5, require_alias=True),
            IndexOperation(index_name, "b", {"id": "b", "surprise": 1}, 1),  # strict mapping
        ],
        refresh=True,
    )
    assert [
        (item.status, item.ok, item.version_conflict, item.missing_index) for item in first
    ] == [
        (201, True, False, False),
        (409, False, True, False),
        (409, False, True, False),
        (404, False, False, True),
        (400, False, False, False),
    ]
    assert first[4].error_type == "strict_dynamic_mapping_exception"
    assert engine.get_document(index=index_name, id="a") == {
        "_index": index_name,
        "_version": 5,
        "_source": doc,
    }
    assert engine.get_document(index=index_name, id="b") is None
    assert engine.count(index=index_name) == 1
    # The alias-only write did not create an index of that name.
    assert engine.index_exists(f"{index_name}-nope") is False


def test_empty_bulk_sends_nothing(closed_engine):
    assert get_engine().bulk_index([]) == []
