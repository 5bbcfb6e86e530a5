"""search/services.py against the real engine: applying property events
(versions, tombstones, dual writes during a reindex) and rebuilding the index."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from django.db import connections
from search.documents import property_document
from search.engine import IndexOperation, SearchEngineError, get_engine
from search.index import building_alias, index_body, new_index_name, refresh_index
from search.query import SearchParams
from search.selectors import property_search
from search.services import (
    APPLIED,
    STALE,
    ReindexError,
    ReindexInProgress,
    SearchIndexingError,
    _lock_key,
    property_document_apply,
    property_index_rebuild,
)

from tests.conftest import index_properties, next_version, property_data

# The reindex takes a PostgreSQL advisory lock.
pytestmark = pytest.mark.django_db


def listed(**params) -> dict[str, dict]:
    """Every searchable property by id (at most 100)."""
    page = property_search(params=SearchParams(page_size=100, sort="price_asc", **params))
    assert page.count == len(page.results)
    return {result["id"]: result for result in page.results}


def stored(alias: str, property_id: str) -> dict | None:
    return get_engine().get_document(index=alias, id=property_id)


# -- applying events ----------------------------------------------------------


def test_a_listed_property_becomes_searchable(search_alias):
    data = property_data(title="Sunny loft", monthly_rent_minor=199950)
    assert property_document_apply(data=data) == APPLIED
    refresh_index()
    assert listed() == {
        data["property_id"]: {
            "id": data["property_id"],
            "title": "Sunny loft",
            "city": "Berlin",
            "monthly_rent": "1999.50",
            "currency": "USD",
            "bedrooms": 2,
            "bathrooms": 1.0,
            "property_type": "apartment",
            "amenities": [],
            "thumbnail_url": None,
            "available_from": None,
            "latitude": 52.52,
            "longitude": 13.405,
        }
    }


def test_an_update_replaces_the_document(search_alias):
    first = property_data(title="Old title")
    second = next_version(first, title="New title", monthly_rent_minor=99900, bedrooms=3)
    index_properties(first, second)
    [result] = listed().values()
    assert (result["title"], result["monthly_rent"], result["bedrooms"]) == (
        "New title",
        "999.00",
        3,
    )
    assert stored(search_alias, first["property_id"])["_version"] == 2


@pytest.mark.parametrize("status", ["archived", "draft", "rented"])
def test_a_property_leaving_listed_leaves_search_as_a_tombstone(search_alias, status):
    keep = property_data(title="Stays")
    gone = property_data(title="Goes")
    index_properties(keep, gone, next_version(gone, status=status))
    assert list(listed()) == [keep["property_id"]]
    assert stored(search_alias, gone["property_id"]) == {
        "_index": f"{search_alias}-initial",
        "_version": 2,
        "_source": {"id": gone["property_id"], "status": status, "version": 2},
    }
    # Not even its words find it.
    assert listed(q="goes") == {}


def test_a_draft_created_then_listed(search_alias):
    draft = property_data(status="draft")
    index_properties(draft)
    assert listed() == {}
    index_properties(next_version(draft, status="listed"))
    assert list(listed()) == [draft["property_id"]]


def test_the_same_event_twice_changes_nothing(search_alias):
    data = property_data()
    assert property_document_apply(data=data) == APPLIED
    before = stored(search_alias, data["property_id"])
    assert property_document_apply(data=data) == STALE
    refresh_index()
    assert stored(search_alias, data["property_id"]) == before
    assert get_engine().count(index=search_alias) == 1


def test_an_older_version_after_a_newer_one_changes_nothing(search_alias):
    v1 = property_data(title="v1")
    v2 = next_version(v1, title="v2")
    v3 = next_version(v2, title="v3")
    for data in (v1, v3):
        assert property_document_apply(data=data) == APPLIED
    assert property_document_apply(data=v2) == STALE
    refresh_index()
    assert [r["title"] for r in listed().values()] == ["v3"]


def test_an_older_listed_event_never_resurrects_an_archived_property(search_alias):
    v1 = property_data()
    v2 = next_version(v1, title="Renovated")
    archived = next_version(v2, status="archived")
    index_properties(v1, archived)
    # Late deliveries of older listed states, long after the archive.
    assert property_document_apply(data=v2) == STALE
    assert property_document_apply(data=v1) == STALE
    refresh_index()
    assert listed() == {}
    assert stored(search_alias, v1["property_id"])["_source"]["status"] == "archived"


def test_a_deleted_alias_is_recreated_by_the_next_event(search_alias):
    engine = get_engine()
    engine.delete_index(f"{search_alias}-initial")
    data = property_data()
    # The memo says the index exists; the write finds it missing and recreates it.
    assert property_document_apply(data=data) == APPLIED
    refresh_index()
    assert list(listed()) == [data["property_id"]]


def test_a_refused_document_raises(search_alias):
    data = property_data(bathrooms=1e300)  # valid JSON number, not a finite float
    with pytest.raises(SearchIndexingError, match="mapper_parsing_exception"):
        property_document_apply(data=data)


def test_engine_down_raises_for_the_consumer_to_retry(search_alias, closed_engine):
    with pytest.raises(SearchEngineError):
        property_document_apply(data=property_data())


def event_history(rng: random.Random, properties: int, events_per_property: int):
    """Per property, `events_per_property` successive states (versions 1..n)."""
    histories = []
    for n in range(properties):
        data = property_data(
            title=f"Home {n}",
            monthly_rent_minor=100000 + n,
            city=rng.choice(["Berlin", "Hamburg", "Köln"]),
        )
        history = [data]
        for _ in range(events_per_property - 1):
            data = next_version(
                data,
                status=rng.choice(["listed", "listed", "draft", "archived", "rented"]),
                bedrooms=rng.randint(0, 5),
                monthly_rent_minor=rng.randint(50000, 300000),
            )
            history.append(data)
        histories.append(history)
    return histories


def expected_listed(histories) -> dict[str, tuple]:
    finals = [history[-1] for history in histories]
    return {
        d["property_id"]: (d["title"], d["bedrooms"], d["monthly_rent_minor"])
        for d in finals
        if d["status"] == "listed"
    }


def actual_listed() -> dict[str, tuple]:
    return {
        pid: (r["title"], r["bedrooms"], int(r["monthly_rent"].replace(".", "")))
        for pid, r in listed().items()
    }


@pytest.mark.parametrize("order", ["per_property_order_kept", "shuffled_globally"])
def test_replaying_200_events_for_50_properties_yields_exactly_the_final_states(
    search_alias, order
):
    rng = random.Random(20260101)
    histories = event_history(rng, properties=50, events_per_property=4)
    if order == "per_property_order_kept":
        # Interleaved like partitions deliver them: each property's events in order.
        queues = [list(history) for history in histories]
        events = []
        while any(queues):
            queue = rng.choice([q for q in queues if q])
            events.append(queue.pop(0))
    else:
        events = [data for history in histories for data in history]
        rng.shuffle(events)
    assert len(events) == 200
    for data in events:
        property_document_apply(data=data)
    # And the whole topic replayed once more, in reverse.
    for data in reversed(events):
        assert property_document_apply(data=data) == STALE
    refresh_index()
    expected = expected_listed(histories)
    assert 0 < len(expected) < 50
    assert actual_listed() == expected
    engine = get_engine()
    assert engine.count(index=search_alias) == 50  # tombstones included
    for history in histories:
        final = history[-1]
        assert stored(search_alias, final["property_id"])["_version"] == final["version"]


def test_events_are_written_to_the_index_being_built_too(search_alias):
    engine = get_engine()
    building = new_index_name(search_alias)
    engine.create_index(building, index_body(aliases={building_alias(search_alias): {}}))
    data = property_data()
    archived = next_version(data, status="archived")
    assert property_document_apply(data=data) == APPLIED
    assert stored(building, data["property_id"])["_version"] == 1
    assert property_document_apply(data=archived) == APPLIED
    for index in (f"{search_alias}-initial", building):
        assert stored(index, data["property_id"])["_source"]["status"] == "archived"
    # The building index already newer (written by a reindex): not an error.
    newer = next_version(archived, status="listed")
    engine.bulk_index([IndexOperation(building, data["property_id"], {"id": "x"}, 10)])
    assert property_document_apply(data=newer) == APPLIED
    assert stored(building, data["property_id"])["_version"] == 10
    assert stored(f"{search_alias}-initial", data["property_id"])["_version"] == 3


# -- reindex ---------------------------------------------------------------------


def test_reindex_replaces_the_index_with_the_export(search_alias):
    engine = get_engine()
    kept = property_data(title="Kept", monthly_rent_minor=100000)
    changed = property_data(title="Before", monthly_rent_minor=200000)
    archived_since = property_data(title="Archived since", monthly_rent_minor=300000)
    index_properties(kept, changed, archived_since)
    new = property_data(title="Missed by the consumer", monthly_rent_minor=400000)
    draft = property_data(status="draft")
    export = [
        kept,
        next_version(changed, title="After"),
        next_version(archived_since, status="archived"),
        new,
        draft,
    ]
    reports = []
    result = property_index_rebuild(
        source=export,
        batch_size=2,
        old_index_grace_seconds=0,
        progress=lambda r: reports.append(r.documents),
    )
    assert reports == [2, 4, 5]
    assert (result.alias, result.documents, result.stale, result.count) == (search_alias, 5, 0, 3)
    assert result.old_indices == [f"{search_alias}-initial"]
    assert result.deleted_indices == [f"{search_alias}-initial"]
    assert engine.indices(f"{search_alias}*") == {result.index: [search_alias]}
    assert engine.index_definition(result.index)["settings"]["index"]["refresh_interval"] == "500ms"
    assert [r["title"] for r in listed().values()] == ["Kept", "After", "Missed by the consumer"]
    assert engine.count(index=search_alias) == 5


def test_reindex_keeps_the_old_index_on_request(search_alias):
    engine = get_engine()
    index_properties(property_data())
    result = property_index_rebuild(source=[], keep_old=True, old_index_grace_seconds=0)
    assert result.deleted_indices == []
    assert engine.indices(f"{search_alias}*") == {
        f"{search_alias}-initial": [],
        result.index: [search_alias],
    }
    assert listed() == {}


def slow_export(rows, *, pause: float, during=None) -> Iterator[dict]:
    """`rows` with a pause every 100, calling `during(i)` at each pause."""
    for i, row in enumerate(rows):
        if i and i % 100 == 0:
            if during is not None:
                during(i)
            time.sleep(pause)
        yield row


def test_searches_never_fail_during_a_reindex_and_see_the_same_count(search_alias):
    rows = [property_data(title=f"Flat {n}", monthly_rent_minor=100000 + n) for n in range(600)]
    rows += [property_data(status="archived") for _ in range(20)]
    for start in range(0, len(rows), 200):
        get_engine().bulk_index(
            [
                IndexOperation(search_alias, r["property_id"], doc, r["version"])
                for r in rows[start : start + 200]
                for doc in [property_document(r)]
            ]
        )
    refresh_index()
    before = property_search(params=SearchParams(q="flat")).count
    assert before == 600

    failures: list[BaseException] = []
    counts: list[int] = []
    stop = threading.Event()

    def query_loop() -> None:
        while not stop.is_set():
            try:
                counts.append(property_search(params=SearchParams(q="flat", city="berlin")).count)
            except BaseException as exc:
                failures.append(exc)

    thread = threading.Thread(target=query_loop)
    thread.start()
    try:
        result = property_index_rebuild(
            source=slow_export(rows, pause=0.1), batch_size=100, old_index_grace_seconds=0.5
        )
    finally:
        time.sleep(0.3)
        stop.set()
        thread.join(30)
    assert failures == []
    assert len(counts) > 20
    assert set(counts) == {600}
    assert property_search(params=SearchParams(q="flat")).count == before
    assert get_engine().alias_indices(search_alias) == [result.index]
    assert get_engine().index_exists(f"{search_alias}-initial") is False


def test_events_applied_during_a_reindex_land_in_the_new_index(search_alias):
    rows = [property_data(title=f"Flat {n}", monthly_rent_minor=100000 + n) for n in range(300)]
    index_properties(*rows[:10])
    updated = next_version(rows[0], title="Updated during the reindex")
    brand_new = property_data(title="Created during the reindex", monthly_rent_minor=50000)
    archived = next_version(rows[250], status="archived")  # exported later, as listed v1

    def apply_events(position: int) -> None:
        if position == 100:
            for data in (updated, brand_new, archived):
                assert property_document_apply(data=data) == APPLIED

    result = property_index_rebuild(
        source=slow_export(rows, pause=0, during=apply_events),
        batch_size=50,
        old_index_grace_seconds=0,
    )
    assert result.stale == 1  # rows[250] v1, older than the archive
    found = listed(q="during")
    assert [r["title"] for r in found.values()] == [
        "Created during the reindex",
        "Updated during the reindex",
    ]
    assert rows[250]["property_id"] not in listed(q="flat 250")
    assert property_search(params=SearchParams()).count == 300  # 299 rows + brand_new
    # After the swap, events go to the new index through the alias alone.
    later = next_version(updated, title="After the reindex")
    assert property_document_apply(data=later) == APPLIED
    assert stored(result.index, later["property_id"])["_version"] == 3


def test_a_failing_reindex_leaves_the_live_index_untouched(search_alias):
    engine = get_engine()
    live = property_data(title="Live")
    index_properties(live)

    def broken_export():
        yield property_data()
        raise ConnectionResetError("property_service went away")

    with pytest.raises(ConnectionResetError):
        property_index_rebuild(source=broken_export(), batch_size=1)
    assert engine.indices(f"{search_alias}*") == {f"{search_alias}-initial": [search_alias]}
    assert engine.alias_indices(building_alias(search_alias)) == []
    assert [r["title"] for r in listed().values()] == ["Live"]
    # The consumer carries on as before.
    assert property_document_apply(data=next_version(live, title="Still live")) == APPLIED


def test_an_export_row_breaking_the_contract_fails_the_reindex(search_alias):
    bad = property_data()
    bad["monthly_rent_minor"] = "lots"
    with pytest.raises(
        ReindexError, match=f"export row '{bad['property_id']}' breaks the property"
    ):
        property_index_rebuild(source=[property_data(), bad])
    assert get_engine().indices(f"{search_alias}*") == {f"{search_alias}-initial": [search_alias]}


def test_an_export_row_the_engine_refuses_fails_the_reindex(search_alias):
    refused = property_data(bathrooms=1e300)  # valid JSON number, not a finite float
    with pytest.raises(ReindexError, match="1 of 2 documents refused"):
        property_index_rebuild(source=[property_data(), refused])
    assert get_engine().indices(f"{search_alias}*") == {f"{search_alias}-initial": [search_alias]}


def test_the_index_of_an_interrupted_reindex_is_discarded_by_the_next(search_alias):
    engine = get_engine()
    leftover = new_index_name(search_alias)
    engine.create_index(leftover, index_body(aliases={building_alias(search_alias): {}}))
    result = property_index_rebuild(source=[property_data()], old_index_grace_seconds=0)
    assert engine.indices(f"{search_alias}*") == {result.index: [search_alias]}


@pytest.mark.django_db(transaction=True)
def test_one_reindex_at_a_time(search_alias):
    holding, release = threading.Event(), threading.Event()

    def other_reindex() -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s::bigint)", [_lock_key(search_alias)])
            holding.set()
            release.wait(30)
            cursor.execute("SELECT pg_advisory_unlock(%s::bigint)", [_lock_key(search_alias)])
        connections["default"].close()

    thread = threading.Thread(target=other_reindex)
    thread.start()
    try:
        assert holding.wait(10)
        with pytest.raises(ReindexInProgress):
            property_index_rebuild(source=[property_data()])
        # Another alias is not blocked.
        assert _lock_key(search_alias) != _lock_key(f"{search_alias}x")
    finally:
        release.set()
        thread.join(30)
    assert get_engine().indices(f"{search_alias}*") == {f"{search_alias}-initial": [search_alias]}
    property_index_rebuild(source=[], old_index_grace_seconds=0)


def test_reindex_of_an_alias_with_no_index_yet(settings):
    from search.index import delete_indices

    alias = f"test-{uuid.uuid4().hex}"
    settings.SEARCH_INDEX_ALIAS = alias
    try:
        result = property_index_rebuild(source=[property_data()], old_index_grace_seconds=0)
        assert get_engine().indices(f"{alias}*") == {result.index: [alias]}
        assert result.count == 1
    finally:
        delete_indices(alias)
