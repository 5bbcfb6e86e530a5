"""The Properties routes of API.md, called the way the gateway calls them."""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from properties.models import Amenity, Property
from rentezy_platform.events import validate_event
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.testing import outbox_events

from tests.conftest import (
    PUBLIC_BASE_URL,
    image_bytes,
    make_property,
    property_body,
    upload_file,
)

pytestmark = pytest.mark.django_db

LIST = "/api/properties"
CREATED = "rentezy.property.created.v1"
UPDATED = "rentezy.property.updated.v1"
ARCHIVED = "rentezy.property.archived.v1"


def detail(property_id) -> str:
    return f"/api/properties/{property_id}"


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- POST /api/properties -----------------------------------------------------------


def test_a_landlord_lists_a_property(gateway, landlord):
    response = gateway.post(LIST, property_body(), as_=landlord)

    assert response.status_code == 201, response.json()
    property = Property.objects.get()
    assert response.json() == {
        "id": str(property.id),
        "owner_id": landlord.user_id,
        "title": "Sunny 2-bedroom apartment in Park Slope",
        "description": "Bright corner unit with a renovated kitchen.",
        "property_type": "apartment",
        "address_line1": "123 7th Ave",
        "city": "New York",
        "state": "NY",
        "postal_code": "11215",
        "country": "US",
        "latitude": 40.6712,
        "longitude": -73.9772,
        "bedrooms": 2,
        "bathrooms": 1.5,
        "area_sqft": 950,
        "monthly_rent": "3450.00",
        "deposit": "3450.00",
        "currency": "USD",
        "amenities": ["balcony", "heating", "washer"],
        "available_from": "2026-09-01",
        "status": "listed",
        "version": 1,
        "thumbnail_url": None,
        "images": [],
        "created_at": _iso(property.created_at),
        "updated_at": _iso(property.updated_at),
    }
    assert (property.monthly_rent_minor, property.deposit_minor) == (345000, 345000)
    [event] = outbox_events()
    validate_event(event)
    assert (event.type, event.subject, event.data["owner_id"]) == (
        CREATED,
        str(property.id),
        landlord.user_id,
    )


def test_a_minimal_property_gets_the_defaults(gateway, landlord):
    body = {
        name: property_body()[name]
        for name in (
            "title",
            "property_type",
            "address_line1",
            "city",
            "country",
            "bedrooms",
            "bathrooms",
            "monthly_rent",
        )
    }
    response = gateway.post(LIST, body, as_=landlord)
    assert response.status_code == 201, response.json()
    got = response.json()
    assert {
        name: got[name]
        for name in (
            "description",
            "state",
            "postal_code",
            "latitude",
            "longitude",
            "area_sqft",
            "deposit",
            "currency",
            "amenities",
            "available_from",
            "status",
        )
    } == {
        "description": "",
        "state": "",
        "postal_code": "",
        "latitude": None,
        "longitude": None,
        "area_sqft": None,
        "deposit": "0.00",
        "currency": "USD",
        "amenities": [],
        "available_from": None,
        "status": "draft",
    }


def test_values_are_normalised(gateway, landlord):
    body = property_body(
        country="gb",
        currency="gbp",
        monthly_rent=1450,
        deposit=0,
        latitude=51.50735091,
        longitude="-0.12775829",
        bathrooms="2",
        amenities=["wifi", "balcony", "wifi"],
        title="  Flat in Islington  ",
    )
    response = gateway.post(LIST, body, as_=landlord)
    assert response.status_code == 201, response.json()
    got = response.json()
    assert (got["country"], got["currency"], got["monthly_rent"], got["deposit"]) == (
        "GB",
        "GBP",
        "1450.00",
        "0.00",
    )
    assert (got["latitude"], got["longitude"], got["bathrooms"]) == (51.507351, -0.127758, 2.0)
    assert got["amenities"] == ["balcony", "wifi"]
    assert got["title"] == "Flat in Islington"


