"""OWASP API Security Top 10 (2023), the authorization items, across every
service through the REAL gateway (world.py builds one object of each kind):

- API1 broken object-level authorization: every operation on an object, by
  a second user of the same role (and of the other role), is refused (403 or
  404, never 2xx) and changes nothing; a test keeps the matrix complete
  against the merged OpenAPI schema, so a new object endpoint cannot be
  forgotten;
- API2 broken authentication: every operation of the schema without a token
  is 401 unless API.md makes it public;
- API3 broken object property-level authorization (mass assignment): role,
  owner, identity, status, capacity counters and amounts cannot be set by
  the client;
- API5 broken function-level authorization: a tenant calling landlord
  operations and a landlord calling tenant ones get 403.
"""

from __future__ import annotations

import re

import httpx
import pytest
from support import PASSWORD, property_body, unique_email
from world import World, build

pytestmark = pytest.mark.services(
    "auth", "property", "booking", "rent", "chat", "notification", "search"
)

# (method, path template, body) of every operation on an object of another user.
OBJECT_OPERATIONS = [
    ("PATCH", "/api/properties/{property_id}", {"title": "Taken over"}),
    ("DELETE", "/api/properties/{property_id}", None),
    ("POST", "/api/properties/{property_id}/images", "image"),
    ("PUT", "/api/properties/{property_id}/images/order", {"image_ids": ["{image_id}"]}),
    ("POST", "/api/bookings/slots/{slot_id}/cancel", None),
    ("POST", "/api/bookings/{booking_id}/cancel", None),
    ("POST", "/api/bookings/rentals/{reservation_id}/approve", None),
    ("POST", "/api/bookings/rentals/{reservation_id}/reject", None),
    ("POST", "/api/bookings/rentals/{reservation_id}/cancel", None),
    ("GET", "/api/chat/conversations/{conversation_id}", None),
    ("GET", "/api/chat/conversations/{conversation_id}/messages", None),
    ("POST", "/api/chat/conversations/{conversation_id}/messages", {"body": "hello"}),
    ("POST", "/api/chat/conversations/{conversation_id}/read", {"up_to": "{message_id}"}),
    ("POST", "/api/notifications/{notification_id}/read", None),
    ("GET", "/api/rent/leases/{lease_id}", None),
    ("PATCH", "/api/rent/leases/{lease_id}", {"autopay": False}),
    ("GET", "/api/rent/invoices/{invoice_id}", None),
    ("POST", "/api/rent/invoices/{invoice_id}/pay", {"payment_method_id": "{payment_method_id}"}),
    ("GET", "/api/rent/payments/{payment_id}/receipt.pdf", None),
]
# Object paths anyone may read (API.md: a listed property is public).
PUBLIC_OBJECT_READS = {("GET", "/api/properties/{property_id}")}

# Operations API.md opens to anonymous callers.
PUBLIC_OPERATIONS = {
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/password/reset"),
    ("POST", "/api/auth/password/reset/confirm"),
    ("GET", "/api/properties"),
    ("GET", "/api/properties/{property_id}"),
    ("GET", "/api/bookings/slots"),
    ("GET", "/api/search/properties"),
    ("POST", "/api/rent/webhooks/stripe"),  # Stripe's signature instead of a token
}


@pytest.fixture(scope="module")
def world(platform) -> World:
    with platform.client() as gw:
        return build(gw)


@pytest.fixture(scope="module")
def schema(platform) -> dict:
    with platform.client() as gw:
        response = gw.get("/api/schema/")
        assert response.status_code == 200
        return response.json()


def _fill(template: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "0" * 8), template)


def _send(gw: httpx.Client, method: str, path: str, body, headers: dict, ids) -> httpx.Response:
    url = _fill(path, ids)
    if body == "image":
        from world import _jpeg

        return gw.request(method, url, headers=headers,
                          files={"image": ("x.jpg", _jpeg(), "image/jpeg")})  # fmt: skip
    if isinstance(body, dict):
        body = {
            k: _fill(v, ids) if isinstance(v, str)
            else [_fill(x, ids) for x in v] if isinstance(v, list) else v
            for k, v in body.items()
        }  # fmt: skip
        return gw.request(method, url, json=body, headers=headers)
    return gw.request(method, url, headers=headers)


