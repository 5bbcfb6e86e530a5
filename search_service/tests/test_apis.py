"""GET /api/search/properties against the real engine: every parameter, sort,
page and facet, typo tolerance, invalid parameters and an engine outage.

The catalogue below is indexed once for the module (read-only tests).
"""

from __future__ import annotations

import math
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from rentezy_platform.testing import wait_until
from search.documents import property_document
from search.engine import IndexOperation, get_engine
from search.index import delete_indices, ensure_index
from search.services import property_document_apply

from tests.conftest import (
    BASE_TIME,
    index_properties,
    next_version,
    property_data,
    search,
    signed_get,
    unique_alias,
)

# Page links start with the public origin (the gateway), never the Host called.
PUBLIC = "https://rentezy.test"


@pytest.fixture(autouse=True)
def _public_base_url(settings):
    settings.PUBLIC_BASE_URL = PUBLIC


CENTRE = (52.52, 13.405)
EARTH_RADIUS_KM = 6371.0088  # the engine's mean Earth radius


def north_of_centre(km: float) -> tuple[float, float]:
    return (CENTRE[0] + math.degrees(km / EARTH_RADIUS_KM), CENTRE[1])


def at(hours: int):
    return BASE_TIME + timedelta(hours=hours)


A = property_data(
    title="Sunny apartment in Mitte",
    description="Top floor, lots of light.",
    city="Berlin",
    property_type="apartment",
    monthly_rent_minor=145000,
    bedrooms=2,
    amenities=["parking", "balcony"],
    available_from="2026-02-01",
    latitude=north_of_centre(3)[0],
    longitude=CENTRE[1],
    thumbnail_url="https://img.rentezy.dev/a.jpg",
    created_at=at(1),
)
B = property_data(
    title="Spacious family house",
    description="Big garden for the kids.",
    city="Berlin",
    property_type="house",
    monthly_rent_minor=280000,
    bedrooms=4,
    bathrooms=2.5,
    amenities=["parking", "garden"],
    available_from=None,
    latitude=north_of_centre(30)[0],
    longitude=CENTRE[1],
    created_at=at(2),
)
C = property_data(
    title="Cozy studio close to university",
    description="Compact, with a kitchenette.",
    city="berlin",
    property_type="studio",
    monthly_rent_minor=85050,
    bedrooms=0,
    amenities=["wifi"],
    available_from="2026-04-01",
    latitude=None,
    longitude=None,
    created_at=at(3),
)
D = property_data(
    title="Modern apartment with river view",
    description="Elevator and concierge.",
    city="Hamburg",
    property_type="apartment",
    monthly_rent_minor=190000,
    bedrooms=3,
    amenities=["balcony", "wifi", "Parking"],
    available_from="2026-01-15",
    latitude=53.55,
    longitude=9.99,
    currency="EUR",
    created_at=at(4),
)
E = property_data(
    title="Room in shared flat",
    description="Friendly flatmates, an apartment near the Isar.",
    city="München",
    property_type="room",
    monthly_rent_minor=65000,
    bedrooms=1,
    amenities=[],
    available_from="2026-03-01",
    latitude=48.137,
    longitude=11.575,
    created_at=at(5),
)
DRAFT = property_data(title="Draft apartment in Berlin", status="draft", created_at=at(6))
ARCHIVED = property_data(title="Archived apartment in Berlin", created_at=at(7))
NAMES = {d["property_id"]: name for name, d in zip("ABCDE", [A, B, C, D, E], strict=True)}


@pytest.fixture(scope="module", autouse=True)
def catalogue():
    alias = unique_alias()
    with override_settings(SEARCH_INDEX_ALIAS=alias):
        ensure_index(alias)
        index_properties(A, B, C, D, E, DRAFT, ARCHIVED, next_version(ARCHIVED, status="archived"))
        yield alias
        delete_indices(alias)


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [NAMES[result["id"]] for result in response.json()["results"]]


def test_the_whole_response(client):
    response = search(client, q="family")
    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": B["property_id"],
                "title": "Spacious family house",
                "city": "Berlin",
                "monthly_rent": "2800.00",
                "currency": "USD",
                "bedrooms": 4,
                "bathrooms": 2.5,
                "property_type": "house",
                "amenities": ["parking", "garden"],
                "thumbnail_url": None,
                "available_from": None,
                "latitude": pytest.approx(north_of_centre(30)[0]),
                "longitude": CENTRE[1],
            }
        ],
        "facets": {
            "city": [{"value": "Berlin", "count": 1}],
            "property_type": [{"value": "house", "count": 1}],
            "bedrooms": [{"value": 4, "count": 1}],
            "amenities": [{"value": "garden", "count": 1}, {"value": "parking", "count": 1}],
        },
    }


