"""search/query.py: the engine request built from parameters, and the page
parsed from the engine's answer. Pure: no engine."""

from __future__ import annotations

from datetime import date

from search.query import (
    GeoFilter,
    SearchParams,
    build_search_body,
    facet_aggregations,
    parse_search_response,
    query_words,
)

LISTED_ONLY = {"term": {"status": "listed"}}
TIEBREAK = [{"created_at": {"order": "desc"}}, {"id": {"order": "asc"}}]
SOURCE = [
    "id",
    "title",
    "city",
    "monthly_rent_minor",
    "currency",
    "bedrooms",
    "bathrooms",
    "property_type",
    "amenities",
    "thumbnail_url",
    "available_from",
    "location",
]


def word_clause(word: str) -> dict:
    return {
        "dis_max": {
            "queries": [
                {
                    "multi_match": {
                        "query": word,
                        "fields": ["title^3", "city.text^2", "amenities.text", "description"],
                        "type": "best_fields",
                        "zero_terms_query": "all",
                    }
                },
                {
                    "multi_match": {
                        "query": word,
                        "fields": [
                            "title.plain^3",
                            "city.plain^2",
                            "amenities.plain",
                            "description.plain",
                        ],
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


def test_no_parameters_match_every_listed_property_newest_first():
    assert build_search_body(SearchParams()) == {
        "query": {"bool": {"filter": [LISTED_ONLY]}},
        "sort": ["_score", *TIEBREAK],
        "from": 0,
        "size": 20,
        "track_total_hits": True,
        "_source": SOURCE,
        "aggs": facet_aggregations(),
    }


def test_every_filter():
    params = SearchParams(
        city="berlin",
        property_type="house",
        min_rent_minor=100000,
        max_rent_minor=250050,
        min_bedrooms=2,
        amenities=("parking", "Balcony"),
        geo=GeoFilter(lat=52.52, lng=13.405, radius_km=5.5),
        available_from=date(2026, 3, 1),
    )
    assert build_search_body(params)["query"] == {
        "bool": {
            "filter": [
                LISTED_ONLY,
                {"term": {"city.normalized": "berlin"}},
                {"term": {"property_type": "house"}},
                {"range": {"monthly_rent_minor": {"gte": 100000, "lte": 250050}}},
                {"range": {"bedrooms": {"gte": 2}}},
                {"term": {"amenities": "parking"}},
                {"term": {"amenities": "Balcony"}},
                {
                    "geo_distance": {
                        "distance": "5.5km",
                        "location": {"lat": 52.52, "lon": 13.405},
                    }
                },
                {
                    "bool": {
                        "should": [
                            {"range": {"available_from": {"lte": "2026-03-01"}}},
                            {"bool": {"must_not": {"exists": {"field": "available_from"}}}},
                        ],
                        "minimum_should_match": 1,
                    }
                },
            ]
        }
    }


def test_one_sided_rent_range():
    assert build_search_body(SearchParams(max_rent_minor=0))["query"]["bool"]["filter"] == [
        LISTED_ONLY,
        {"range": {"monthly_rent_minor": {"lte": 0}}},
    ]


def test_full_text_matches_word_by_word_with_a_phrase_boost():
    body = build_search_body(SearchParams(q="Sunny  apartment, sunny Berlin!"))
    assert body["query"] == {
        "bool": {
            "filter": [LISTED_ONLY],
            "must": [
                {
                    "bool": {
                        "should": [
                            word_clause("sunny"),
                            word_clause("apartment"),
                            word_clause("berlin"),
                        ],
                        "minimum_should_match": "4<75%",
                    }
                }
            ],
            "should": [
                {
                    "multi_match": {
                        "query": "Sunny  apartment, sunny Berlin!",
                        "fields": ["title^3", "description"],
                        "type": "phrase",
                        "slop": 2,
                        "boost": 2,
                    }
                }
            ],
        }
    }


def test_a_single_word_has_no_phrase_clause():
    query = build_search_body(SearchParams(q="loft"))["query"]["bool"]
    assert query["must"] == [
        {"bool": {"should": [word_clause("loft")], "minimum_should_match": "4<75%"}}
    ]
    assert "should" not in query


def test_punctuation_only_is_no_full_text():
    assert build_search_body(SearchParams(q="?! --"))["query"] == {
        "bool": {"filter": [LISTED_ONLY]}
    }


def test_query_words_are_distinct_lowercase_and_bounded():
    assert query_words("Zürich ZÜRICH 2-bed") == ["zürich", "2", "bed"]
    assert query_words(" ".join(f"w{i}" for i in range(20))) == [f"w{i}" for i in range(12)]


def test_sorts_end_with_newest_then_id():
    def sort(name):
        return build_search_body(SearchParams(sort=name))["sort"]

    assert sort("relevance") == ["_score", *TIEBREAK]
    assert sort("price_asc") == [{"monthly_rent_minor": {"order": "asc"}}, *TIEBREAK]
    assert sort("price_desc") == [{"monthly_rent_minor": {"order": "desc"}}, *TIEBREAK]
    assert sort("newest") == TIEBREAK


def test_page_and_size():
    body = build_search_body(SearchParams(page=3, page_size=25))
    assert (body["from"], body["size"]) == (50, 25)


def test_facets_count_case_insensitively_and_show_cities_in_their_common_spelling():
    order = [{"_count": "desc"}, {"_key": "asc"}]
    assert facet_aggregations() == {
        "city": {
            "terms": {"field": "city.normalized", "size": 50, "order": order},
            "aggs": {"display": {"terms": {"field": "city", "size": 1, "order": order}}},
        },
        "property_type": {"terms": {"field": "property_type", "size": 6, "order": order}},
        "bedrooms": {"terms": {"field": "bedrooms", "size": 50, "order": order}},
        "amenities": {"terms": {"field": "amenities", "size": 50, "order": order}},
    }


def test_parse_search_response():
    source = {
        "id": "5b0c9a57-4c2f-4a55-9a55-3f1f0e0f7c11",
        "title": "Loft",
        "city": "Berlin",
        "monthly_rent_minor": 145005,
        "currency": "EUR",
        "bedrooms": 1,
        "bathrooms": 1.5,
        "property_type": "apartment",
        "amenities": ["wifi"],
        "thumbnail_url": "https://img.example/1.jpg",
        "available_from": "2026-02-01",
        "location": {"lat": 52.5, "lon": 13.4},
    }
    answer = {
        "hits": {"total": {"value": 7, "relation": "eq"}, "hits": [{"_source": source}]},
        "aggregations": {
            "city": {
                "buckets": [
                    {
                        "key": "munchen",
                        "doc_count": 2,
                        "display": {"buckets": [{"key": "München"}]},
                    },
                    {"key": "berlin", "doc_count": 5, "display": {"buckets": [{"key": "Berlin"}]}},
                ]
            },
            "property_type": {"buckets": [{"key": "house", "doc_count": 3}]},
            "bedrooms": {"buckets": [{"key": 3, "doc_count": 2}, {"key": 1, "doc_count": 2}]},
            "amenities": {"buckets": []},
        },
    }
    page = parse_search_response(answer)
    assert page.count == 7
    assert page.results == [
        {
            "id": "5b0c9a57-4c2f-4a55-9a55-3f1f0e0f7c11",
            "title": "Loft",
            "city": "Berlin",
            "monthly_rent": "1450.05",
            "currency": "EUR",
            "bedrooms": 1,
            "bathrooms": 1.5,
            "property_type": "apartment",
            "amenities": ["wifi"],
            "thumbnail_url": "https://img.example/1.jpg",
            "available_from": "2026-02-01",
            "latitude": 52.5,
            "longitude": 13.4,
        }
    ]
    assert {name: [(f.value, f.count) for f in values] for name, values in page.facets.items()} == {
        "city": [("Berlin", 5), ("München", 2)],
        "property_type": [("house", 3)],
        "bedrooms": [(1, 2), (3, 2)],
        "amenities": [],
    }