def _operations(schema: dict) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_the_object_matrix_covers_every_object_operation_of_the_schema(schema):
    with_object = {(m, p) for m, p in _operations(schema) if "{" in p}
    covered = {(m, p) for m, p, _ in OBJECT_OPERATIONS} | PUBLIC_OBJECT_READS
    assert with_object == covered, {
        "missing from the matrix": sorted(with_object - covered),
        "not in the schema": sorted(covered - with_object),
    }


def _snapshot(gw: httpx.Client, world: World) -> dict:
    """What the owners see of their objects: must not change under attack."""
    ids, landlord, tenant = world.ids, world.landlord, world.tenant

    def get(path, account):
        response = gw.get(_fill(path, ids), headers=account.headers)
        assert response.status_code == 200, (path, response.text)
        return response.json()

    prop = get("/api/properties/{property_id}", landlord)
    slots = gw.get("/api/bookings/slots", params={"property_id": ids["property_id"]}).json()
    bookings = get("/api/bookings", tenant)["results"]
    rentals = get("/api/bookings/rentals", tenant)["results"]
    messages = get("/api/chat/conversations/{conversation_id}/messages", tenant)["results"]
    notifications = get("/api/notifications", tenant)["results"]
    lease = get("/api/rent/leases/{lease_id}", landlord)
    invoice = get("/api/rent/invoices/{invoice_id}", tenant)
    payments = get("/api/rent/payments", tenant)["results"]
    return {
        "property": (prop["title"], prop["status"], [i["id"] for i in prop["images"]]),
        "slot": [(s["id"], s["available_slots"]) for s in slots["results"]],
        "booking": [(b["id"], b["status"]) for b in bookings],
        "rentals": sorted((r["id"], r["status"]) for r in rentals),
        "messages": [m["id"] for m in messages],
        # Others keep arriving (events are asynchronous): the world's own one stays unread.
        "notification": [n["read_at"] for n in notifications if n["id"] == ids["notification_id"]],
        "lease": (lease["due_day"], lease["status"], lease["autopay"], lease["tenant_id"]),
        "invoice": invoice["status"],
        "payments": sorted((p["id"], p["status"]) for p in payments),
    }


@pytest.mark.parametrize("attacker", ["other_landlord", "other_tenant"])
def test_no_user_acts_on_another_users_objects(platform, world, attacker):
    account = getattr(world, attacker)
    with platform.client() as gw:
        before = _snapshot(gw, world)
        for method, path, body in OBJECT_OPERATIONS:
            response = _send(gw, method, path, body, account.headers, world.ids)
            assert response.status_code in (403, 404), (attacker, method, path, response.text)
            assert response.json()["code"] in ("forbidden", "not_found"), response.text
            # Nothing of the owner's leaks into a refusal.
            for secret in (world.landlord.email, world.tenant.email, "private to the two"):
                assert secret not in response.text
        assert _snapshot(gw, world) == before


def test_every_operation_but_the_public_ones_needs_a_token(platform, world, schema):
    with platform.client() as gw:
        for method, path in sorted(_operations(schema)):
            if (method, path) in PUBLIC_OPERATIONS:
                continue
            response = gw.request(
                method, _fill(path, world.ids), json={} if method != "GET" else None
            )
            assert response.status_code == 401, (method, path, response.status_code, response.text)
            assert response.json()["code"] == "not_authenticated"


LANDLORD_ONLY = [
    ("POST", "/api/properties", property_body()),
    ("POST", "/api/bookings/slots", {"property_id": "{property_id}", "capacity": 1,
                                      "starts_at": "2030-01-01T10:00:00Z",
                                      "ends_at": "2030-01-01T11:00:00Z"}),
    ("POST", "/api/bookings/rentals/{reservation_id}/approve", None),
    ("POST", "/api/bookings/rentals/{reservation_id}/reject", None),
    ("POST", "/api/rent/leases", {"property_id": "{property_id}", "tenant_id": "{tenant_id}",
                                  "start_date": "2031-01-01", "end_date": "2032-01-01"}),
    ("GET", "/api/rent/reports/rent-roll", None),
]  # fmt: skip
TENANT_ONLY = [
    ("POST", "/api/bookings", {"slot_id": "{slot_id}"}),
    ("POST", "/api/bookings/rentals", {"property_id": "{property_id}",
                                       "start_date": "2031-01-01", "end_date": "2031-06-01"}),
    ("POST", "/api/rent/invoices/{invoice_id}/pay", {"payment_method_id": "{payment_method_id}"}),
    ("POST", "/api/rent/payment-methods", {"payment_method_id": "pm_card_visa"}),
    ("POST", "/api/rent/payment-methods/setup", None),
    ("PATCH", "/api/rent/leases/{lease_id}", {"autopay": False}),  # the tenant's autopay switch
]  # fmt: skip