def test_a_tenant_may_not_list_a_property(gateway, tenant):
    response = gateway.post(LIST, property_body(), as_=tenant)
    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": "Only landlords can list properties.",
    }
    assert Property.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_an_anonymous_caller_may_not_list_a_property(gateway):
    response = gateway.post(LIST, property_body())
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert Property.objects.count() == 0


def test_unsigned_requests_never_reach_a_view(client, landlord):
    response = client.post(LIST, property_body(), content_type="application/json")
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "Missing gateway signature."}
    assert Property.objects.count() == 0


REQUIRED = [
    "title",
    "property_type",
    "address_line1",
    "city",
    "country",
    "bedrooms",
    "bathrooms",
    "monthly_rent",
]


def test_every_required_field_is_reported_missing(gateway, landlord):
    response = gateway.post(LIST, {}, as_=landlord)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"] == {name: ["This field is required."] for name in REQUIRED}


@pytest.mark.parametrize("name", REQUIRED)
def test_each_required_field_is_required(gateway, landlord, name):
    body = property_body()
    del body[name]
    response = gateway.post(LIST, body, as_=landlord)
    assert response.status_code == 400
    assert response.json()["fields"] == {name: ["This field is required."]}


ALLOWED_AMENITIES = ", ".join(Amenity.values)

