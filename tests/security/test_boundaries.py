"""OWASP API Security Top 10 (2023), the boundary items, for EVERY service
(test_tokens_and_headers.py holds the full token matrix of auth_service):

- API8 security misconfiguration / spoofable identity: each service called
  directly on its own port, as a neighbour in the cluster could, answers 401
  to unsigned requests, to a client's own identity headers, to a signature
  made with another key and to a stale one; a signature built per
  ARCHITECTURE.md "Trust" is accepted (the control);
- through the gateway, identity headers a client adds never change who it is,
  on any service;
- API4 unrestricted resource consumption: every list of the merged schema
  caps `page_size` at 100 and refuses nonsense with 400; bodies over the
  gateway's limit are 413 before any service reads them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
import uuid

import httpx
import pytest
from support import property_body
from world import World, build

pytestmark = pytest.mark.services(
    "auth", "property", "booking", "rent", "chat", "notification", "search"
)

GATEWAY_KEY = os.environ["GATEWAY_SIGNING_KEY"]
# One protected read per service (it needs an identity).
PROTECTED = {
    "auth": "/api/auth/me",
    "property": "/api/properties?owner=me",
    "booking": "/api/bookings",
    "rent": "/api/rent/leases",
    "chat": "/api/chat/conversations",
    "notification": "/api/notifications",
    "search": "/api/search/properties?q=flat",
}


def signed(method: str, path: str, *, user_id: str, role: str, key: str = GATEWAY_KEY,
           age: int = 0) -> dict[str, str]:  # fmt: skip
    """The gateway's identity headers, built independently of the platform's
    code from the canonical string of ARCHITECTURE.md "Trust"."""
    timestamp = str(int(time.time()) - age)
    canonical = "\n".join([method, path, user_id, role, timestamp])
    return {
        "X-User-ID": user_id,
        "X-User-Role": role,
        "X-User-Email": "",
        "X-Request-ID": uuid.uuid4().hex,
        "X-Gateway-Timestamp": timestamp,
        "X-Gateway-Signature": hmac.new(
            key.encode(), canonical.encode(), hashlib.sha256
        ).hexdigest(),
    }


@pytest.fixture(scope="module")
def world(platform) -> World:
    with platform.client() as gw:
        return build(gw)


@pytest.mark.parametrize("service", sorted(PROTECTED))
def test_each_service_called_directly_trusts_only_a_fresh_gateway_signature(
    platform, world, service
):
    path = PROTECTED[service]
    user = world.landlord if service == "property" else world.tenant
    attempts = {
        "unsigned": {},
        "identity headers only": {"X-User-ID": user.id, "X-User-Role": "landlord"},
        "wrong key": signed("GET", path, user_id=user.id, role=user.role, key="attacker" * 8),
        "stale": signed("GET", path, user_id=user.id, role=user.role, age=300),
        "another path": signed("GET", "/api/auth/me", user_id=user.id, role=user.role)
        if path != "/api/auth/me" else signed("GET", "/api/bookings", user_id=user.id,
                                              role=user.role),
    }  # fmt: skip
    with httpx.Client(base_url=platform.url(service), timeout=30, trust_env=False) as direct:
        for name, headers in attempts.items():
            response = direct.get(path, headers=headers)
            assert response.status_code == 401, (service, name, response.text)
            assert response.json()["code"] == "not_authenticated", (service, name)
        control = direct.get(path, headers=signed("GET", path, user_id=user.id, role=user.role))
        assert control.status_code == 200, (service, control.text)


@pytest.mark.parametrize("service", sorted(PROTECTED))
def test_identity_headers_from_a_client_never_change_who_it_is(platform, world, service):
    # The caller claims to be someone else of the other role (property's own
    # list is a landlord's: there a landlord claims to be the other landlord).
    tenant, landlord = world.tenant, world.landlord
    if service == "property":
        tenant, landlord = world.landlord, world.other_landlord
    spoof = {
        "X-User-ID": landlord.id,
        "X-User-Role": "landlord",
        "X-User-Email": landlord.email,
        "X-Gateway-Signature": "forged",
        "X-Gateway-Timestamp": str(int(time.time())),
        "X-Forwarded-User": landlord.id,
        "Forwarded": "for=10.0.0.1;by=gateway",
        "X-Original-URL": "/api/rent/reports/rent-roll?month=2030-01",
        "X-Rewrite-URL": "/api/rent/reports/rent-roll?month=2030-01",
    }
    with platform.client() as gw:
        plain = gw.get(PROTECTED[service], headers=tenant.headers)
        spoofed = gw.get(PROTECTED[service], headers={**tenant.headers, **spoof})
        assert spoofed.status_code == plain.status_code == 200, (service, spoofed.text)
        assert spoofed.json() == plain.json()  # the tenant's own view, not the landlord's
        # Anonymous with the same headers: still anonymous.
        anonymous = gw.get(PROTECTED[service], headers=spoof)
        if service == "search":
            assert anonymous.status_code == 200  # public, and the same for everyone
        else:
            assert anonymous.status_code == 401, (service, anonymous.text)
        # And no role is gained: a landlord-only write stays forbidden to a tenant.
        write = gw.post("/api/properties", json=property_body(),
                        headers={**world.tenant.headers, **spoof})  # fmt: skip
        assert write.status_code == 403, write.text


def _lists(schema: dict) -> list[str]:
    """Every GET of the schema whose answer is a page (`count`, `results`, `next`)."""
    found = []
    for path, ops in schema["paths"].items():
        get = ops.get("get")
        if not get or "{" in path:
            continue
        names = {p["name"] for p in get.get("parameters", []) if p.get("in") == "query"}
        if "page_size" in names:
            found.append(path)
    return sorted(found)


def test_every_list_caps_page_size_and_refuses_nonsense(platform, world):
    with platform.client() as gw:
        schema = gw.get("/api/schema/").json()
        lists = _lists(schema)
        assert len(lists) >= 8, lists
        required = {"/api/search/properties": {"q": "flat"},
                    "/api/rent/invoices": {}, "/api/bookings/slots": {}}  # fmt: skip
        for path in lists:
            params = required.get(path, {})
            for account in (world.tenant, world.landlord):
                big = gw.get(path, params={**params, "page_size": 1000}, headers=account.headers)
                if big.status_code == 403:
                    continue  # the other role's list
                assert big.status_code == 200, (path, big.text)
                assert len(big.json()["results"]) <= 100
            huge = gw.get(path, params={**params, "page_size": "9" * 20},
                          headers=world.landlord.headers)  # fmt: skip
            assert huge.status_code in (200, 403), (path, huge.text)
            if huge.status_code == 200:
                assert len(huge.json()["results"]) <= 100  # capped, like 1000
            for bad in ("0", "-1", "abc", "1e9", "2.5"):
                response = gw.get(path, params={**params, "page_size": bad},
                                  headers=world.tenant.headers)  # fmt: skip
                assert response.status_code in (400, 403), (path, bad, response.text)
                if response.status_code == 400:
                    assert response.json()["code"] == "invalid", (path, bad)


def test_a_body_over_the_gateways_limit_is_413_before_any_service(platform, world):
    limit = int(os.environ.get("GATEWAY_MAX_BODY_BYTES", 12 * 1024 * 1024))
    body = b'{"title": "' + b"x" * (limit + 1024) + b'"}'
    with platform.client() as gw:
        response = gw.post(
            "/api/properties",
            content=body,
            headers={**world.landlord.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 413, response.text[:200]
        assert response.json()["code"] == "payload_too_large"