def test_no_parameters_lists_every_listed_property_newest_first(client):
    response = search(client)
    assert names(response) == ["E", "D", "C", "B", "A"]
    assert response.json()["count"] == 5


def test_facets_count_every_match(client):
    assert search(client).json()["facets"] == {
        # "Berlin" twice and "berlin" once: one value, in its common spelling.
        "city": [
            {"value": "Berlin", "count": 3},
            {"value": "Hamburg", "count": 1},
            {"value": "München", "count": 1},
        ],
        "property_type": [
            {"value": "apartment", "count": 2},
            {"value": "house", "count": 1},
            {"value": "room", "count": 1},
            {"value": "studio", "count": 1},
        ],
        "bedrooms": [{"value": n, "count": 1} for n in range(5)],
        "amenities": [
            {"value": "parking", "count": 3},
            {"value": "balcony", "count": 2},
            {"value": "wifi", "count": 2},
            {"value": "garden", "count": 1},
        ],
    }


def test_facets_follow_the_filters(client):
    facets = search(client, city="berlin").json()["facets"]
    assert facets["city"] == [{"value": "Berlin", "count": 3}]
    assert facets["bedrooms"] == [
        {"value": 0, "count": 1},
        {"value": 2, "count": 1},
        {"value": 4, "count": 1},
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"city": "berlin"}, ["C", "B", "A"]),
        ({"city": "BERLIN"}, ["C", "B", "A"]),
        ({"city": "munchen"}, ["E"]),
        ({"city": "Paris"}, []),
        ({"property_type": "studio"}, ["C"]),
        ({"property_type": "apartment"}, ["D", "A"]),
        ({"min_rent": "1450"}, ["D", "B", "A"]),
        ({"min_rent": "1450.01"}, ["D", "B"]),
        ({"max_rent": "850.50"}, ["E", "C"]),
        ({"max_rent": "850.5"}, ["E", "C"]),
        ({"max_rent": "850.49"}, ["E"]),
        ({"min_rent": "850.50", "max_rent": "1900.00"}, ["D", "C", "A"]),
        ({"min_bedrooms": "3"}, ["D", "B"]),
        ({"min_bedrooms": "0"}, ["E", "D", "C", "B", "A"]),
        ({"amenities": "parking"}, ["D", "B", "A"]),
        ({"amenities": "PARKING, balcony"}, ["D", "A"]),
        ({"amenities": "parking,garden,wifi"}, []),
        ({"available_from": "2026-02-01"}, ["D", "B", "A"]),
        ({"available_from": "2025-12-31"}, ["B"]),
        ({"city": "berlin", "min_bedrooms": "1", "amenities": "parking"}, ["B", "A"]),
    ],
)
def test_filters(client, params, expected):
    assert names(search(client, **params)) == expected


@pytest.mark.parametrize(
    ("radius_km", "expected"),
    [
        ("2.9", []),
        ("3.1", ["A"]),
        ("5", ["A"]),
        ("29.9", ["A"]),
        ("30.1", ["B", "A"]),
        ("500", ["D", "B", "A"]),
    ],
)
def test_geo_radius(client, radius_km, expected):
    lat, lng = CENTRE
    assert names(search(client, lat=lat, lng=lng, radius_km=radius_km)) == expected


def test_geo_radius_reaches_other_cities(client):
    # Hamburg is about 255 km from the centre, München about 505 km.
    assert names(search(client, lat=CENTRE[0], lng=CENTRE[1], radius_km=250)) == ["B", "A"]
    assert names(search(client, lat=CENTRE[0], lng=CENTRE[1], radius_km=260)) == ["D", "B", "A"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_asc", ["E", "C", "A", "D", "B"]),
        ("price_desc", ["B", "D", "A", "C", "E"]),
        ("newest", ["E", "D", "C", "B", "A"]),
        ("relevance", ["E", "D", "C", "B", "A"]),  # no q: every score ties
    ],
)
def test_sort_orders(client, sort, expected):
    assert names(search(client, sort=sort)) == expected


def test_full_text_over_title_description_city_and_amenities(client):
    assert names(search(client, q="family")) == ["B"]  # title
    assert names(search(client, q="kitchenette")) == ["C"]  # description
    assert names(search(client, q="hamburg")) == ["D"]  # city
    assert names(search(client, q="garden")) == ["B"]  # amenity and description
    assert names(search(client, q="concierge elevator")) == ["D"]


def test_every_word_must_match_somewhere(client):
    assert names(search(client, q="apartment berlin")) == ["A"]
    assert names(search(client, q="apartment in Berlin")) == ["A"]  # a stop word
    assert names(search(client, q="apartment paris")) == []