INVALID_VALUES = [
    # title
    ("title", "", "This field may not be blank."),
    ("title", "   ", "This field may not be blank."),
    ("title", "t" * 201, "Ensure this field has no more than 200 characters."),
    ("title", 5, "Not a valid string."),
    ("title", None, "This field may not be null."),
    ("description", "d" * 5001, "Ensure this field has no more than 5000 characters."),
    ("description", ["a"], "Not a valid string."),
    # enums
    ("property_type", "castle", '"castle" is not a valid choice.'),
    ("property_type", 1, '"1" is not a valid choice.'),
    (
        "status",
        "archived",
        '"archived" is not a valid status: use draft, listed or rented (DELETE archives a property).',
    ),
    (
        "status",
        "sold",
        '"sold" is not a valid status: use draft, listed or rented (DELETE archives a property).',
    ),
    # address
    ("address_line1", "a" * 201, "Ensure this field has no more than 200 characters."),
    ("city", "", "This field may not be blank."),
    ("city", "c" * 101, "Ensure this field has no more than 100 characters."),
    ("state", "s" * 101, "Ensure this field has no more than 100 characters."),
    ("postal_code", "p" * 21, "Ensure this field has no more than 20 characters."),
    ("postal_code", 11215, "Not a valid string."),
    ("country", "XX", 'Use an ISO 3166-1 alpha-2 country code such as "US".'),
    ("country", "USA", 'Use an ISO 3166-1 alpha-2 country code such as "US".'),
    ("country", "U1", 'Use an ISO 3166-1 alpha-2 country code such as "US".'),
    ("country", 1, "Not a valid string."),
    # coordinates
    ("latitude", 90.5, "Must be between -90 and 90."),
    ("latitude", -91, "Must be between -90 and 90."),
    ("latitude", "north", "Enter a number of degrees."),
    ("latitude", True, "Enter a number of degrees."),
    ("longitude", 180.01, "Must be between -180 and 180."),
    ("longitude", "1e2", "Enter a number of degrees."),
    # counts
    ("bedrooms", -1, "Ensure this value is greater than or equal to 0."),
    ("bedrooms", 51, "Ensure this value is less than or equal to 50."),
    ("bedrooms", "2", "A valid integer is required."),
    ("bedrooms", 2.5, "A valid integer is required."),
    ("bedrooms", True, "A valid integer is required."),
    ("bathrooms", 1.25, "Use steps of 0.5 (1, 1.5, 2 ...)."),
    ("bathrooms", -0.5, "Must be between 0 and 50."),
    ("bathrooms", 50.5, "Must be between 0 and 50."),
    ("bathrooms", "lots", "Enter a number of bathrooms such as 1 or 1.5."),
    ("area_sqft", 0, "Ensure this value is greater than or equal to 1."),
    ("area_sqft", -10, "Ensure this value is greater than or equal to 1."),
    ("area_sqft", 1_000_001, "Ensure this value is less than or equal to 1000000."),
    ("area_sqft", 850.5, "A valid integer is required."),
    # money
    ("monthly_rent", "-5.00", "Must be greater than 0."),
    ("monthly_rent", "0.00", "Must be greater than 0."),
    ("monthly_rent", 0, "Must be greater than 0."),
    ("monthly_rent", "1450.005", "Use at most 2 decimal places."),
    ("monthly_rent", 1450.123, "Use at most 2 decimal places."),
    ("monthly_rent", "1000000.01", "Must be at most 1000000.00."),
    ("monthly_rent", 1e30, "Must be at most 1000000.00."),
    ("monthly_rent", "NaN", 'Enter an amount as a decimal string such as "1450.00".'),
    ("monthly_rent", "Infinity", 'Enter an amount as a decimal string such as "1450.00".'),
    ("monthly_rent", "1,450.00", 'Enter an amount as a decimal string such as "1450.00".'),
    ("monthly_rent", "1e3", 'Enter an amount as a decimal string such as "1450.00".'),
    ("monthly_rent", "cheap", 'Enter an amount as a decimal string such as "1450.00".'),
    ("monthly_rent", True, 'Enter an amount as a decimal string such as "1450.00".'),
    ("monthly_rent", {"amount": 1}, 'Enter an amount as a decimal string such as "1450.00".'),
    ("monthly_rent", None, "This field may not be null."),
    ("deposit", "-0.01", "Must be 0 or more."),
    ("deposit", "99.999", "Use at most 2 decimal places."),
    ("deposit", "2000000", "Must be at most 1000000.00."),
    (
        "currency",
        "XYZ",
        "Use a supported ISO 4217 currency: USD, EUR, GBP, CAD, AUD, NZD, CHF, SEK, NOK, DKK, "
        "PLN, CZK, MXN, BRL, ZAR, SGD, HKD, INR, AED.",
    ),
    (
        "currency",
        "JPY",
        "Use a supported ISO 4217 currency: USD, EUR, GBP, CAD, AUD, NZD, CHF, SEK, NOK, DKK, "
        "PLN, CZK, MXN, BRL, ZAR, SGD, HKD, INR, AED.",
    ),
    ("currency", 840, "Not a valid string."),
    # amenities
    ("amenities", ["wifi", "sauna"], f"Unknown amenities: sauna. Allowed: {ALLOWED_AMENITIES}."),
    ("amenities", "wifi", 'Expected a list of items but got type "str".'),
    # dates
    ("available_from", "2026-02-30", "Enter a date as YYYY-MM-DD."),
    ("available_from", "01/09/2026", "Enter a date as YYYY-MM-DD."),
    ("available_from", "2026-9-1", "Enter a date as YYYY-MM-DD."),
    ("available_from", "2026-09-01T00:00:00Z", "Enter a date as YYYY-MM-DD."),
    ("available_from", 20260901, "Enter a date as YYYY-MM-DD."),
    ("available_from", "1850-01-01", "Must be between 2000-01-01 and 2099-12-31."),
]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    INVALID_VALUES,
    ids=[f"{name}={value!r}"[:60] for name, value, _ in INVALID_VALUES],
)
def test_invalid_values_are_400_invalid_naming_the_field(gateway, landlord, name, value, message):
    response = gateway.post(LIST, property_body(**{name: value}), as_=landlord)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"] == {name: [message]}
    assert Property.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_amenities_must_be_strings(gateway, landlord):
    response = gateway.post(LIST, property_body(amenities=["wifi", 3]), as_=landlord)
    assert response.status_code == 400
    # List-item errors are flattened into dotted names (one shape for `fields`).
    assert response.json()["fields"] == {"amenities.1": ["Not a valid string."]}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"owner_id": str(uuid.uuid4())}, "This field cannot be set."),
        ({"id": str(uuid.uuid4())}, "This field cannot be set."),
        ({"version": 99}, "This field cannot be set."),
        ({"created_at": "2020-01-01T00:00:00Z"}, "This field cannot be set."),
        ({"monthy_rent": "1.00"}, "Unknown field."),
    ],
)
def test_fields_a_client_may_not_set_are_refused(gateway, landlord, extra, message):
    response = gateway.post(LIST, property_body(**extra), as_=landlord)
    assert response.status_code == 400
    assert response.json()["fields"] == {next(iter(extra)): [message]}
    assert Property.objects.count() == 0


