"""The property index: its mapping, and the aliases that name it.

Nobody reads or writes a physical index by name. Readers use the alias
(settings.SEARCH_INDEX_ALIAS, `rentezy-properties`); the physical index behind
it is `<alias>-<UTC timestamp>-<random>` (or `<alias>-initial`, the first one)
and is replaced by `manage.py reindex` with one atomic alias swap. While a
reindex builds its new index, that index also carries the alias
`<alias>-building`, and the consumer writes every event to both aliases
(search/services.py), so nothing that happens during a reindex is lost.

`ensure_index()` creates the first index behind the alias if there is none.
Both the consumer and the API call it (once per process, memoised); racing
callers all succeed because the first index has a fixed name and is created
with its alias in ONE request: the losers get `resource_already_exists`.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from search.engine import IndexAlreadyExists, get_engine

# Bumped whenever MAPPINGS changes; a live index with another value needs a reindex.
MAPPING_VERSION = 1
# How soon an indexed change becomes searchable. Indexing itself takes ~10 ms
# after the write; the refresh wait is uniform over this interval, so at the
# engine's default 1 s the lag's p95 alone would be ~950 ms against a goal of
# 1 s. Listings change a few times a second at most: a refresh every 500 ms
# costs little (small segments to merge) and halves the lag.
REFRESH_INTERVAL = "500ms"
# The engine's default `index.max_result_window`: from + size may not exceed it.
MAX_RESULT_WINDOW = 10_000

# Every full-text field is indexed twice: English-stemmed ("apartments" finds
# "apartment") for exact word matches, and unstemmed (`.plain`) for fuzzy ones:
# typos must be measured against whole words (the stemmer turns "apartment"
# into "apart", and "paris" into "pari", one edit from "park").
_ENGLISH = {"type": "text", "analyzer": "english"}
_PLAIN = {"type": "text", "analyzer": "standard"}
_FULL_TEXT = {**_ENGLISH, "fields": {"plain": _PLAIN}}

INDEX_SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,  # a single node; a few hundred thousand documents at most
    "number_of_replicas": 0,
    "refresh_interval": REFRESH_INTERVAL,  # API: searchable within 2 s; goal p95 1 s
    "max_result_window": MAX_RESULT_WINDOW,
    "analysis": {
        "normalizer": {
            # ?city=berlin matches "Berlin", "BERLIN", and "Zürich" matches "zurich".
            "folded": {"type": "custom", "filter": ["lowercase", "asciifolding"]},
            # Amenities match and are counted whatever their case, and shown in
            # lower case (a multi-valued field's spelling cannot be recovered per
            # value from an aggregation).
            "lowercase": {"type": "custom", "filter": ["lowercase"]},
        },
    },
}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "_meta": {"mapping_version": MAPPING_VERSION},
    "properties": {
        "id": {"type": "keyword"},
        "status": {"type": "keyword"},
        "version": {"type": "long", "index": False},
        "owner_id": {"type": "keyword"},
        "title": _FULL_TEXT,
        "description": _FULL_TEXT,
        "property_type": {"type": "keyword"},
        # `city` keeps the original casing (what a facet shows);
        # `city.normalized` is what filters and facet counts use.
        "city": {
            "type": "keyword",
            "fields": {
                "normalized": {"type": "keyword", "normalizer": "folded"},
                "text": _ENGLISH,
                "plain": _PLAIN,
            },
        },
        "country": {"type": "keyword"},
        "amenities": {
            "type": "keyword",
            "normalizer": "lowercase",
            "fields": {"text": _ENGLISH, "plain": _PLAIN},
        },
        "location": {"type": "geo_point"},
        "bedrooms": {"type": "integer"},
        "bathrooms": {"type": "float"},
        "area_sqft": {"type": "float", "index": False},
        "monthly_rent_minor": {"type": "long"},
        "currency": {"type": "keyword"},
        "available_from": {"type": "date", "format": "strict_date"},
        "thumbnail_url": {"type": "keyword", "index": False, "doc_values": False},
        "created_at": {"type": "date"},
        "updated_at": {"type": "date"},
    },
}

INITIAL_INDEX_SUFFIX = "initial"
BUILDING_ALIAS_SUFFIX = "building"


def index_alias() -> str:
    """The alias readers and writers use (settings.SEARCH_INDEX_ALIAS)."""
    return settings.SEARCH_INDEX_ALIAS


def building_alias(alias: str) -> str:
    """The alias of an index a reindex is building behind `alias`."""
    return f"{alias}-{BUILDING_ALIAS_SUFFIX}"


def new_index_name(alias: str) -> str:
    """A fresh physical index name behind `alias` (sorts by creation time)."""
    return f"{alias}-{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"


def index_body(*, aliases: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"settings": {"index": INDEX_SETTINGS}, "mappings": MAPPINGS}
    if aliases:
        body["aliases"] = aliases
    return body


_ensured: set[tuple[str, str]] = set()
_ensured_lock = threading.Lock()


def ensure_index(alias: str | None = None, *, force: bool = False) -> None:
    """Make sure an index exists behind `alias` (default: the configured one).
    Idempotent and safe under concurrency; memoised per process unless
    `force` (which callers pass after an `IndexNotFound`)."""
    alias = alias or index_alias()
    engine = get_engine()
    key = (engine.url, alias)
    if not force and key in _ensured:
        return
    if not engine.alias_indices(alias):
        initial = f"{alias}-{INITIAL_INDEX_SUFFIX}"
        try:
            engine.create_index(initial, index_body(aliases={alias: {}}))
        except IndexAlreadyExists:
            # A concurrent caller created it (with the alias, in the same
            # request), or an old initial index outlived its alias: either
            # way, put the alias on it (idempotent).
            engine.update_aliases([{"add": {"index": initial, "alias": alias}}])
    with _ensured_lock:
        _ensured.add(key)


def forget_ensured(alias: str | None = None) -> None:
    """Drop the memo of `ensure_index` (for `alias`, or all)."""
    with _ensured_lock:
        if alias is None:
            _ensured.clear()
        else:
            for key in [k for k in _ensured if k[1] == alias]:
                _ensured.discard(key)


def refresh_index(alias: str | None = None) -> None:
    """Make everything written so far searchable now (tests, benchmarks)."""
    get_engine().refresh(alias or index_alias())


def delete_indices(alias: str) -> list[str]:
    """Delete every index behind `alias` or named `<alias>-*` (and so their
    aliases). For tests and benchmarks that used an alias of their own."""
    engine = get_engine()
    forget_ensured(alias)
    names = set(engine.alias_indices(alias)) | set(engine.alias_indices(building_alias(alias)))
    names |= set(engine.indices(f"{alias}-*"))
    for name in sorted(names):
        engine.delete_index(name)
    return sorted(names)
