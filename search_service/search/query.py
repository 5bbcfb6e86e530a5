"""The search request, built once for both engines: pure functions from
validated parameters to the query DSL, and from the engine's answer to a page.

Full text (`q`): each word must match (up to four words; beyond, three in
four) in any of title, city, amenities or description. Matching word by word
is what lets "apartment berlin" require both words while one sits in the title
and the other in the city; a plain multi_match would demand both in the same
field or accept either alone. A word matches exactly on English-stemmed fields
("apartments" finds "apartment") or with typo tolerance (`fuzziness: AUTO`:
one edit in words of 3-5 letters, two from 6; "apartmnet" finds "apartment")
on unstemmed ones: fuzzy matching against stems finds nonsense ("paris" →
"pari", one edit from "park"). A phrase match in the title or description
ranks higher. Ties in relevance,
and every other sort, end with newest first, then id, so paging is stable.

Every query filters `status: listed`: documents of properties that are not
listed are tombstones (search/documents.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from search.documents import LISTED, RESULT_SOURCE_FIELDS, search_result

SORT_RELEVANCE = "relevance"
SORT_PRICE_ASC = "price_asc"
SORT_PRICE_DESC = "price_desc"
SORT_NEWEST = "newest"
SORTS = (SORT_RELEVANCE, SORT_PRICE_ASC, SORT_PRICE_DESC, SORT_NEWEST)

PROPERTY_TYPES = ("apartment", "house", "studio", "room", "condo", "townhouse")

DEFAULT_PAGE_SIZE = 20
# Words of `q` beyond this are ignored (each word is a fuzzy clause).
MAX_QUERY_WORDS = 12

# Exact (stemmed) and fuzzy (unstemmed) matching of one word, with boosts.
STEMMED_FIELDS = ("title^3", "city.text^2", "amenities.text", "description")
PLAIN_FIELDS = ("title.plain^3", "city.plain^2", "amenities.plain", "description.plain")
PHRASE_FIELDS = ("title^3", "description")
# 1-4 words: all must match; more: three in four.
MINIMUM_WORDS_MATCHING = "4<75%"

# Facet name → (field counted, field whose most frequent value is shown, size).
# The display field works for single-valued fields only (city); amenities are
# counted and shown in lower case by their normalizer.
FACETS: dict[str, tuple[str, str | None, int]] = {
    "city": ("city.normalized", "city", 50),
    "property_type": ("property_type", None, len(PROPERTY_TYPES)),
    "bedrooms": ("bedrooms", None, 50),
    "amenities": ("amenities", None, 50),
}

_TIEBREAK = [{"created_at": {"order": "desc"}}, {"id": {"order": "asc"}}]
SORT_CLAUSES: dict[str, list[Any]] = {
    SORT_RELEVANCE: ["_score", *_TIEBREAK],
    SORT_PRICE_ASC: [{"monthly_rent_minor": {"order": "asc"}}, *_TIEBREAK],
    SORT_PRICE_DESC: [{"monthly_rent_minor": {"order": "desc"}}, *_TIEBREAK],
    SORT_NEWEST: list(_TIEBREAK),
}

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class GeoFilter:
    lat: float
    lng: float
    radius_km: float


@dataclass(frozen=True, slots=True)
class SearchParams:
    """Validated search parameters (the API's serializer builds them)."""

    q: str = ""
    city: str | None = None
    property_type: str | None = None
    min_rent_minor: int | None = None
    max_rent_minor: int | None = None
    min_bedrooms: int | None = None
    amenities: tuple[str, ...] = ()
    geo: GeoFilter | None = None
    available_from: date | None = None
    sort: str = SORT_RELEVANCE
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str | int
    count: int


@dataclass(frozen=True, slots=True)
class SearchPage:
    count: int
    results: list[dict[str, Any]]
    facets: dict[str, list[FacetValue]]


def query_words(q: str) -> list[str]:
    """The distinct words of `q`, in order, at most MAX_QUERY_WORDS."""
    words: list[str] = []
    for word in _WORD.findall(q.lower()):
        if word not in words:
            words.append(word)
    return words[:MAX_QUERY_WORDS]


def full_text_clause(q: str) -> dict[str, Any] | None:
    words = query_words(q)
    if not words:
        return None
    per_word = [word_clause(word) for word in words]
    return {"bool": {"should": per_word, "minimum_should_match": MINIMUM_WORDS_MATCHING}}


def word_clause(word: str) -> dict[str, Any]:
    """One word in any text field: exactly (stemmed), or within the typo budget
    (unstemmed); an exact match scores higher."""
    return {
        "dis_max": {
            "queries": [
                {
                    "multi_match": {
                        "query": word,
                        "fields": list(STEMMED_FIELDS),
                        "type": "best_fields",
                        # A stop word ("in", "the") analyses to nothing here:
                        # let it match rather than fail the whole query.
                        "zero_terms_query": "all",
                    }
                },
                {
                    "multi_match": {
                        "query": word,
                        "fields": list(PLAIN_FIELDS),
                        "type": "best_fields",
                        "fuzziness": "AUTO",
                        "prefix_length": 1,
                        "max_expansions": 50,
                    }
                },
            ],
            "tie_breaker": 0.3,
        }
    }


def phrase_boost_clause(q: str) -> dict[str, Any] | None:
    if len(query_words(q)) < 2:
        return None
    return {
        "multi_match": {
            "query": q,
            "fields": list(PHRASE_FIELDS),
            "type": "phrase",
            "slop": 2,
            "boost": 2,
        }
    }


def filter_clauses(params: SearchParams) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = [{"term": {"status": LISTED}}]
    if params.city:
        # The field's normalizer folds the term too: "berlin" matches "Berlin".
        filters.append({"term": {"city.normalized": params.city}})
    if params.property_type:
        filters.append({"term": {"property_type": params.property_type}})
    rent: dict[str, int] = {}
    if params.min_rent_minor is not None:
        rent["gte"] = params.min_rent_minor
    if params.max_rent_minor is not None:
        rent["lte"] = params.max_rent_minor
    if rent:
        filters.append({"range": {"monthly_rent_minor": rent}})
    if params.min_bedrooms is not None:
        filters.append({"range": {"bedrooms": {"gte": params.min_bedrooms}}})
    for amenity in params.amenities:
        filters.append({"term": {"amenities": amenity}})  # normalized by the field
    if params.geo is not None:
        filters.append(
            {
                "geo_distance": {
                    "distance": f"{params.geo.radius_km}km",
                    "location": {"lat": params.geo.lat, "lon": params.geo.lng},
                }
            }
        )
    if params.available_from is not None:
        # Available by the date asked for, or with no date (available now).
        filters.append(
            {
                "bool": {
                    "should": [
                        {"range": {"available_from": {"lte": params.available_from.isoformat()}}},
                        {"bool": {"must_not": {"exists": {"field": "available_from"}}}},
                    ],
                    "minimum_should_match": 1,
                }
            }
        )
    return filters


def facet_aggregations() -> dict[str, Any]:
    aggs: dict[str, Any] = {}
    order = [{"_count": "desc"}, {"_key": "asc"}]
    for name, (field, display_field, size) in FACETS.items():
        agg: dict[str, Any] = {"terms": {"field": field, "size": size, "order": order}}
        if display_field is not None:
            # Counted case-insensitively, shown in the most common spelling.
            agg["aggs"] = {
                "display": {"terms": {"field": display_field, "size": 1, "order": order}}
            }
        aggs[name] = agg
    return aggs


def build_search_body(params: SearchParams) -> dict[str, Any]:
    """The engine request of one search: query, sort, page, facets."""
    query: dict[str, Any] = {"filter": filter_clauses(params)}
    text = full_text_clause(params.q)
    if text is not None:
        query["must"] = [text]
        phrase = phrase_boost_clause(params.q)
        if phrase is not None:
            query["should"] = [phrase]
    return {
        "query": {"bool": query},
        "sort": SORT_CLAUSES[params.sort],
        "from": params.offset,
        "size": params.page_size,
        "track_total_hits": True,
        "_source": list(RESULT_SOURCE_FIELDS),
        "aggs": facet_aggregations(),
    }


def _facet_values(name: str, aggregation: Mapping[str, Any]) -> list[FacetValue]:
    values = []
    for bucket in aggregation.get("buckets", []):
        display = (bucket.get("display") or {}).get("buckets") or []
        value = display[0]["key"] if display else bucket["key"]
        if name == "bedrooms":
            value = int(value)
        values.append(FacetValue(value=value, count=int(bucket["doc_count"])))
    return sorted(values, key=lambda facet: (-facet.count, facet.value))


def parse_search_response(answer: Mapping[str, Any]) -> SearchPage:
    hits = answer["hits"]
    total = hits["total"]
    count = total["value"] if isinstance(total, Mapping) else int(total)
    aggregations = answer.get("aggregations") or {}
    return SearchPage(
        count=count,
        results=[search_result(hit["_source"]) for hit in hits["hits"]],
        facets={name: _facet_values(name, aggregations.get(name) or {}) for name in FACETS},
    )