def test_refused_fields_are_reported_with_the_other_errors(gateway, landlord):
    response = gateway.post(LIST, property_body(owner_id="x", bedrooms=-1), as_=landlord)
    assert response.status_code == 400
    assert sorted(response.json()["fields"]) == ["bedrooms", "owner_id"]


def test_one_coordinate_without_the_other_is_refused(gateway, landlord):
    body = property_body()
    del body["longitude"]
    response = gateway.post(LIST, body, as_=landlord)
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "longitude": ["Give both latitude and longitude, or neither."]
    }


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "parse_error"),
        ('{"title": NaN}', "parse_error"),
        ('{"monthly_rent": Infinity}', "parse_error"),
        ("[1, 2]", "invalid"),
        ('"a string"', "invalid"),
        ("null", "invalid"),
    ],
)
def test_malformed_bodies_are_400(gateway, landlord, raw, code):
    response = gateway.post(LIST, raw=raw, as_=landlord)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert Property.objects.count() == 0


def test_an_oversized_body_is_413_not_500(gateway, landlord):
    body = json.dumps(property_body(description="x" * 300_000))
    response = gateway.post(LIST, raw=body, as_=landlord)
    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "message": "The request body is too large.",
    }


# --- GET /api/properties ------------------------------------------------------------


def _aged(property, minutes: int):
    Property.objects.filter(pk=property.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )
    return property


def test_anyone_browses_the_listed_properties_newest_first(gateway, landlord, tenant):
    older = _aged(make_property(landlord, title="Older"), 10)
    newer = _aged(make_property(landlord, title="Newer"), 5)
    make_property(landlord, status="draft")
    make_property(landlord, status="rented")

    for caller in (None, tenant, landlord):
        response = gateway.get(LIST, as_=caller)
        assert response.status_code == 200
        body = response.json()
        assert (body["count"], body["next"], body["previous"]) == (2, None, None)
        assert [p["id"] for p in body["results"]] == [str(newer.id), str(older.id)]


def test_archived_properties_leave_the_listing(gateway, landlord):
    property = make_property(landlord)
    assert gateway.delete(detail(property.id), as_=landlord).status_code == 204
    assert gateway.get(LIST).json()["count"] == 0


def test_the_listing_is_paginated(gateway, landlord):
    made = [_aged(make_property(landlord), minutes) for minutes in range(5, 0, -1)]
    newest_first = [str(p.id) for p in reversed(made)]

    first = gateway.get(f"{LIST}?page_size=2").json()
    last = gateway.get(f"{LIST}?page=3&page_size=2").json()

    assert first["count"] == 5
    assert [p["id"] for p in first["results"]] == newest_first[:2]
    assert first["next"] == f"{PUBLIC_BASE_URL}/api/properties?page=2&page_size=2"
    assert [p["id"] for p in last["results"]] == newest_first[4:]
    assert last["next"] is None
    assert last["previous"] == f"{PUBLIC_BASE_URL}/api/properties?page=2&page_size=2"


POSITIVE = ["A positive integer is required."]
ONLY_ME = ['The only value is "me".']


