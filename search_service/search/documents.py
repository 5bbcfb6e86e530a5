"""Property data (an event's `data` or an export row) → search documents, and
search hits → API results. Pure functions: no engine, no settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

LISTED = "listed"

# What a result shows (and the only fields a query asks the engine for).
RESULT_SOURCE_FIELDS = (
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
)


def property_document(data: Mapping[str, Any]) -> dict[str, Any]:
    """The document a property is indexed as: its searchable content when it is
    listed, a tombstone otherwise (see `tombstone_document`)."""
    if data["status"] != LISTED:
        return tombstone_document(data)
    document: dict[str, Any] = {
        "id": data["property_id"],
        "status": LISTED,
        "version": data["version"],
        "owner_id": data["owner_id"],
        "title": data["title"],
        "description": data.get("description") or "",
        "property_type": data["property_type"],
        "city": data["city"],
        "country": data.get("country") or "",
        "bedrooms": data["bedrooms"],
        "bathrooms": data["bathrooms"],
        "area_sqft": data.get("area_sqft"),
        "monthly_rent_minor": data["monthly_rent_minor"],
        "currency": data["currency"],
        "amenities": list(data.get("amenities") or []),
        "available_from": data.get("available_from"),
        "thumbnail_url": data.get("thumbnail_url"),
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
    }
    latitude, longitude = data.get("latitude"), data.get("longitude")
    if latitude is not None and longitude is not None:
        document["location"] = {"lat": latitude, "lon": longitude}
    return document


def tombstone_document(data: Mapping[str, Any]) -> dict[str, Any]:
    """A property that is not listed: its id, status and version only.

    It is indexed (not deleted) so that the engine keeps the version: a late,
    older `listed` event then loses the external-version check instead of
    bringing the property back (search/services.py explains why). Every query
    filters `status: listed`, and a tombstone has no searchable content.
    """
    return {"id": data["property_id"], "status": data["status"], "version": data["version"]}


def money_string(minor: int) -> str:
    """Integer minor units as the API's decimal string: 145000 → "1450.00"."""
    return str(Decimal(minor).scaleb(-2).quantize(Decimal("0.01")))


def search_result(source: Mapping[str, Any]) -> dict[str, Any]:
    """One API result from a hit's `_source`."""
    location = source.get("location") or {}
    return {
        "id": source["id"],
        "title": source["title"],
        "city": source["city"],
        "monthly_rent": money_string(source["monthly_rent_minor"]),
        "currency": source["currency"],
        "bedrooms": source["bedrooms"],
        "bathrooms": source["bathrooms"],
        "property_type": source["property_type"],
        "amenities": list(source.get("amenities") or []),
        "thumbnail_url": source.get("thumbnail_url"),
        "available_from": source.get("available_from"),
        "latitude": location.get("lat"),
        "longitude": location.get("lon"),
    }