def test_a_tenant_cannot_call_landlord_operations_nor_a_landlord_tenant_ones(platform, world):
    ids = {**world.ids, "tenant_id": world.tenant.id}
    with platform.client() as gw:
        before = _snapshot(gw, world)
        # The tenant is party to these objects (its own reservation, lease):
        # still not its function.
        for method, path, body in LANDLORD_ONLY:
            response = _send(gw, method, path, body, world.tenant.headers, ids)
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["code"] == "forbidden"
        # The landlord owns the slot, the property, the lease: not its function either.
        for method, path, body in TENANT_ONLY:
            response = _send(gw, method, path, body, world.landlord.headers, ids)
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["code"] == "forbidden"
        assert _snapshot(gw, world) == before


def test_clients_cannot_set_roles_owners_statuses_counters_or_amounts(platform, world):
    ids = world.ids
    landlord, tenant = world.landlord, world.tenant
    with platform.client() as gw:
        # Roles: only tenant or landlord at registration, never changed later.
        for role in ("admin", "staff", "superuser"):
            response = gw.post("/api/auth/register", json={
                "email": unique_email("role"), "password": PASSWORD, "full_name": "R",
                "role": role})  # fmt: skip
            assert response.status_code == 400, response.text
        extra = gw.post("/api/auth/register", json={
            "email": unique_email("staff"), "password": PASSWORD, "full_name": "S",
            "role": "tenant", "is_staff": True, "is_superuser": True})  # fmt: skip
        assert extra.status_code == 400, extra.text
        for field, value in (("role", "landlord"), ("email", unique_email("x")), ("id", "1")):
            response = gw.patch("/api/auth/me", json={field: value}, headers=tenant.headers)
            assert response.status_code == 400, (field, response.text)
        me = gw.get("/api/auth/me", headers=tenant.headers).json()
        assert (me["role"], me["email"], me["id"]) == ("tenant", tenant.email, tenant.id)

        # Owners: a property is its creator's whatever the body says.
        body = property_body() | {"owner_id": world.other_landlord.id}
        assert gw.post("/api/properties", json=body, headers=landlord.headers).status_code == 400
        patch = gw.patch(f"/api/properties/{ids['property_id']}",
                         json={"owner_id": world.other_landlord.id}, headers=landlord.headers)  # fmt: skip
        assert patch.status_code == 400, patch.text
        owner = gw.get(f"/api/properties/{ids['property_id']}", headers=landlord.headers).json()
        assert owner["owner_id"] == landlord.id

        # Counters and statuses: the server's.
        slot = gw.post("/api/bookings/slots", headers=landlord.headers, json={
            "property_id": ids["property_id"], "capacity": 2, "available_slots": 500,
            "starts_at": "2030-02-01T10:00:00Z", "ends_at": "2030-02-01T11:00:00Z"})  # fmt: skip
        assert slot.status_code == 400, slot.text
        booking = gw.post("/api/bookings", headers=world.other_tenant.headers, json={
            "slot_id": ids["slot_id"], "tenant_id": tenant.id, "status": "cancelled"})  # fmt: skip
        assert booking.status_code == 400, booking.text
        rental = gw.post("/api/bookings/rentals", headers=world.other_tenant.headers, json={
            "property_id": ids["property_id"], "start_date": "2031-01-01",
            "end_date": "2031-06-01", "status": "confirmed"})  # fmt: skip
        assert rental.status_code == 400, rental.text

        # Amounts: what the invoice says, never what the client says.
        pay = gw.post(f"/api/rent/invoices/{ids['invoice_id']}/pay", headers=tenant.headers,
                      json={"payment_method_id": ids["payment_method_id"], "amount": "0.01"})  # fmt: skip
        assert pay.status_code == 400, pay.text
        for field, value in (("tenant_id", world.other_tenant.id), ("monthly_rent", "1.00"),
                             ("status", "ended")):  # fmt: skip
            lease = gw.patch(f"/api/rent/leases/{ids['lease_id']}", headers=tenant.headers,
                             json={"autopay": True, field: value})  # fmt: skip
            assert lease.status_code == 400, (field, lease.text)
        current = gw.get(f"/api/rent/leases/{ids['lease_id']}", headers=tenant.headers).json()
        assert current["tenant_id"] == tenant.id and current["status"] != "ended"