def _invalid(**fields):
    return {"code": "invalid", "message": "Invalid input.", "fields": fields}


@pytest.mark.parametrize(
    ("query", "status", "body"),
    [
        ("page=0", 400, _invalid(page=POSITIVE)),
        ("page=abc", 400, _invalid(page=POSITIVE)),
        ("page_size=-1", 400, _invalid(page_size=POSITIVE)),
        ("page=9", 404, {"code": "not_found", "message": "Invalid page."}),
        ("owner=someone", 400, _invalid(owner=ONLY_ME)),
        ("owner=", 400, _invalid(owner=ONLY_ME)),
        ("owner=ME", 400, _invalid(owner=ONLY_ME)),
        ("owner=x&page=0", 400, _invalid(owner=ONLY_ME, page=POSITIVE)),
    ],
)
def test_bad_list_parameters(gateway, landlord, query, status, body):
    make_property(landlord)
    response = gateway.get(f"{LIST}?{query}", as_=landlord)
    assert response.status_code == status
    assert response.json() == body


def test_page_size_is_capped_at_100(gateway, landlord):
    make_property(landlord)
    assert gateway.get(f"{LIST}?page_size=1000").status_code == 200


def test_owner_me_lists_every_status_of_the_caller(gateway, landlord, other_landlord):
    listed = _aged(make_property(landlord), 4)
    draft = _aged(make_property(landlord, status="draft"), 3)
    rented = _aged(make_property(landlord, status="rented"), 2)
    archived = _aged(make_property(landlord), 1)
    gateway.delete(detail(archived.id), as_=landlord)
    make_property(other_landlord)

    response = gateway.get(f"{LIST}?owner=me", as_=landlord)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(p["id"], p["status"]) for p in results] == [
        (str(archived.id), "archived"),
        (str(rented.id), "rented"),
        (str(draft.id), "draft"),
        (str(listed.id), "listed"),
    ]


def test_owner_me_needs_a_landlord(gateway, tenant):
    anonymous = gateway.get(f"{LIST}?owner=me")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    as_tenant = gateway.get(f"{LIST}?owner=me", as_=tenant)
    assert as_tenant.status_code == 403
    assert as_tenant.json() == {"code": "forbidden", "message": "Only landlords own properties."}


def test_the_listing_takes_three_queries_whatever_the_images(
    gateway, landlord, django_assert_num_queries
):
    for index in range(4):
        property = make_property(landlord)
        for _ in range(index):
            gateway.upload(
                f"{detail(property.id)}/images",
                {"image": upload_file(image_bytes(size=(80, 60)))},
                as_=landlord,
            )
    # count, the page, the page's images.
    with django_assert_num_queries(3):
        response = gateway.get(LIST)
    assert sorted(len(p["images"]) for p in response.json()["results"]) == [0, 1, 2, 3]
    with django_assert_num_queries(3):
        gateway.get(f"{LIST}?owner=me", as_=landlord)


# --- GET /api/properties/{id} -------------------------------------------------------


@pytest.mark.parametrize("status", ["listed", "rented"])
def test_a_public_property_is_anyones(gateway, landlord, tenant, status):
    property = make_property(landlord, status=status)
    for caller in (None, tenant, landlord):
        response = gateway.get(detail(property.id), as_=caller)
        assert response.status_code == 200
        assert (response.json()["id"], response.json()["status"]) == (str(property.id), status)


def test_a_draft_is_its_owners_only(gateway, landlord, other_landlord, tenant):
    property = make_property(landlord, status="draft")
    assert gateway.get(detail(property.id), as_=landlord).status_code == 200
    for caller in (None, tenant, other_landlord):
        response = gateway.get(detail(property.id), as_=caller)
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Not found."}


def test_an_archived_property_is_its_owners_only(gateway, landlord, tenant):
    property = make_property(landlord)
    gateway.delete(detail(property.id), as_=landlord)
    owner_view = gateway.get(detail(property.id), as_=landlord)
    assert (owner_view.status_code, owner_view.json()["status"]) == (200, "archived")
    assert gateway.get(detail(property.id), as_=tenant).status_code == 404
    assert gateway.get(detail(property.id)).status_code == 404