def test_typos_are_tolerated(client):
    found = names(search(client, q="apartmnet"))
    # Title matches rank above a description match.
    assert sorted(found[:2]) == ["A", "D"] and found[2:] == ["E"]
    assert names(search(client, q="famly hous")) == ["B"]
    assert names(search(client, q="Hamburgh")) == ["D"]


def test_stemming(client):
    assert names(search(client, q="apartments", sort="price_asc")) == ["E", "A", "D"]
    assert names(search(client, q="rooms")) == ["E"]


def test_a_phrase_ranks_first(client):
    assert names(search(client, q="river view"))[0] == "D"


def test_full_text_with_filters_and_sort(client):
    assert names(search(client, q="apartment", sort="price_desc")) == ["D", "A", "E"]
    assert names(search(client, q="apartment", city="hamburg")) == ["D"]


def test_drafts_and_archived_properties_never_appear(client):
    assert names(search(client, q="draft")) == []
    assert names(search(client, q="archived")) == []


def test_pages(client):
    first = search(client, sort="price_asc", page_size=2)
    assert names(first) == ["E", "C"]
    body = first.json()
    assert body["count"] == 5
    assert body["previous"] is None
    assert body["next"] == f"{PUBLIC}/api/search/properties?page=2&page_size=2&sort=price_asc"
    second = search(client, sort="price_asc", page_size=2, page=2)
    assert names(second) == ["A", "D"]
    assert second.json()["previous"] == f"{PUBLIC}/api/search/properties?page_size=2&sort=price_asc"
    third = search(client, sort="price_asc", page_size=2, page=3)
    assert names(third) == ["B"]
    assert third.json()["next"] is None
    assert (
        third.json()["previous"]
        == f"{PUBLIC}/api/search/properties?page=2&page_size=2&sort=price_asc"
    )


def test_a_page_past_the_end_is_empty(client):
    response = search(client, page=4, page_size=2)
    assert response.status_code == 200
    assert (response.json()["count"], response.json()["results"]) == (5, [])
    # The last page the engine can serve is still a 200.
    assert search(client, page=500, page_size=20).json()["results"] == []


def test_empty_parameters_are_ignored(client):
    assert names(search(client, q="", city="", sort="", page="", amenities=" ")) == [
        "E",
        "D",
        "C",
        "B",
        "A",
    ]


def field_errors(response) -> dict:
    assert response.status_code == 400, response.json()
    body = response.json()
    assert (body["code"], body["message"]) == ("invalid", "Invalid input.")
    return body["fields"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_rent": "-5"}, "min_rent"),
        ({"min_rent": "abc"}, "min_rent"),
        ({"min_rent": "1500.123"}, "min_rent"),
        ({"min_rent": "1e3"}, "min_rent"),
        ({"min_rent": "1,500"}, "min_rent"),
        ({"min_rent": "١٥٠٠"}, "min_rent"),  # digits, but not ASCII ones
        ({"min_rent": ".5"}, "min_rent"),
        ({"max_rent": "12345678901"}, "max_rent"),
        ({"max_rent": "NaN"}, "max_rent"),
        ({"min_bedrooms": "-1"}, "min_bedrooms"),
        ({"min_bedrooms": "two"}, "min_bedrooms"),
        ({"min_bedrooms": "101"}, "min_bedrooms"),
        ({"lat": "91", "lng": "0", "radius_km": "1"}, "lat"),
        ({"lat": "nan", "lng": "0", "radius_km": "1"}, "lat"),
        ({"lat": "0", "lng": "-180.5", "radius_km": "1"}, "lng"),
        ({"lat": "0", "lng": "0", "radius_km": "0"}, "radius_km"),
        ({"lat": "0", "lng": "0", "radius_km": "-1"}, "radius_km"),
        ({"lat": "0", "lng": "0", "radius_km": "500.1"}, "radius_km"),
        ({"lat": "0", "lng": "0", "radius_km": "inf"}, "radius_km"),
        ({"available_from": "2026-13-01"}, "available_from"),
        ({"available_from": "01/02/2026"}, "available_from"),
        ({"available_from": "2026-02-01T10:00:00"}, "available_from"),
        ({"sort": "cheapest"}, "sort"),
        ({"property_type": "castle"}, "property_type"),
        ({"page": "0"}, "page"),
        ({"page": "x"}, "page"),
        ({"page": "501", "page_size": "20"}, "page"),
        ({"page": "99999999999999999999"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "-3"}, "page_size"),
        ({"q": "x" * 201}, "q"),
        ({"city": "x" * 101}, "city"),
        ({"amenities": ",".join(f"a{n}" for n in range(21))}, "amenities"),
        ({"amenities": "x" * 65}, "amenities"),
    ],
)
def test_invalid_parameters(client, params, field):
    assert list(field_errors(search(client, **params))) == [field]


