"""Fixtures of the property_service tests (real PostgreSQL).

`gateway` calls the service the way api_gateway does
(rentezy_platform.testing.SignedClient): every request is signed for the
identity the test names (`as_=` a Caller, or anonymous), and runs its
on-commit callbacks as a committed request would. Images are written to a
fresh MEDIA_ROOT per test.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from properties import services
from properties.models import Property
from rentezy_platform.testing import Caller, SignedClient

PUBLIC_BASE_URL = "https://rentezy.test"


@pytest.fixture
def gateway(client) -> SignedClient:
    return SignedClient(client)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test writes its images to a folder of its own."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    return root


@pytest.fixture
def landlord() -> Caller:
    return Caller.new("landlord")


@pytest.fixture
def other_landlord() -> Caller:
    return Caller.new("landlord")


@pytest.fixture
def tenant() -> Caller:
    return Caller.new("tenant")


def property_body(**overrides: Any) -> dict[str, Any]:
    """A complete, valid POST /api/properties body."""
    body: dict[str, Any] = {
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
        "currency": "USD",
        "deposit": "3450.00",
        "amenities": ["washer", "balcony", "heating"],
        "available_from": "2026-09-01",
        "status": "listed",
    }
    body.update(overrides)
    return body


def property_fields(**overrides: Any) -> dict[str, Any]:
    """Validated model fields (what the API hands the services) of property_body()."""
    fields: dict[str, Any] = {
        "title": "Sunny 2-bedroom apartment in Park Slope",
        "description": "Bright corner unit with a renovated kitchen.",
        "property_type": "apartment",
        "address_line1": "123 7th Ave",
        "city": "New York",
        "state": "NY",
        "postal_code": "11215",
        "country": "US",
        "latitude": Decimal("40.671200"),
        "longitude": Decimal("-73.977200"),
        "bedrooms": 2,
        "bathrooms": Decimal("1.5"),
        "area_sqft": 950,
        "monthly_rent_minor": 345000,
        "currency": "USD",
        "deposit_minor": 345000,
        "amenities": ["washer", "balcony", "heating"],
        "available_from": date(2026, 9, 1),
        "status": "listed",
    }
    fields.update(overrides)
    return fields


def make_property(owner: Caller, **overrides: Any) -> Property:
    return services.property_create(owner_id=owner.user_id, fields=property_fields(**overrides))


def image_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (640, 480), *, mode: str = "RGB", **save: Any
) -> bytes:
    color = (30, 120, 200, 128) if mode == "RGBA" else (30, 120, 200)
    image = Image.new(mode, size, color[: len(mode)] if mode in ("RGB", "RGBA") else 128)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def upload_file(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)
