"""The one place rent_service talks to Stripe, through the official `stripe`
library (StripeClient, API base from settings.STRIPE_API_BASE: Stripe in
production, localstripe offline, stripe-mock for the contract test).

Every call refuses to run inside a database transaction: a Stripe request
can take seconds, and a row lock or an open transaction held meanwhile would
stall every other writer of that row (ARCHITECTURE.md: Stripe is never called
inside a transaction or under a row lock). Writes carry the deterministic
idempotency keys the caller passes (payments.py), so a retried request is the
same request for Stripe.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import stripe
from django.conf import settings
from django.db import connection

# The library retries network failures (with the same idempotency key).
NETWORK_RETRIES = 2
TIMEOUT_SECONDS = 20


class CalledInTransaction(RuntimeError):
    """A Stripe call was attempted inside a database transaction."""


@cache
def _client(api_base: str, api_key: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base},
        max_network_retries=NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
    )


def client() -> stripe.StripeClient:
    if connection.in_atomic_block:
        raise CalledInTransaction("Stripe must not be called inside a database transaction.")
    return _client(settings.STRIPE_API_BASE.rstrip("/"), settings.STRIPE_SECRET_KEY)


def customer_create(*, tenant_id: str, idempotency_key: str) -> stripe.Customer:
    return client().v1.customers.create(
        params={"metadata": {"tenant_id": tenant_id}},
        options={"idempotency_key": idempotency_key},
    )


def payment_method_attach(*, payment_method: str, customer: str) -> stripe.PaymentMethod:
    return client().v1.payment_methods.attach(payment_method, params={"customer": customer})


def payment_intent_create(
    *,
    amount: int,
    currency: str,
    customer: str,
    payment_method: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> stripe.PaymentIntent:
    """An unconfirmed PaymentIntent: nothing is charged until `confirm`."""
    return client().v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": currency.lower(),
            "customer": customer,
            "payment_method": payment_method,
            "confirm": False,
            "metadata": metadata,
        },
        options={"idempotency_key": idempotency_key},
    )


def payment_intent_confirm(
    payment_intent: str, *, off_session: bool, idempotency_key: str
) -> stripe.PaymentIntent:
    params: dict[str, Any] = {}
    if off_session and settings.STRIPE_CONFIRM_OFF_SESSION:
        params["off_session"] = True
    return client().v1.payment_intents.confirm(
        payment_intent, params=params, options={"idempotency_key": idempotency_key}
    )


def payment_intent_retrieve(payment_intent: str) -> stripe.PaymentIntent:
    return client().v1.payment_intents.retrieve(payment_intent)


def setup_intent_create(*, customer: str) -> stripe.SetupIntent:
    """A SetupIntent to save a card for later off-session charges: the browser
    confirms it with Stripe.js (Elements) and gets the PaymentMethod id."""
    return client().v1.setup_intents.create(
        params={"customer": customer, "payment_method_types": ["card"], "usage": "off_session"}
    )
