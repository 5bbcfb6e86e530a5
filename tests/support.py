"""Plain helpers of the cross-service suites (fixtures are in conftest.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx

# A strong password every test account may use (auth_service refuses weak ones).
PASSWORD = "correct horse battery staple 42"


# Hex digits spelled as letters: an address without digits is never "too similar"
# (Django's UserAttributeSimilarityValidator) to a test's numeric password.
_LETTERS_ONLY = str.maketrans("0123456789", "ghijklmnop")


def unique_email(label: str = "user") -> str:
    """A fresh address per call: tests never share an account (nor its failed-login counter)."""
    return f"{label}-{uuid.uuid4().hex[:20].translate(_LETTERS_ONLY)}@example.com"


@dataclass
class Account:
    id: str
    email: str
    password: str
    full_name: str
    role: str
    access: str = ""
    refresh: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


def register_account(
    gw: httpx.Client, *, role: str = "tenant", login: bool = True, password: str = PASSWORD
) -> Account:
    address = unique_email(role)
    full_name = f"Test {role.title()}"
    registered = gw.post(
        "/api/auth/register",
        json={"email": address, "password": password, "full_name": full_name, "role": role},
    )
    assert registered.status_code == 201, registered.text
    account = Account(
        id=registered.json()["id"], email=address, password=password, full_name=full_name, role=role
    )
    if login:
        response = gw.post("/api/auth/login", json={"email": address, "password": password})
        assert response.status_code == 200, response.text
        account.access, account.refresh = response.json()["access"], response.json()["refresh"]
    return account


def wait_for_status(call: Callable[[], httpx.Response], status: int, *, within: float) -> float:
    """Poll `call` until it answers `status`; returns the seconds that took, and
    fails as soon as `within` seconds have passed without it."""
    started = time.monotonic()
    while True:
        response = call()
        elapsed = time.monotonic() - started
        if response.status_code == status:
            return elapsed
        assert elapsed < within, (
            f"still {response.status_code} after {elapsed:.2f}s: {response.text}"
        )
        time.sleep(0.02)


def property_body(**overrides) -> dict:
    """A valid, listed property (API.md fields), with `overrides`."""
    body = {
        "title": "Bright two-bedroom flat",
        "description": "Quiet street, close to the tram, south-facing balcony.",
        "property_type": "apartment",
        "address_line1": "12 Example Street",
        "city": "Lisbon",
        "state": "Lisboa",
        "postal_code": "1100-001",
        "country": "PT",
        "latitude": "38.722252",
        "longitude": "-9.139337",
        "bedrooms": 2,
        "bathrooms": "1.5",
        "area_sqft": 850,
        "monthly_rent": "1450.00",
        "currency": "EUR",
        "deposit": "2900.00",
        "amenities": ["balcony", "elevator"],
        "available_from": "2027-01-01",
        "status": "listed",
    }
    body.update(overrides)
    return body


def topic_events(platform, topic: str, *, type: str) -> list:
    """The CloudEvents of one `type` on this session's `topic` (e.g.
    "rentezy.booking"), read from the beginning until the topic is quiet."""
    from rentezy_platform.testing import KafkaTestConsumer

    with KafkaTestConsumer(
        f"{platform.topic_prefix}{topic}", bootstrap_servers=platform.env["KAFKA_BOOTSTRAP_SERVERS"]
    ) as reader:
        messages = reader.drain()
    return [m.event for m in messages if m.event.type == type]


def retry_until(
    call: Callable[[], httpx.Response],
    until: Callable[[httpx.Response], bool],
    *,
    timeout: float = 60.0,
) -> httpx.Response:
    """`call()` again every 100 ms until `until(response)` or the timeout; the
    last response either way (e.g. a 404 until a projection has caught up)."""
    deadline = time.monotonic() + timeout
    while True:
        response = call()
        if until(response) or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def open_conversation(gw: httpx.Client, caller: Account, other: Account) -> dict:
    """`caller`'s conversation with `other` (created or the existing one),
    retried until chat_service's directory knows `other` (from rentezy.user)."""
    from rentezy_platform.testing import wait_until

    def attempt() -> dict | None:
        response = gw.post(
            "/api/chat/conversations", json={"participant_id": other.id}, headers=caller.headers
        )
        if response.status_code == 400:
            return None
        assert response.status_code in (200, 201), response.text
        return response.json()

    return wait_until(attempt, timeout=60, message="chat_service to know the participant")


# --- leases and invoices (rent_service, made through booking_service) ----------


def listed_property(gw: httpx.Client, landlord: Account) -> str:
    body = property_body(monthly_rent="2100.00", deposit="4200.00")
    response = gw.post("/api/properties", json=body, headers=landlord.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def confirmed_lease(
    gw: httpx.Client,
    landlord: Account,
    tenant: Account,
    *,
    start: date | None = None,
    days: int = 400,
) -> tuple[dict, dict]:
    """A new property of `landlord` rented by `tenant` from `start` (default:
    in 20 days) for `days` and approved: returns (reservation, lease) once
    rent_service has made the lease of it (rental_confirmed)."""
    from rentezy_platform.testing import wait_until

    property_id = listed_property(gw, landlord)
    start = start or datetime.now(UTC).date() + timedelta(days=20)
    body = {
        "property_id": property_id,
        "start_date": str(start),
        "end_date": str(start + timedelta(days=days)),
    }
    response = retry_until(
        lambda: gw.post("/api/bookings/rentals", json=body, headers=tenant.headers),
        # 404 until booking_service's projection has the property
        until=lambda r: r.status_code != 404,
        timeout=60,
    )
    assert response.status_code == 201, response.text
    reservation = response.json()
    approved = gw.post(
        f"/api/bookings/rentals/{reservation['id']}/approve", headers=landlord.headers
    )
    assert approved.status_code == 200, approved.text

    def lease() -> dict | None:
        listed = gw.get("/api/rent/leases", headers=tenant.headers)
        assert listed.status_code == 200, listed.text
        found = [row for row in listed.json()["results"] if row["property_id"] == property_id]
        return found[0] if found else None

    return reservation, wait_until(lease, timeout=60, message="the lease from rental_confirmed")


def invoices(gw: httpx.Client, account: Account, lease_id: str) -> list[dict]:
    response = gw.get("/api/rent/invoices", params={"lease_id": lease_id}, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def first_invoice(gw: httpx.Client, tenant: Account, lease_id: str) -> dict:
    (invoice,) = invoices(gw, tenant, lease_id)
    return invoice


def save_card(gw: httpx.Client, tenant: Account, stripe_id: str) -> httpx.Response:
    return gw.post(
        "/api/rent/payment-methods", json={"payment_method_id": stripe_id}, headers=tenant.headers
    )


def saved_card(gw: httpx.Client, tenant: Account, stripe_id: str = "pm_card_visa") -> str:
    """The id of a card `tenant` saved (it must be accepted)."""
    saved = save_card(gw, tenant, stripe_id)
    assert saved.status_code == 201, saved.text
    return saved.json()["id"]
