"""search/documents.py: what a property is indexed as, and how a hit is shown."""

from __future__ import annotations

import pytest
from search.documents import money_string, property_document, search_result

from tests.conftest import property_data


def test_a_listed_property_is_indexed_with_its_searchable_content():
    data = property_data(
        amenities=["parking", "wifi"],
        available_from="2026-03-01",
        thumbnail_url="https://img.example/p.jpg",
        version=4,
    )
    assert property_document(data) == {
        "id": data["property_id"],
        "status": "listed",
        "version": 4,
        "owner_id": data["owner_id"],
        "title": "Bright apartment near the park",
        "description": "Quiet street, close to shops.",
        "property_type": "apartment",
        "city": "Berlin",
        "country": "DE",
        "bedrooms": 2,
        "bathrooms": 1.0,
        "area_sqft": 750.0,
        "monthly_rent_minor": 145000,
        "currency": "USD",
        "amenities": ["parking", "wifi"],
        "available_from": "2026-03-01",
        "thumbnail_url": "https://img.example/p.jpg",
        "created_at": "2026-01-01T12:00:00Z",
        "updated_at": "2026-01-01T12:00:00Z",
        "location": {"lat": 52.52, "lon": 13.405},
    }


def test_no_location_without_both_coordinates():
    assert "location" not in property_document(property_data(latitude=None, longitude=None))
    assert "location" not in property_document(property_data(latitude=None))


@pytest.mark.parametrize("status", ["draft", "rented", "archived"])
def test_a_property_that_is_not_listed_is_a_tombstone(status):
    data = property_data(status=status, version=7)
    assert property_document(data) == {"id": data["property_id"], "status": status, "version": 7}


@pytest.mark.parametrize(
    ("minor", "text"),
    [(0, "0.00"), (5, "0.05"), (145000, "1450.00"), (99999999999, "999999999.99")],
)
def test_money_string(minor, text):
    assert money_string(minor) == text


def test_search_result_without_optional_values():
    document = property_document(
        property_data(latitude=None, longitude=None, monthly_rent_minor=150)
    )
    assert search_result(document) == {
        "id": document["id"],
        "title": "Bright apartment near the park",
        "city": "Berlin",
        "monthly_rent": "1.50",
        "currency": "USD",
        "bedrooms": 2,
        "bathrooms": 1.0,
        "property_type": "apartment",
        "amenities": [],
        "thumbnail_url": None,
        "available_from": None,
        "latitude": None,
        "longitude": None,
    }
