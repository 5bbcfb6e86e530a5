"""Fixtures of the property_service tests (real PostgreSQL).

`gateway` calls the service the way api_gateway does: every request is signed
with GATEWAY_SIGNING_KEY (rentezy_platform.trust.gateway_headers) for the
identity the test names (`as_=` a Caller, or anonymous), and runs its
on-commit callbacks as a committed request would. Images are written to a
fresh MEDIA_ROOT per test.
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from properties import services
from properties.models import Property
from rentezy_platform.trust import gateway_headers

PUBLIC_BASE_URL = "https://rentezy.test"

_NO_BODY = object()


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: str
    email: str = ""


def new_caller(role: str) -> Caller:
    user_id = str(uuid.uuid4())
    return Caller(user_id=user_id, role=role, email=f"{role}-{user_id[:8]}@example.com")


class Gateway:
    def __init__(self, client, capture_on_commit_callbacks) -> None:
        self.client = client
        self.capture_on_commit_callbacks = capture_on_commit_callbacks

    def headers(self, method: str, path: str, as_: Caller | None) -> dict[str, str]:
        return gateway_headers(
            key=settings.GATEWAY_SIGNING_KEY,
            method=method,
            path_with_query=path,
            user_id=as_.user_id if as_ else None,
            role=as_.role if as_ else None,
            email=as_.email if as_ else "",
        )

    def request(
        self,
        method: str,
        path: str,
        body: Any = _NO_BODY,
        *,
        as_: Caller | None = None,
        raw: str | bytes | None = None,
        content_type: str = "application/json",
    ):
        if raw is not None:
            data: str | bytes = raw
        elif body is _NO_BODY:
            data = ""
        else:
            data = json.dumps(body)
        with self.capture_on_commit_callbacks(execute=True):
            return self.client.generic(
                method,
                path,
                data=data,
                content_type=content_type,
                headers=self.headers(method, path, as_),
            )

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = _NO_BODY, **kwargs):
        return self.request("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = _NO_BODY, **kwargs):
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def upload(self, path: str, files: dict[str, Any], *, as_: Caller | None = None):
        """A multipart POST, as a browser's form would send it."""
        with self.capture_on_commit_callbacks(execute=True):
            return self.client.post(path, data=files, headers=self.headers("POST", path, as_))


@pytest.fixture
def gateway(client, django_capture_on_commit_callbacks) -> Gateway:
    return Gateway(client, django_capture_on_commit_callbacks)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test writes its images to a folder of its own."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    return root


@pytest.fixture
def landlord() -> Caller:
    return new_caller("landlord")


@pytest.fixture
def other_landlord() -> Caller:
    return new_caller("landlord")


@pytest.fixture
def tenant() -> Caller:
    return new_caller("tenant")


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
