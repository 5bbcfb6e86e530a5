"""properties/events.py: the document every rentezy.property.* event carries,
and the event stream of a property's whole life."""

import json

import pytest
from properties.events import property_document
from properties.models import Property
from rentezy_platform.events import contracts_dir, validate_data, validate_event
from rentezy_platform.testing import outbox_events

from tests.conftest import (
    PUBLIC_BASE_URL,
    image_bytes,
    make_property,
    property_body,
    upload_file,
)

pytestmark = pytest.mark.django_db

TYPES = (
    "rentezy.property.created.v1",
    "rentezy.property.updated.v1",
    "rentezy.property.archived.v1",
)


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_property_document_is_exactly_the_schema_fields(landlord):
    property = make_property(landlord)
    property.refresh_from_db()

    assert property_document(property) == {
        "property_id": str(property.id),
        "version": 1,
        "owner_id": landlord.user_id,
        "status": "listed",
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
        "monthly_rent_minor": 345000,
        "deposit_minor": 345000,
        "currency": "USD",
        "amenities": ["balcony", "heating", "washer"],
        "available_from": "2026-09-01",
        "thumbnail_url": None,
        "created_at": _iso(property.created_at),
        "updated_at": _iso(property.updated_at),
    }
    for event_type in TYPES[:2]:
        validate_data(event_type, property_document(property))


@pytest.mark.parametrize("event_type", TYPES)
def test_the_document_has_exactly_the_fields_of_each_schema(landlord, event_type):
    schema = json.loads((contracts_dir() / f"{event_type}.schema.json").read_text())
    property = make_property(landlord)
    assert sorted(property_document(property)) == sorted(schema["required"])


def test_nullable_fields_are_null_not_missing(landlord):
    property = make_property(
        landlord, latitude=None, longitude=None, area_sqft=None, available_from=None, amenities=[]
    )
    document = property_document(property)
    assert (
        document["latitude"],
        document["longitude"],
        document["area_sqft"],
        document["available_from"],
        document["thumbnail_url"],
        document["amenities"],
    ) == (None, None, None, None, None, [])
    validate_data("rentezy.property.created.v1", document)


def test_the_document_needs_no_query(landlord, django_assert_num_queries):
    property = Property.objects.get(pk=make_property(landlord).pk)
    with django_assert_num_queries(0):
        property_document(property)


def test_a_property_life_is_one_event_per_change_with_increasing_versions(gateway, landlord):
    created = gateway.post("/api/properties", property_body(status="draft"), as_=landlord).json()
    path = f"/api/properties/{created['id']}"
    gateway.patch(path, {"status": "listed"}, as_=landlord)
    gateway.patch(path, {"status": "listed"}, as_=landlord)  # no change: no event
    upload = gateway.upload(
        f"{path}/images", {"image": upload_file(image_bytes())}, as_=landlord
    ).json()
    gateway.patch(path, {"monthly_rent": "99999.99", "title": "x" * 201}, as_=landlord)  # 400
    gateway.patch(path, {"monthly_rent": "3300.00"}, as_=landlord)
    gateway.delete(path, as_=landlord)
    gateway.delete(path, as_=landlord)  # already archived: no event
    gateway.patch(path, {"title": "late"}, as_=landlord)  # 409: no event

    events = outbox_events()
    assert [(e.type, e.data["version"], e.data["status"]) for e in events] == [
        ("rentezy.property.created.v1", 1, "draft"),
        ("rentezy.property.updated.v1", 2, "listed"),
        ("rentezy.property.updated.v1", 3, "listed"),
        ("rentezy.property.updated.v1", 4, "listed"),
        ("rentezy.property.archived.v1", 5, "archived"),
    ]
    for event in events:
        validate_event(event)
        assert event.subject == created["id"]
        assert event.source == "/property_service"
    assert events[2].data["thumbnail_url"] == upload["thumbnail_url"]
    assert events[2].data["thumbnail_url"].startswith(f"{PUBLIC_BASE_URL}/media/")
    assert events[3].data["monthly_rent_minor"] == 330000
    # Each event carries the state after its change, timestamps included.
    assert events[-1].data == property_document(Property.objects.get())


def test_events_carry_the_request_id(gateway, landlord):
    response = gateway.post("/api/properties", property_body(), as_=landlord)
    [event] = outbox_events()
    assert event.requestid == response["X-Request-ID"]