@pytest.mark.parametrize(
    "property_id", [uuid.uuid4(), "not-a-uuid", "123", "0" * 32 + "z", "%20", "it's-1", ".."]
)
def test_unknown_or_malformed_ids_are_404(gateway, property_id):
    response = gateway.get(detail(property_id))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_upper_case_id_finds_the_property(gateway, landlord):
    property = make_property(landlord)
    assert gateway.get(detail(str(property.id).upper())).status_code == 200


def test_the_detail_takes_two_queries(gateway, landlord, django_assert_num_queries):
    property = make_property(landlord)
    with django_assert_num_queries(2):
        gateway.get(detail(property.id))


# --- PATCH /api/properties/{id} -----------------------------------------------------


def test_the_owner_changes_a_property(gateway, landlord):
    property = make_property(landlord)

    response = gateway.patch(
        detail(property.id),
        {"title": "Now furnished", "amenities": ["furnished"], "monthly_rent": "3600"},
        as_=landlord,
    )

    assert response.status_code == 200, response.json()
    got = response.json()
    assert (got["title"], got["amenities"], got["monthly_rent"], got["version"]) == (
        "Now furnished",
        ["furnished"],
        "3600.00",
        2,
    )
    stored = Property.objects.get()
    assert got["updated_at"] == _iso(stored.updated_at)
    [event] = outbox_events(type=UPDATED)
    validate_event(event)
    assert (event.subject, event.data["version"], event.data["monthly_rent_minor"]) == (
        str(property.id),
        2,
        360000,
    )


def test_a_patch_may_clear_optional_fields(gateway, landlord):
    property = make_property(landlord)
    response = gateway.patch(
        detail(property.id),
        {"latitude": None, "longitude": None, "area_sqft": None, "available_from": None},
        as_=landlord,
    )
    assert response.status_code == 200
    got = response.json()
    assert (got["latitude"], got["longitude"], got["area_sqft"], got["available_from"]) == (
        None,
        None,
        None,
        None,
    )


def test_a_patch_that_changes_nothing_is_200_and_publishes_nothing(gateway, landlord):
    property = make_property(landlord)
    for body in ({}, {"title": property.title, "monthly_rent": "3450", "country": "us"}):
        response = gateway.patch(detail(property.id), body, as_=landlord)
        assert response.status_code == 200
        assert response.json()["version"] == 1
    assert [e.type for e in outbox_events()] == [CREATED]


def test_a_patch_may_unlist_and_relist(gateway, landlord):
    property = make_property(landlord)
    for status, version in (("draft", 2), ("rented", 3), ("listed", 4)):
        response = gateway.patch(detail(property.id), {"status": status}, as_=landlord)
        assert (response.json()["status"], response.json()["version"]) == (status, version)
    assert [e.data["status"] for e in outbox_events(type=UPDATED)] == ["draft", "rented", "listed"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"status": "archived"}, ["status"]),
        ({"owner_id": str(uuid.uuid4())}, ["owner_id"]),
        ({"version": 10}, ["version"]),
        ({"bedrooms": 99}, ["bedrooms"]),
        ({"monthly_rent": "-1"}, ["monthly_rent"]),
        ({"title": None}, ["title"]),
        ({"latitude": 10}, ["longitude"]),
    ],
)
def test_a_bad_patch_changes_nothing(gateway, landlord, body, fields):
    property = make_property(landlord, latitude=None, longitude=None)
    response = gateway.patch(detail(property.id), body, as_=landlord)
    assert response.status_code == 400
    assert sorted(response.json()["fields"]) == fields
    assert Property.objects.get().version == 1
    assert len(outbox_events()) == 1


