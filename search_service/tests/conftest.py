"""Fixtures of the search_service tests: the REAL search engine on SEARCH_URL,
real Kafka and PostgreSQL (`make infra-up`).

Every test that touches the engine gets an alias of its own (`test-<uuid>`,
settings.SEARCH_INDEX_ALIAS) whose indices are deleted afterwards, so runs in
parallel never see each other's documents.

`property_data(...)` builds an event's data exactly as the
rentezy.property.*.v1 contracts describe it (and checks it against them).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import override_settings
from rentezy_platform.events import validate_data
from rentezy_platform.testing import SignedClient
from search.engine import reset_engines
from search.index import delete_indices, ensure_index, refresh_index
from search.services import property_document_apply

SEARCH_PATH = "/api/search/properties"
BASE_TIME = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def unique_alias() -> str:
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
def search_alias(settings) -> Iterator[str]:
    """A fresh alias (with its first index) for one test; deleted afterwards."""
    alias = unique_alias()
    settings.SEARCH_INDEX_ALIAS = alias
    ensure_index(alias)
    yield alias
    delete_indices(alias)


@pytest.fixture
def closed_engine() -> Iterator[None]:
    """SEARCH_URL points at a port nobody listens on (restored before the
    `search_alias` teardown needs the real engine)."""
    with override_settings(SEARCH_URL="http://127.0.0.1:9", SEARCH_MAX_RETRIES=0):
        reset_engines()
        yield
    reset_engines()


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def property_data(**overrides: Any) -> dict[str, Any]:
    """The data of a rentezy.property.*.v1 event (a listed Berlin apartment)."""
    created = overrides.pop("created_at", BASE_TIME)
    data: dict[str, Any] = {
        "property_id": str(uuid.uuid4()),
        "version": 1,
        "owner_id": str(uuid.uuid4()),
        "status": "listed",
        "title": "Bright apartment near the park",
        "description": "Quiet street, close to shops.",
        "property_type": "apartment",
        "address_line1": "Parkstrasse 1",
        "city": "Berlin",
        "state": "Berlin",
        "postal_code": "10115",
        "country": "DE",
        "latitude": 52.52,
        "longitude": 13.405,
        "bedrooms": 2,
        "bathrooms": 1.0,
        "area_sqft": 750.0,
        "monthly_rent_minor": 145000,
        "deposit_minor": 290000,
        "currency": "USD",
        "amenities": [],
        "available_from": None,
        "thumbnail_url": None,
        "created_at": iso(created if isinstance(created, datetime) else BASE_TIME),
        "updated_at": iso(created if isinstance(created, datetime) else BASE_TIME),
    }
    data.update(overrides)
    event_type = (
        "rentezy.property.archived.v1"
        if data["status"] == "archived"
        else "rentezy.property.updated.v1"
    )
    validate_data(event_type, data)
    return data


def next_version(data: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The same property one version later, with `changes`."""
    updated = {**data, **changes, "version": data["version"] + 1}
    updated["updated_at"] = iso(datetime.fromisoformat(data["updated_at"]) + timedelta(minutes=1))
    return updated


def index_properties(*items: dict[str, Any], alias: str | None = None) -> None:
    """Apply each property's data as the consumer would, then refresh."""
    for data in items:
        property_document_apply(data=data, alias=alias)
    refresh_index(alias)


def signed_get(client, path: str):
    """An anonymous GET signed as the gateway signs it."""
    return SignedClient(client, run_on_commit=False).get(path)


def search(client, **params: Any):
    """GET /api/search/properties?<params> through a gateway-signed request."""
    query = urlencode(params)
    return signed_get(client, f"{SEARCH_PATH}?{query}" if query else SEARCH_PATH)
