"""Fixtures of the rent_service tests (real PostgreSQL).

`gateway` calls the service the way api_gateway does
(rentezy_platform.testing.SignedClient): every request is signed for the
identity the test names (`as_=` a Caller, or anonymous). Leases come from a
`rental_confirmed` event's data through the service function the consumer
calls: `make_lease(tenant, landlord, on=..., **overrides)`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from rent import services
from rent.models import Lease
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


def rental_confirmed_data(tenant: Caller, landlord: Caller, **overrides: Any) -> dict[str, Any]:
    """The data of a rentezy.booking.rental_confirmed.v1 event."""
    data: dict[str, Any] = {
        "reservation_id": str(uuid.uuid4()),
        "property_id": str(uuid.uuid4()),
        "property_title": "Loft by the canal",
        "tenant_id": tenant.user_id,
        "landlord_id": landlord.user_id,
        "start_date": "2027-01-15",
        "end_date": "2028-01-15",
        "monthly_rent_minor": 150_000,
        "deposit_minor": 300_000,
        "currency": "USD",
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_lease(db) -> Callable[..., Lease]:
    def make(
        tenant: Caller, landlord: Caller, *, on: date | None = None, **overrides: Any
    ) -> Lease:
        data = rental_confirmed_data(tenant, landlord, **overrides)
        return services.lease_create_from_reservation(data=data, on=on)

    return make
