"""Integration events property_service publishes (topic `rentezy.property`, key
property_id).

Schemas: contracts/events/rentezy.property.{created,updated,archived}.v1.schema.json.
Every event carries the whole searchable document of the property after the
change (`property_document`), with its `version`: a consumer keeps the newest
version it has seen and needs nothing else. The same document is what
`GET /internal/properties/export` returns, so a reindex from the export and a
replay of the topic build the same index.

Enqueued through the outbox in the transaction that makes the change
(properties/services.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rentezy_platform.outbox.services import outbox_enqueue

from properties.models import Property

PROPERTY_CREATED = "rentezy.property.created.v1"
PROPERTY_UPDATED = "rentezy.property.updated.v1"
PROPERTY_ARCHIVED = "rentezy.property.archived.v1"


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _float_or_none(value) -> float | None:
    return None if value is None else float(value)


def property_document(property: Property) -> dict[str, Any]:
    """The property as search and the other services see it: exactly the
    fields of the rentezy.property.* schemas. Money in minor units, the
    coordinates and bathrooms as numbers, dates and times as strings. No
    query: the thumbnail is the property's own column."""
    return {
        "property_id": str(property.id),
        "version": property.version,
        "owner_id": str(property.owner_id),
        "status": property.status,
        "title": property.title,
        "description": property.description,
        "property_type": property.property_type,
        "address_line1": property.address_line1,
        "city": property.city,
        "state": property.state,
        "postal_code": property.postal_code,
        "country": property.country,
        "latitude": _float_or_none(property.latitude),
        "longitude": _float_or_none(property.longitude),
        "bedrooms": property.bedrooms,
        "bathrooms": float(property.bathrooms),
        "area_sqft": property.area_sqft,
        "monthly_rent_minor": property.monthly_rent_minor,
        "deposit_minor": property.deposit_minor,
        "currency": property.currency,
        "amenities": list(property.amenities),
        "available_from": (
            property.available_from.isoformat() if property.available_from is not None else None
        ),
        "thumbnail_url": property.thumbnail_url,
        "created_at": _iso_utc(property.created_at),
        "updated_at": _iso_utc(property.updated_at),
    }


def _enqueue(event_type: str, property: Property) -> None:
    outbox_enqueue(type=event_type, subject=str(property.id), data=property_document(property))


def enqueue_property_created(property: Property) -> None:
    _enqueue(PROPERTY_CREATED, property)


def enqueue_property_updated(property: Property) -> None:
    _enqueue(PROPERTY_UPDATED, property)


def enqueue_property_archived(property: Property) -> None:
    _enqueue(PROPERTY_ARCHIVED, property)