def test_someone_else_gets_403_on_a_listed_property(gateway, landlord, other_landlord, tenant):
    property = make_property(landlord)
    for caller in (other_landlord, tenant):
        response = gateway.patch(detail(property.id), {"title": "Mine"}, as_=caller)
        assert response.status_code == 403
        assert response.json() == {
            "code": "forbidden",
            "message": "Only the owner can change this property.",
        }
    assert Property.objects.get().title == property.title
    assert len(outbox_events()) == 1


def test_someone_else_gets_404_on_a_draft(gateway, landlord, other_landlord):
    property = make_property(landlord, status="draft")
    response = gateway.patch(detail(property.id), {"title": "Mine"}, as_=other_landlord)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_anonymous_patch_is_401(gateway, landlord):
    property = make_property(landlord)
    response = gateway.patch(detail(property.id), {"title": "Mine"})
    assert response.status_code == 401


def test_patching_an_archived_property_is_409(gateway, landlord, other_landlord):
    property = make_property(landlord)
    gateway.delete(detail(property.id), as_=landlord)

    response = gateway.patch(detail(property.id), {"status": "listed"}, as_=landlord)

    assert response.status_code == 409
    assert response.json() == {
        "code": "property_archived",
        "message": "The property is archived and can no longer be changed.",
    }
    # Invisible to anyone else: 404, not 409.
    assert gateway.patch(detail(property.id), {"title": "x"}, as_=other_landlord).status_code == 404
    assert Property.objects.get().status == "archived"


def test_patching_an_unknown_id_is_404(gateway, landlord):
    assert gateway.patch(detail(uuid.uuid4()), {"title": "x"}, as_=landlord).status_code == 404
    assert gateway.patch(detail("nope"), {"title": "x"}, as_=landlord).status_code == 404


# --- DELETE /api/properties/{id} ----------------------------------------------------


def test_the_owner_archives_a_property_once(gateway, landlord):
    property = make_property(landlord)

    first = gateway.delete(detail(property.id), as_=landlord)
    again = gateway.delete(detail(property.id), as_=landlord)

    assert (first.status_code, first.content) == (204, b"")
    assert again.status_code == 204
    stored = Property.objects.get()
    assert (stored.status, stored.version) == ("archived", 2)
    [event] = outbox_events(type=ARCHIVED)
    validate_event(event)
    assert (event.subject, event.data["status"], event.data["version"]) == (
        str(property.id),
        "archived",
        2,
    )


def test_someone_else_may_not_archive(gateway, landlord, other_landlord, tenant):
    listed = make_property(landlord)
    draft = make_property(landlord, status="draft")
    assert gateway.delete(detail(listed.id), as_=other_landlord).status_code == 403
    assert gateway.delete(detail(listed.id), as_=tenant).status_code == 403
    assert gateway.delete(detail(draft.id), as_=other_landlord).status_code == 404
    assert gateway.delete(detail(listed.id)).status_code == 401
    assert gateway.delete(detail(uuid.uuid4()), as_=landlord).status_code == 404
    assert set(Property.objects.values_list("status", flat=True)) == {"listed", "draft"}
    assert outbox_events(type=ARCHIVED) == []


# --- images through the property ----------------------------------------------------


def test_images_appear_on_the_property_in_upload_order(gateway, landlord):
    property = make_property(landlord)
    uploaded = [
        gateway.upload(
            f"{detail(property.id)}/images",
            {"image": upload_file(image_bytes(size=size))},
            as_=landlord,
        ).json()
        for size in ((800, 600), (300, 500))
    ]

    got = gateway.get(detail(property.id)).json()

    assert [image["id"] for image in got["images"]] == [image["id"] for image in uploaded]
    assert got["images"][0] == uploaded[0]
    assert got["thumbnail_url"] == uploaded[0]["thumbnail_url"]
    assert got["thumbnail_url"].startswith(f"{PUBLIC_BASE_URL}/media/properties/{property.id}/")
    assert got["version"] == 3
