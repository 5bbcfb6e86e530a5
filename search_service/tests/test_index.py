"""search/index.py: the index behind the alias, created once, even by racing callers."""

from __future__ import annotations

import threading

import pytest
from search.engine import IndexOperation, get_engine
from search.index import (
    MAPPINGS,
    building_alias,
    delete_indices,
    ensure_index,
    forget_ensured,
    new_index_name,
)

from tests.conftest import unique_alias


@pytest.fixture
def alias():
    name = unique_alias()
    yield name
    delete_indices(name)


def test_ensure_index_creates_the_first_index_behind_the_alias_once(alias):
    engine = get_engine()
    ensure_index(alias)
    assert engine.alias_indices(alias) == [f"{alias}-initial"]
    definition = engine.index_definition(f"{alias}-initial")
    assert definition["mappings"] == MAPPINGS
    assert definition["mappings"]["dynamic"] == "strict"
    index_settings = definition["settings"]["index"]
    assert (
        index_settings["number_of_shards"],
        index_settings["number_of_replicas"],
        index_settings["refresh_interval"],
        index_settings["max_result_window"],
    ) == ("1", "0", "500ms", "10000")
    assert index_settings["analysis"]["normalizer"]["folded"] == {
        "type": "custom",
        "filter": ["lowercase", "asciifolding"],
    }
    ensure_index(alias, force=True)
    assert engine.indices(f"{alias}*") == {f"{alias}-initial": [alias]}


def test_racing_callers_all_succeed_and_create_one_index(alias):
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def call() -> None:
        barrier.wait()
        try:
            ensure_index(alias, force=True)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert get_engine().indices(f"{alias}*") == {f"{alias}-initial": [alias]}


def test_ensure_index_is_memoised_until_forced(alias):
    engine = get_engine()
    ensure_index(alias)
    engine.delete_index(f"{alias}-initial")
    ensure_index(alias)  # memoised: no request, nothing recreated
    assert engine.alias_indices(alias) == []
    ensure_index(alias, force=True)
    assert engine.alias_indices(alias) == [f"{alias}-initial"]
    forget_ensured(alias)
    engine.delete_index(f"{alias}-initial")
    ensure_index(alias)
    assert engine.alias_indices(alias) == [f"{alias}-initial"]


def test_an_initial_index_without_its_alias_gets_it_back(alias):
    engine = get_engine()
    ensure_index(alias)
    engine.update_aliases([{"remove": {"index": f"{alias}-initial", "alias": alias}}])
    ensure_index(alias, force=True)
    assert engine.alias_indices(alias) == [f"{alias}-initial"]


def test_names(alias):
    assert building_alias(alias) == f"{alias}-building"
    first, second = new_index_name(alias), new_index_name(alias)
    assert first != second
    assert first.startswith(f"{alias}-2") and len(first) == len(alias) + 1 + 14 + 1 + 8


def test_delete_indices_removes_everything_under_the_alias(alias):
    engine = get_engine()
    ensure_index(alias)
    orphan = new_index_name(alias)
    engine.create_index(orphan, {})
    engine.bulk_index(
        [IndexOperation(f"{alias}-initial", "x", {"id": "x", "status": "draft", "version": 1}, 1)]
    )
    assert delete_indices(alias) == sorted([f"{alias}-initial", orphan])
    assert engine.indices(f"{alias}*") == {}
