"""One small world for the security suite, built through the REAL gateway:
two landlords and two tenants, and for the first of each an object of every
kind the API has (property with a photo, slot, booking, rental reservation
approved into a lease with its invoice paid by card, a conversation with a
message, a notification). The second landlord and tenant are the attackers
of the same role; each role is the other's attacker for function-level
checks."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx
from PIL import Image
from rentezy_platform.testing import wait_until
from support import Account, property_body, register_account, retry_until


@dataclass
class World:
    landlord: Account
    tenant: Account
    other_landlord: Account
    other_tenant: Account
    ids: dict[str, str] = field(default_factory=dict)


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def build(gw: httpx.Client) -> World:
    world = World(*(register_account(gw, role=r) for r in ("landlord", "tenant") * 2))
    landlord, tenant = world.landlord, world.tenant
    ids = world.ids

    prop = gw.post("/api/properties", json=property_body(), headers=landlord.headers)
    assert prop.status_code == 201, prop.text
    ids["property_id"] = prop.json()["id"]
    image = gw.post(
        f"/api/properties/{ids['property_id']}/images",
        files={"image": ("a.jpg", _jpeg(), "image/jpeg")},
        headers=landlord.headers,
    )
    assert image.status_code == 201, image.text
    ids["image_id"] = image.json()["id"]

    start = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=6)
    slot_body = {
        "property_id": ids["property_id"],
        "starts_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "capacity": 5,
    }
    slot = retry_until(
        lambda: gw.post("/api/bookings/slots", json=slot_body, headers=landlord.headers),
        until=lambda r: r.status_code != 404,
    )
    assert slot.status_code == 201, slot.text
    ids["slot_id"] = slot.json()["id"]
    booking = gw.post("/api/bookings", json={"slot_id": ids["slot_id"]}, headers=tenant.headers)
    assert booking.status_code == 201, booking.text
    ids["booking_id"] = booking.json()["id"]

    # A reservation left pending (for approve/reject/cancel attempts) and one
    # approved into a lease, on a second property.
    first = date.today() + timedelta(days=30)
    rental = gw.post(
        "/api/bookings/rentals",
        json={"property_id": ids["property_id"], "start_date": str(first),
              "end_date": str(first + timedelta(days=200))},
        headers=tenant.headers,
    )  # fmt: skip
    assert rental.status_code == 201, rental.text
    ids["reservation_id"] = rental.json()["id"]
    leased = gw.post("/api/properties", json=property_body(), headers=landlord.headers)
    assert leased.status_code == 201, leased.text
    leased_id = leased.json()["id"]
    approved_body = {"property_id": leased_id, "start_date": str(first),
                     "end_date": str(first + timedelta(days=400))}  # fmt: skip
    to_approve = retry_until(
        lambda: gw.post("/api/bookings/rentals", json=approved_body, headers=tenant.headers),
        until=lambda r: r.status_code != 404,
    )
    assert to_approve.status_code == 201, to_approve.text
    approve = gw.post(
        f"/api/bookings/rentals/{to_approve.json()['id']}/approve", headers=landlord.headers
    )
    assert approve.status_code == 200, approve.text

    def lease():
        rows = gw.get("/api/rent/leases", headers=tenant.headers).json()["results"]
        return next((row for row in rows if row["property_id"] == leased_id), None)

    ids["lease_id"] = wait_until(lease, timeout=60, message="the lease")["id"]
    invoices = gw.get(
        "/api/rent/invoices", params={"lease_id": ids["lease_id"]}, headers=tenant.headers
    ).json()["results"]
    ids["invoice_id"] = invoices[0]["id"]
    card = gw.post(
        "/api/rent/payment-methods", json={"payment_method_id": "pm_card_visa"},
        headers=tenant.headers,
    )  # fmt: skip
    assert card.status_code == 201, card.text
    ids["payment_method_id"] = card.json()["id"]
    paid = gw.post(
        f"/api/rent/invoices/{ids['invoice_id']}/pay",
        json={"payment_method_id": ids["payment_method_id"]},
        headers=tenant.headers,
    )
    assert paid.status_code == 200, paid.text
    ids["payment_id"] = paid.json()["payment_id"]

    conversation = retry_until(
        lambda: gw.post(
            "/api/chat/conversations", json={"participant_id": landlord.id}, headers=tenant.headers
        ),  # fmt: skip
        until=lambda r: r.status_code in (200, 201),
    )
    assert conversation.status_code in (200, 201), conversation.text
    ids["conversation_id"] = conversation.json()["id"]
    message = gw.post(
        f"/api/chat/conversations/{ids['conversation_id']}/messages",
        json={"body": "private to the two of us"},
        headers=tenant.headers,
    )
    assert message.status_code == 201, message.text
    ids["message_id"] = message.json()["id"]

    def notification():
        rows = gw.get("/api/notifications", headers=tenant.headers).json()["results"]
        return rows[0]["id"] if rows else None

    ids["notification_id"] = wait_until(notification, timeout=60, message="a notification")
    return world
