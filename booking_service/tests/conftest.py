"""Fixtures of the booking_service tests (real PostgreSQL).

`gateway` calls the service the way api_gateway does
(rentezy_platform.testing.SignedClient): every request is signed for the
identity the test names (`as_=` a Caller, or anonymous). Properties exist
here as the projection rentezy.property events build: `listed_property()`
applies such an event's data through the service function the consumer calls.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from bookings import services
from bookings.models import PropertyProjection
from django.utils import timezone
from rentezy_platform.testing import Caller, SignedClient


@pytest.fixture
def gateway(client) -> SignedClient:
    return SignedClient(client)


@pytest.fixture
def landlord() -> Caller:
    return Caller.new("landlord")


@pytest.fixture
def other_landlord() -> Caller:
    return Caller.new("landlord")


@pytest.fixture
def tenant() -> Caller:
    return Caller.new("tenant")


@pytest.fixture
def other_tenant() -> Caller:
    return Caller.new("tenant")


def property_data(owner: Caller, **overrides: Any) -> dict[str, Any]:
    """The fields booking_service reads from a rentezy.property.* event's data."""
    data: dict[str, Any] = {
        "property_id": str(uuid.uuid4()),
        "version": 1,
        "owner_id": owner.user_id,
        "status": "listed",
        "title": "Sunny 2-bedroom apartment in Park Slope",
        "monthly_rent_minor": 345000,
        "deposit_minor": 345000,
        "currency": "USD",
    }
    data.update(overrides)
    return data


def listed_property(owner: Caller, **overrides: Any) -> PropertyProjection:
    data = property_data(owner, **overrides)
    services.property_projection_apply(data=data)
    return PropertyProjection.objects.get(pk=data["property_id"])


def actor(caller: Caller) -> services.Actor:
    return services.Actor(user_id=uuid.UUID(caller.user_id), role=caller.role)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def in_hours(hours: float) -> datetime:
    return (timezone.now() + timedelta(hours=hours)).replace(microsecond=0)


def make_slot(
    owner: Caller, projection: PropertyProjection, *, capacity: int = 3, hours: float = 48
):
    return services.slot_create(
        actor=actor(owner),
        property_id=projection.pk,
        starts_at=in_hours(hours),
        ends_at=in_hours(hours + 1),
        capacity=capacity,
    )
