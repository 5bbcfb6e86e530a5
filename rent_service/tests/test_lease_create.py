"""A landlord opens a lease directly for a registered tenant (real PostgreSQL):
checked against the property and user projections rentezy.property and
rentezy.user keep, through signed requests like the gateway's."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.test import Client
from rent import handlers, services
from rent.models import Invoice, Lease, PropertyProjection, UserProjection
from rentezy_platform.events import CloudEvent
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.testing import Caller, SignedClient, run_concurrently

pytestmark = pytest.mark.django_db

LEASES = "/api/rent/leases"


def property_event(owner: Caller, *, version: int = 1, **overrides) -> CloudEvent:
    data = {
        "property_id": overrides.pop("property_id", str(uuid.uuid4())),
        "version": version,
        "owner_id": owner.user_id,
        "status": "listed",
        "title": "Loft by the canal",
        "monthly_rent_minor": 150_000,
        "deposit_minor": 300_000,
        "currency": "USD",
        **overrides,
    }
    kind = "archived" if data["status"] == "archived" else "updated"
    return CloudEvent.new(
        type=f"rentezy.property.{kind}.v1",
        source="/property_service",
        subject=data["property_id"],
        data=data,
    )


def user_event(caller: Caller, *, kind: str = "registered", **overrides) -> CloudEvent:
    data = {
        "user_id": caller.user_id,
        "email": caller.email or f"{caller.user_id[:8]}@example.com",
        "full_name": "Tess Tenant",
        "role": caller.role,
        **overrides,
    }
    return CloudEvent.new(
        type=f"rentezy.user.{kind}.v1", source="/auth_service", subject=caller.user_id, data=data
    )


def consume(event: CloudEvent) -> None:
    """What the consumer does with the event: its handler, by type."""
    handlers.HANDLERS[event.type](event)


@pytest.fixture
def listed(landlord, tenant) -> str:
    """A listed property of `landlord`, and `tenant` registered: the property id."""
    event = property_event(landlord)
    consume(event)
    consume(user_event(tenant))
    return event.data["property_id"]


def in_days(days: int) -> str:
    return (services.today() + timedelta(days=days)).isoformat()


def body(property_id: str, tenant: Caller, /, **overrides) -> dict:
    return {
        "property_id": property_id,
        "tenant_id": tenant.user_id,
        "start_date": in_days(10),
        "end_date": in_days(10 + 365),
        **overrides,
    }


# --- the projections --------------------------------------------------------------


def test_property_events_keep_the_newest_version_only(landlord):
    event = property_event(landlord, version=2, title="Current")
    consume(event)
    property_id = event.data["property_id"]
    for stale in (1, 2):
        consume(property_event(landlord, version=stale, property_id=property_id, title="Old"))
    assert PropertyProjection.objects.get(pk=property_id).title == "Current"

    consume(
        property_event(landlord, version=3, property_id=property_id, status="archived", title="X")
    )
    projection = PropertyProjection.objects.get(pk=property_id)
    assert (projection.version, projection.status, projection.title) == (3, "archived", "X")


def test_user_events_keep_the_role_email_and_name(tenant):
    consume(user_event(tenant, full_name="Tess"))
    consume(user_event(tenant, kind="updated", full_name="Tess Renamed", phone="+15550100"))
    consume(user_event(tenant, kind="updated", full_name="Tess Renamed", phone="+15550100"))
    user = UserProjection.objects.get()
    assert (str(user.id), user.role, user.full_name) == (tenant.user_id, "tenant", "Tess Renamed")


# --- POST /api/rent/leases --------------------------------------------------------


def test_a_landlord_opens_a_lease_on_the_property_terms_with_its_first_invoice(
    gateway, landlord, tenant, listed
):
    response = gateway.post(LEASES, body(listed, tenant), as_=landlord)

    assert response.status_code == 201, response.json()
    lease = response.json()
    assert {
        k: lease[k]
        for k in (
            "reservation_id", "property_id", "property_title", "tenant_id", "landlord_id",
            "monthly_rent", "deposit", "currency", "due_day", "status", "autopay",
        )
    } == {
        "reservation_id": None,
        "property_id": listed,
        "property_title": "Loft by the canal",
        "tenant_id": tenant.user_id,
        "landlord_id": landlord.user_id,
        "monthly_rent": "1500.00",
        "deposit": "3000.00",
        "currency": "USD",
        "due_day": 1,
        "status": "active",
        "autopay": False,
    }  # fmt: skip
    invoice = Invoice.objects.get(lease_id=lease["id"])
    assert invoice.is_first and invoice.lines.filter(kind="deposit").get().amount_minor == 300_000
    issued = OutboxMessage.objects.filter(type="rentezy.payment.invoice_issued.v1").get()
    assert issued.payload["data"]["reservation_id"] is None
    # Both parties see it; the tenant can pay it like any other.
    for caller in (tenant, landlord):
        assert gateway.get(LEASES, as_=caller).json()["count"] == 1


def test_the_landlord_sets_rent_deposit_due_day_grace_and_a_percent_late_fee(
    gateway, landlord, tenant, listed
):
    response = gateway.post(
        LEASES,
        body(
            listed,
            tenant,
            monthly_rent="1234.50",
            deposit="0.00",
            due_day=5,
            grace_days=3,
            late_fee_policy={"kind": "percent", "percent": "5.00", "cap": "50.00"},
        ),
        as_=landlord,
    )

    assert response.status_code == 201, response.json()
    lease = response.json()
    assert (lease["monthly_rent"], lease["deposit"], lease["due_day"], lease["grace_days"]) == (
        "1234.50",
        "0.00",
        5,
        3,
    )
    assert lease["late_fee_policy"] == {
        "kind": "percent",
        "amount": "0.00",
        "percent": "5.00",
        "cap": "50.00",
    }
    assert lease["late_fee"] == "50.00"  # 5 % of 1234.50 is 61.73, capped at 50.00
    stored = Lease.objects.get(pk=lease["id"])
    assert (stored.monthly_rent_minor, stored.deposit_minor, stored.late_fee_percent_bp) == (
        123_450,
        0,
        500,
    )


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"start_date": "2020-01-01"}, "start_date"),
        ({"end_date": "tomorrow"}, "end_date"),
        ({"end_date": in_days(20)}, "end_date"),  # shorter than a month
        ({"end_date": in_days(10 + 6 * 366)}, "end_date"),  # longer than five years
        ({"monthly_rent": "0.00"}, "monthly_rent"),
        ({"monthly_rent": 1e300}, "monthly_rent"),
        ({"deposit": "-1.00"}, "deposit"),
        ({"due_day": 29}, "due_day"),
        ({"due_day": "1"}, "due_day"),
        ({"grace_days": -1}, "grace_days"),
        ({"late_fee_policy": {"kind": "flat"}}, "late_fee_policy"),
        (
            {"late_fee_policy": {"kind": "flat", "amount": "5.00", "percent": "1"}},
            "late_fee_policy",
        ),
        ({"late_fee_policy": {"kind": "percent", "percent": "100.01"}}, "late_fee_policy"),
        ({"late_fee_policy": {"kind": "percent", "percent": "NaN"}}, "late_fee_policy"),
        ({"late_fee_policy": {"kind": "weekly"}}, "late_fee_policy"),
        ({"late_fee_policy": {"kind": "flat", "amount": "1.00", "owner": "x"}}, "late_fee_policy"),
        ({"tenant_id": str(uuid.uuid4())}, "tenant_id"),  # no such tenant
        ({"property_id": "../x"}, "property_id"),
        ({"status": "ended"}, "status"),  # read-only
        ({"landlord_id": str(uuid.uuid4())}, "landlord_id"),
        ({"autopay": True}, "autopay"),
        ({"currency": "EUR"}, "currency"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_opens_nothing(
    gateway, landlord, tenant, listed, overrides, field
):
    response = gateway.post(LEASES, body(listed, tenant, **overrides), as_=landlord)

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    named = {name.split(".")[0] for name in response.json()["fields"]}  # nested: "a.b"
    assert field in named
    assert not Lease.objects.exists()


def test_a_landlord_is_not_a_tenant(gateway, landlord, other_landlord, listed):
    consume(user_event(other_landlord))
    response = gateway.post(LEASES, body(listed, other_landlord), as_=landlord)
    assert (response.status_code, list(response.json()["fields"])) == (400, ["tenant_id"])


def test_only_the_owner_of_a_listed_known_property_opens_its_leases(
    gateway, landlord, other_landlord, tenant, listed
):
    cases = [
        (tenant, body(listed, tenant), 403, "forbidden"),
        (other_landlord, body(listed, tenant), 403, "forbidden"),
        (landlord, body(str(uuid.uuid4()), tenant), 404, "not_found"),
    ]
    for caller, payload, status, code in cases:
        response = gateway.post(LEASES, payload, as_=caller)
        assert (response.status_code, response.json()["code"]) == (status, code)
    consume(property_event(landlord, version=2, property_id=listed, status="archived"))
    response = gateway.post(LEASES, body(listed, tenant), as_=landlord)
    assert (response.status_code, response.json()["code"]) == (409, "property_not_listed")
    assert gateway.post(LEASES, body(listed, tenant), as_=None).status_code == 401
    assert not Lease.objects.exists()


def test_an_overlapping_active_lease_is_a_409_and_an_adjacent_one_is_fine(
    gateway, landlord, tenant, other_tenant, listed
):
    consume(user_event(other_tenant))
    first = body(listed, tenant, start_date=in_days(10), end_date=in_days(100))
    assert gateway.post(LEASES, first, as_=landlord).status_code == 201

    overlapping = body(listed, other_tenant, start_date=in_days(99), end_date=in_days(200))
    response = gateway.post(LEASES, overlapping, as_=landlord)
    assert (response.status_code, response.json()["code"]) == (409, "property_unavailable")

    adjacent = body(listed, other_tenant, start_date=in_days(100), end_date=in_days(200))
    assert gateway.post(LEASES, adjacent, as_=landlord).status_code == 201
    assert Lease.objects.count() == 2


def test_a_replayed_idempotency_key_opens_one_lease(gateway, landlord, tenant, listed):
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = gateway.post(LEASES, body(listed, tenant), as_=landlord, headers=headers)
    again = gateway.post(LEASES, body(listed, tenant), as_=landlord, headers=headers)
    other = gateway.post(LEASES, body(listed, tenant, due_day=2), as_=landlord, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert Lease.objects.count() == 1 and Invoice.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_leases_of_one_property_open_exactly_one(
    landlord, tenant, other_tenant
):
    event = property_event(landlord)
    consume(event)
    consume(user_event(tenant))
    consume(user_event(other_tenant))
    property_id = event.data["property_id"]
    tenants = [tenant, other_tenant] * 3

    def open_lease(index: int) -> int:
        payload = body(property_id, tenants[index], start_date=in_days(10 + index))
        return SignedClient(Client()).post(LEASES, payload, as_=landlord).status_code

    statuses = run_concurrently(len(tenants), open_lease)

    assert sorted(statuses) == [201] + [409] * (len(tenants) - 1)
    assert Lease.objects.count() == 1 and Invoice.objects.count() == 1
    assert date.fromisoformat(in_days(10)) <= Lease.objects.get().start_date