def test_invalid_parameter_messages(client):
    assert field_errors(search(client, sort="cheapest")) == {
        "sort": ['"cheapest" is not a valid choice.']
    }
    assert field_errors(search(client, min_rent="-5")) == {
        "min_rent": [
            "Enter an amount such as 1500 or 1500.00 (at most two decimals, not negative)."
        ]
    }
    assert field_errors(search(client, min_rent="2000", max_rent="1999.99")) == {
        "max_rent": ["Must not be less than min_rent."]
    }
    assert field_errors(search(client, page=501)) == {
        "page": ["Only the first 10000 results can be paged through; narrow the search."]
    }


def test_geo_parameters_come_together(client):
    assert field_errors(search(client, lat="52.5", lng="13.4")) == {
        "radius_km": ["Required with lat and lng."]
    }
    assert field_errors(search(client, radius_km="5")) == {
        "lat": ["Required with radius_km."],
        "lng": ["Required with radius_km."],
    }


def test_unsigned_requests_are_refused(client):
    response = client.get("/api/search/properties")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_engine_down_is_503(client, closed_engine):
    response = search(client, q="apartment")
    assert response.status_code == 503
    assert response.json() == {
        "code": "search_unavailable",
        "message": "Search is temporarily unavailable; please try again shortly.",
    }


def test_openapi_schema(client):
    schema = signed_get(client, "/api/schema/?format=json").json()
    operation = schema["paths"]["/api/search/properties"]["get"]
    assert operation["tags"] == ["search"]
    assert sorted(p["name"] for p in operation["parameters"]) == [
        "amenities",
        "available_from",
        "city",
        "lat",
        "lng",
        "max_rent",
        "min_bedrooms",
        "min_rent",
        "page",
        "page_size",
        "property_type",
        "q",
        "radius_km",
        "sort",
    ]
    assert {p["in"] for p in operation["parameters"]} == {"query"}
    assert set(operation["responses"]) == {"200", "400", "503"}


def test_openapi_facet_values_have_the_type_of_their_field(client):
    schema = signed_get(client, "/api/schema/?format=json").json()
    components = schema["components"]["schemas"]

    def facet_value(name):
        ref = components["Facets"]["properties"][name]["items"]["$ref"]
        return components[ref.rsplit("/", 1)[1]]["properties"]["value"]

    # bedrooms is an integer in the results and in its facet (the API answers 4, not "4").
    assert facet_value("bedrooms") == {"type": "integer", "minimum": 0}
    assert components["SearchResult"]["properties"]["bedrooms"]["type"] == "integer"
    assert facet_value("city") == {"type": "string"}
    assert facet_value("amenities") == {"type": "string"}
    assert facet_value("property_type") == {"$ref": "#/components/schemas/PropertyTypeEnum"}


@pytest.fixture
def hundred_and_five(settings):
    alias = unique_alias()
    settings.SEARCH_INDEX_ALIAS = alias
    ensure_index(alias)
    rows = [property_data(monthly_rent_minor=100000 + 100 * n) for n in range(105)]
    get_engine().bulk_index(
        [IndexOperation(alias, r["property_id"], property_document(r), 1) for r in rows],
        refresh=True,
    )
    yield rows
    delete_indices(alias)


def test_page_size_is_capped_at_100(client, hundred_and_five):
    response = search(client, page_size=1000, sort="price_asc")
    body = response.json()
    assert (response.status_code, body["count"], len(body["results"])) == (200, 105, 100)
    assert body["results"][-1]["monthly_rent"] == "1099.00"
    assert body["next"] == f"{PUBLIC}/api/search/properties?page=2&page_size=1000&sort=price_asc"
    second = search(client, page_size=1000, sort="price_asc", page=2).json()
    assert [r["monthly_rent"] for r in second["results"]] == [f"{1100 + n}.00" for n in range(5)]
    assert len(search(client).json()["results"]) == 20  # the default


def test_a_change_is_searchable_within_two_seconds(client, search_alias):
    """API.md: no explicit refresh, only the index's refresh interval."""
    data = property_data(title="Penthouse")

    def found() -> list[str]:
        return [result["id"] for result in search(client, q="penthouse").json()["results"]]

    property_document_apply(data=data)
    started = time.monotonic()
    wait_until(lambda: found() == [data["property_id"]], timeout=2.0, interval=0.05)
    property_document_apply(data=next_version(data, status="archived"))
    wait_until(lambda: found() == [], timeout=2.0, interval=0.05)
    assert time.monotonic() - started < 4.0


def test_a_missing_index_is_created_empty(client, settings):
    alias = unique_alias()
    settings.SEARCH_INDEX_ALIAS = alias
    try:
        response = search(client)
        assert (response.status_code, response.json()["count"]) == (200, 0)
        assert get_engine().alias_indices(alias) == [f"{alias}-initial"]
    finally:
        delete_indices(alias)
