"""Stripe's webhook through the REAL gateway to rent_service: only a body
signed with the endpoint's secret within the last 5 minutes counts. Unsigned,
tampered, wrongly signed, stale and garbled ones are 400s in the error shape
and change nothing (a genuine one from localstripe is applied once:
tests/test_rent_e2e.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import pytest

pytestmark = pytest.mark.services("auth", "rent")


def signed(payload: bytes, secret: str, *, at: int | None = None) -> str:
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def test_unsigned_tampered_and_stale_webhooks_are_400_through_the_gateway(gw, platform):
    secret = platform.env["STRIPE_WEBHOOK_SECRET"]
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "data": {"object": {"id": f"pi_{uuid.uuid4().hex}", "object": "payment_intent"}},
    }
    payload = json.dumps(event).encode()
    url = "/api/rent/webhooks/stripe"
    cases = {
        "unsigned": ({}, payload),
        "tampered": (
            {"Stripe-Signature": signed(payload, secret)},
            payload.replace(b"succeeded", b"failed"),
        ),
        "wrong secret": ({"Stripe-Signature": signed(payload, "whsec_wrong")}, payload),
        "stale": (
            {"Stripe-Signature": signed(payload, secret, at=int(time.time()) - 301)},
            payload,
        ),
        "garbage header": ({"Stripe-Signature": "t=x,v1=zz"}, payload),
    }
    for name, (headers, body) in cases.items():
        response = gw.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}
        )
        assert response.status_code == 400, (name, response.text)
        assert set(response.json()) >= {"code", "message"}, name
    fresh = gw.post(
        url,
        content=payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": signed(payload, secret)},
    )
    # Verified; a PaymentIntent rent_service does not know changes nothing.
    assert fresh.status_code == 200, fresh.text
