"""Payments against real PostgreSQL and a real Stripe stand-in: localstripe
(stateful: customers, cards, PaymentIntents, charges that succeed or fail,
webhooks signed with STRIPE_WEBHOOK_SECRET) at settings.STRIPE_API_BASE.

The tests run with `transaction=True`: rent_service refuses to call Stripe
inside a database transaction (stripe_api.CalledInTransaction), and
pytest-django's default wraps each test in one, so every Stripe call below
also proves it is made outside any transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import stripe
from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings
from rent import payments, stripe_api
from rent.models import (
    Invoice,
    InvoiceStatus,
    Lease,
    Payment,
    PaymentMethod,
    PaymentSource,
    PaymentStatus,
    StripeCustomer,
    StripeEvent,
)
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.testing import Caller
from rentezy_platform.trust import Actor

pytestmark = pytest.mark.django_db(transaction=True)

WEBHOOK = "/api/rent/webhooks/stripe"
METHODS = "/api/rent/payment-methods"
SUCCEEDED = "rentezy.payment.payment_succeeded.v1"
FAILED = "rentezy.payment.payment_failed.v1"


def actor(caller: Caller) -> Actor:
    return Actor(user_id=uuid.UUID(caller.user_id), role=caller.role)


def pay_path(invoice: Invoice) -> str:
    return f"/api/rent/invoices/{invoice.pk}/pay"


def first_invoice(lease: Lease) -> Invoice:
    return Invoice.objects.get(lease=lease, is_first=True)


def events(type_: str, invoice: Invoice) -> list[dict]:
    return [
        m.payload["data"]
        for m in OutboxMessage.objects.filter(type=type_).order_by("id")
        if m.payload["data"]["invoice_id"] == str(invoice.pk)
    ]


def intents_of(tenant: Caller) -> list[stripe.PaymentIntent]:
    """Every PaymentIntent localstripe holds for the tenant's customer."""
    customer = StripeCustomer.objects.get(tenant_id=tenant.user_id).stripe_customer_id
    listed = stripe_api.client().v1.payment_intents.list(params={"limit": 100})
    return [intent for intent in listed.auto_paging_iter() if intent.customer == customer]


def save_card(gateway, tenant: Caller, stripe_id: str = "pm_card_visa") -> dict:
    response = gateway.post(METHODS, {"payment_method_id": stripe_id}, as_=tenant)
    assert response.status_code == 201, response.content
    return response.json()


def signed_webhook(gateway, event: dict, *, secret: str | None = None, at: int | None = None):
    payload = json.dumps(event).encode()
    timestamp = int(time.time()) if at is None else at
    key = (secret or settings.STRIPE_WEBHOOK_SECRET).encode()
    digest = hmac.new(key, f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return gateway.post(
        WEBHOOK, raw=payload, headers={"Stripe-Signature": f"t={timestamp},v1={digest}"}
    )


def intent_event(intent: stripe.PaymentIntent, type_: str = "payment_intent.succeeded") -> dict:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": type_,
        "created": int(time.time()),
        "data": {"object": intent.to_dict()},
    }


# --- cards ------------------------------------------------------------------------


def test_a_tenant_saves_a_card_and_a_refused_card_is_a_402_in_the_error_shape(
    gateway, tenant, landlord
):
    card = save_card(gateway, tenant)
    assert (card["brand"], card["last4"]) == ("visa", "4242")
    listed = gateway.get(METHODS, as_=tenant).json()
    assert [c["id"] for c in listed["results"]] == [card["id"]]

    refused = gateway.post(
        METHODS, {"payment_method_id": "pm_card_visa_chargeDeclined"}, as_=tenant
    )
    assert refused.status_code == 402
    assert refused.json()["code"] == "card_declined" and refused.json()["message"]
    unknown = gateway.post(METHODS, {"payment_method_id": "pm_nope"}, as_=tenant)
    assert unknown.status_code == 400 and "payment_method_id" in unknown.json()["fields"]
    assert (
        gateway.post(METHODS, {"payment_method_id": "pm_card_visa"}, as_=landlord).status_code
        == 403
    )
    assert gateway.post(METHODS, {"payment_method_id": 5}, as_=tenant).status_code == 400
    # Not the shape of a Stripe id: refused before any request to Stripe.
    for junk in ["\u0017\u0017:", "pm_€", "../v1/customers", "pm_", "cus_123"]:
        answer = gateway.post(METHODS, {"payment_method_id": junk}, as_=tenant)
        assert answer.status_code == 400, (junk, answer.content)
        assert answer.json()["code"] == "invalid" and "payment_method_id" in answer.json()["fields"]
    assert PaymentMethod.objects.filter(tenant_id=tenant.user_id).count() == 1


# --- paying -----------------------------------------------------------------------


def test_paying_the_first_invoice_by_card_marks_it_paid_with_one_payment(
    gateway, tenant, landlord, other_tenant, make_lease
):
    lease = make_lease(tenant, landlord)
    invoice = first_invoice(lease)
    card = save_card(gateway, tenant)
    assert gateway.post(pay_path(invoice), {}, as_=other_tenant).status_code == 404
    assert gateway.post(pay_path(invoice), {}, as_=landlord).status_code == 403

    response = gateway.post(pay_path(invoice), {"payment_method_id": card["id"]}, as_=tenant)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["invoice_status"], body["amount"]) == (
        "succeeded",
        "paid",
        "3822.58",
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid_minor, invoice.balance_minor) == (
        InvoiceStatus.PAID,
        382_258,
        0,
    )
    assert Payment.objects.filter(invoice=invoice, status=PaymentStatus.SUCCEEDED).count() == 1
    assert [e["amount_minor"] for e in events(SUCCEEDED, invoice)] == [382_258]
    assert events(SUCCEEDED, invoice)[0]["is_first_invoice"] is True
    assert [i.status for i in intents_of(tenant)] == ["succeeded"]

    again = gateway.post(pay_path(invoice), {}, as_=tenant)
    assert (again.status_code, again.json()["code"]) == (409, "invoice_not_payable")


def test_a_card_that_fails_leaves_the_invoice_open_and_emits_payment_failed(
    gateway, tenant, landlord, make_lease
):
    invoice = first_invoice(make_lease(tenant, landlord))
    save_card(gateway, tenant, "pm_card_chargeCustomerFail")
    response = gateway.post(pay_path(invoice), {}, as_=tenant)
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["failure_code"]) == (
        "failed",
        "card_declined",
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid_minor) == (InvoiceStatus.OPEN, 0)
    (failed,) = events(FAILED, invoice)
    assert (failed["reason"], failed["is_first_invoice"], failed["amount_minor"]) == (
        "card_declined",
        True,
        382_258,
    )
    # A better card pays it: a second attempt, charged once.
    good = save_card(gateway, tenant)
    paid = gateway.post(pay_path(invoice), {"payment_method_id": good["id"]}, as_=tenant)
    assert paid.json()["status"] == "succeeded"
    assert sorted(Payment.objects.filter(invoice=invoice).values_list("attempt", "status")) == [
        (1, "failed"),
        (2, "succeeded"),
    ]


def test_an_idempotent_retry_of_pay_replays_and_another_body_is_refused(
    gateway, tenant, landlord, make_lease
):
    invoice = first_invoice(make_lease(tenant, landlord))
    card = save_card(gateway, tenant)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = gateway.post(
        pay_path(invoice), {"payment_method_id": card["id"]}, as_=tenant, headers=key
    )
    second = gateway.post(
        pay_path(invoice), {"payment_method_id": card["id"]}, as_=tenant, headers=key
    )
    assert first.status_code == second.status_code == 200
    assert second.content == first.content and second["Idempotent-Replayed"] == "true"
    other = gateway.post(pay_path(invoice), {}, as_=tenant, headers=key)
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert len(intents_of(tenant)) == 1


def test_concurrent_pay_requests_charge_once(gateway, tenant, landlord, make_lease):
    invoice = first_invoice(make_lease(tenant, landlord))
    save_card(gateway, tenant)
    barrier = threading.Barrier(4)

    def pay(_: int):
        barrier.wait()
        try:
            return payments.invoice_pay(actor=actor(tenant), invoice_id=invoice.pk).status
        except (payments.PaymentInProgress, payments.InvoiceNotPayable) as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(pay, range(4)))
    assert outcomes.count("succeeded") == 1, outcomes
    assert set(outcomes) <= {"succeeded", "payment_in_progress", "invoice_not_payable"}
    assert Payment.objects.filter(invoice=invoice, status=PaymentStatus.SUCCEEDED).count() == 1
    assert [i.status for i in intents_of(tenant)] == ["succeeded"]


# --- crashes and retries ------------------------------------------------------------


def _pending(invoice: Invoice, tenant: Caller, source=PaymentSource.AUTOPAY) -> Payment:
    card = PaymentMethod.objects.get(tenant_id=tenant.user_id)
    payment, in_flight = payments._payment_start(invoice_id=invoice.pk, source=source, method=card)
    assert in_flight is None
    return payment


def test_a_crash_after_the_intent_was_stored_then_a_retry_charges_once(
    gateway, tenant, landlord, make_lease
):
    invoice = first_invoice(make_lease(tenant, landlord))
    save_card(gateway, tenant)
    payment = _pending(invoice, tenant)
    # The first run created and stored its PaymentIntent, then died.
    customer = payments.stripe_customer_id(tenant_id=tenant.user_id)
    intent = stripe_api.payment_intent_create(
        amount=payment.amount_minor,
        currency=payment.currency,
        customer=customer,
        payment_method=payment.payment_method.stripe_payment_method_id,
        metadata={"invoice_id": str(invoice.pk), "payment_id": str(payment.pk)},
        idempotency_key=payment.idempotency_key("create"),
    )
    Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id=intent.id)
    # The retried autopay task finds its pending payment and finishes it.
    Lease.objects.filter(pk=invoice.lease_id).update(autopay=True)
    done = payments.autopay_charge(invoice_id=invoice.pk, on=invoice.due_date)
    again = payments.autopay_charge(invoice_id=invoice.pk, on=invoice.due_date)
    assert done.pk == payment.pk and again is None
    assert done.status == PaymentStatus.SUCCEEDED
    assert payments.payment_run(payment).status == PaymentStatus.SUCCEEDED  # a third run: no-op
    assert [(i.id, i.status) for i in intents_of(tenant)] == [(intent.id, "succeeded")]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid_minor) == (InvoiceStatus.PAID, payment.amount_minor)
    assert len(events(SUCCEEDED, invoice)) == 1


def test_a_crash_before_the_intent_was_stored_leaves_an_unconfirmed_one_and_charges_once(
    gateway, tenant, landlord, make_lease
):
    invoice = first_invoice(make_lease(tenant, landlord))
    save_card(gateway, tenant)
    payment = _pending(invoice, tenant)
    customer = payments.stripe_customer_id(tenant_id=tenant.user_id)
    # The first run's create reached Stripe, but the process died before storing its id.
    lost = stripe_api.payment_intent_create(
        amount=payment.amount_minor,
        currency=payment.currency,
        customer=customer,
        payment_method=payment.payment_method.stripe_payment_method_id,
        metadata={"invoice_id": str(invoice.pk), "payment_id": str(payment.pk)},
        idempotency_key=payment.idempotency_key("create"),
    )
    done = payments.payment_run(payment)
    assert done.status == PaymentStatus.SUCCEEDED
    statuses = {i.id: i.status for i in intents_of(tenant)}
    # Real Stripe would return `lost` again for the same key; localstripe made
    # a second one. Either way only the stored one was confirmed and charged.
    assert sorted(statuses.values()).count("succeeded") == 1
    if len(statuses) == 2:
        assert statuses[lost.id] == "requires_confirmation"


def test_the_same_charge_run_twice_concurrently_charges_once(gateway, tenant, landlord, make_lease):
    lease = make_lease(tenant, landlord, start_date="2027-01-01")
    Lease.objects.filter(pk=lease.pk).update(autopay=True)
    invoice = first_invoice(lease)
    save_card(gateway, tenant)
    barrier = threading.Barrier(2)

    def charge(_: int):
        barrier.wait()
        try:
            result = payments.autopay_charge(invoice_id=invoice.pk, on=invoice.due_date)
            return result.status if result else None
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(charge, range(2)))
    assert PaymentStatus.SUCCEEDED in outcomes
    assert Payment.objects.filter(invoice=invoice).count() == 1  # one attempt, run by both
    assert Payment.objects.filter(invoice=invoice, status=PaymentStatus.SUCCEEDED).count() == 1
    # Both runs may have created a PaymentIntent for the attempt (localstripe
    # ignores the shared idempotency key; Stripe would return the same one),
    # but only the stored one was confirmed: one charge.
    statuses = Counter(i.status for i in intents_of(tenant))
    assert statuses["succeeded"] == 1 and set(statuses) <= {"succeeded", "requires_confirmation"}
    invoice.refresh_from_db()
    assert (invoice.status, invoice.autopay_attempts) == (InvoiceStatus.PAID, 1)


# --- autopay ----------------------------------------------------------------------


def test_autopay_retries_a_soft_decline_on_later_days_within_its_bound(
    gateway, tenant, landlord, make_lease
):
    lease = make_lease(tenant, landlord, start_date="2027-01-01")
    Lease.objects.filter(pk=lease.pk).update(autopay=True)
    invoice = first_invoice(lease)
    save_card(gateway, tenant, "pm_card_chargeCustomerFail")
    due = invoice.due_date
    assert payments.autopay_charge(invoice_id=invoice.pk, on=due - timedelta(days=1)) is None
    first = payments.autopay_charge(invoice_id=invoice.pk, on=due)
    assert (first.status, first.failure_code) == (PaymentStatus.FAILED, "card_declined")
    assert payments.autopay_charge(invoice_id=invoice.pk, on=due) is None  # once a day
    outcomes = [
        payments.autopay_charge(invoice_id=invoice.pk, on=due + timedelta(days=n))
        for n in (1, 2, 3, 4)
    ]
    assert [o.status if o else None for o in outcomes] == ["failed", "failed", None, None]
    invoice.refresh_from_db()
    assert invoice.autopay_attempts == settings.RENT_AUTOPAY_MAX_ATTEMPTS == 3
    assert len(events(FAILED, invoice)) == 3
    assert all(i.status == "requires_payment_method" for i in intents_of(tenant))


def test_a_hard_decline_code_is_told_from_a_soft_one():
    def card_error(code: str, decline: str | None) -> stripe.CardError:
        body = {"error": {"type": "card_error", "code": code, "message": "no"}}
        if decline:
            body["error"]["decline_code"] = decline
        return stripe.CardError("no", None, code, json_body=body, http_status=402)

    assert payments._decline_code(card_error("card_declined", "stolen_card")) == "stolen_card"
    assert payments._decline_code(card_error("expired_card", None)) == "expired_card"
    assert payments._decline_code(card_error("card_declined", "insufficient_funds")) == (
        "insufficient_funds"
    )
    assert {"stolen_card", "expired_card"} <= payments.HARD_DECLINE_CODES
    assert "insufficient_funds" not in payments.HARD_DECLINE_CODES


# --- the webhook ------------------------------------------------------------------


def _confirmed_but_unapplied(
    gateway, tenant, landlord, make_lease
) -> tuple[Invoice, Payment, stripe.PaymentIntent]:
    """A payment whose PaymentIntent succeeded at Stripe, before the service
    applied the synchronous answer (what a webhook overtaking it sees)."""
    invoice = first_invoice(make_lease(tenant, landlord))
    save_card(gateway, tenant)
    payment = _pending(invoice, tenant, source=PaymentSource.TENANT)
    intent = stripe_api.payment_intent_create(
        amount=payment.amount_minor,
        currency=payment.currency,
        customer=payments.stripe_customer_id(tenant_id=tenant.user_id),
        payment_method=payment.payment_method.stripe_payment_method_id,
        metadata={"invoice_id": str(invoice.pk), "payment_id": str(payment.pk)},
        idempotency_key=payment.idempotency_key("create"),
    )
    Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id=intent.id)
    intent = stripe_api.payment_intent_confirm(intent.id, off_session=False, idempotency_key="c")
    assert intent.status == "succeeded"
    return invoice, payment, intent


def test_a_webhook_before_the_synchronous_answer_counts_once(gateway, tenant, landlord, make_lease):
    invoice, payment, intent = _confirmed_but_unapplied(gateway, tenant, landlord, make_lease)
    response = signed_webhook(gateway, intent_event(intent))
    assert (response.status_code, response.json()["result"]) == (200, "applied")
    payments.payment_apply_intent(
        payment_id=payment.pk, intent=intent
    )  # the late synchronous answer
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid_minor) == (InvoiceStatus.PAID, payment.amount_minor)
    assert len(events(SUCCEEDED, invoice)) == 1


def test_the_same_webhook_five_times_concurrently_is_applied_once(
    gateway, client, tenant, landlord, make_lease
):
    invoice, payment, intent = _confirmed_but_unapplied(gateway, tenant, landlord, make_lease)
    event = intent_event(intent)
    barrier = threading.Barrier(5)

    def deliver(_: int):
        from django.test import Client
        from rentezy_platform.testing import SignedClient

        own = SignedClient(Client())
        barrier.wait()
        try:
            return signed_webhook(own, event).json()["result"]
        finally:
            connection.close()

    with ThreadPoolExecutor(5) as pool:
        results = sorted(pool.map(deliver, range(5)))
    assert results == ["applied", "duplicate", "duplicate", "duplicate", "duplicate"]
    invoice.refresh_from_db()
    assert invoice.amount_paid_minor == payment.amount_minor
    assert StripeEvent.objects.filter(pk=event["id"]).count() == 1
    assert len(events(SUCCEEDED, invoice)) == 1


def test_unsigned_tampered_stale_and_mismatched_webhooks_change_nothing(
    gateway, tenant, landlord, make_lease
):
    invoice, payment, intent = _confirmed_but_unapplied(gateway, tenant, landlord, make_lease)
    event = intent_event(intent)
    payload = json.dumps(event).encode()
    timestamp = int(time.time())
    digest = hmac.new(
        settings.STRIPE_WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    tampered = payload.replace(b'"amount": ', b'"amount": 1')
    refused = {
        "unsigned": gateway.post(WEBHOOK, raw=payload),
        "wrong secret": signed_webhook(gateway, event, secret="whsec_wrong"),
        "stale": signed_webhook(gateway, event, at=int(time.time()) - 301),
        "tampered": gateway.post(
            WEBHOOK, raw=tampered, headers={"Stripe-Signature": f"t={timestamp},v1={digest}"}
        ),
        "not JSON": gateway.post(
            WEBHOOK, raw=b"{", headers={"Stripe-Signature": f"t={timestamp},v1={digest}"}
        ),
    }
    for name, response in refused.items():
        assert response.status_code == 400, name
        assert response.json()["code"] == "invalid_signature", name
    # Signed, but for another amount than the payment's: ignored.
    mismatched = {**intent.to_dict(), "amount": payment.amount_minor + 1}
    ignored = signed_webhook(
        gateway, {**event, "id": "evt_mismatch", "data": {"object": mismatched}}
    )
    assert ignored.status_code == 200
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid_minor) == (InvoiceStatus.OPEN, 0)
    assert events(SUCCEEDED, invoice) == []
    # The genuine one applies.
    assert signed_webhook(gateway, event).json()["result"] == "applied"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


# --- reconciliation ---------------------------------------------------------------


def test_reconciliation_settles_what_a_crash_left_pending(gateway, tenant, landlord, make_lease):
    invoice, payment, intent = _confirmed_but_unapplied(gateway, tenant, landlord, make_lease)
    other_lease = make_lease(tenant, landlord, property_id=str(uuid.uuid4()))
    never_sent = _pending(first_invoice(other_lease), tenant)
    assert payments.payments_reconcile_stale(older_than_seconds=3600) == 0
    assert payments.payments_reconcile_stale(older_than_seconds=0) == 2
    payment.refresh_from_db()
    never_sent.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert (never_sent.status, never_sent.failure_code) == (PaymentStatus.FAILED, "abandoned")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


# --- saving a card with Elements: a SetupIntent ---------------------------------------


def test_a_card_saved_through_a_setup_intent_as_stripe_js_does_is_then_chargeable(
    gateway, tenant, landlord, make_lease
):
    import httpx

    response = gateway.post(METHODS + "/setup", as_=tenant)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["client_secret"].startswith("seti_") and "_secret_" in body["client_secret"]
    assert (body["publishable_key"], body["stripe_js_url"]) == (
        settings.STRIPE_PUBLISHABLE_KEY,
        settings.STRIPE_JS_URL,
    )
    # What the Stripe.js stand-in that localstripe serves sends from the
    # browser on stripe.confirmCardSetup(client_secret, {payment_method: {card}}).
    intent_id = body["client_secret"].split("_secret_")[0]
    confirmed = httpx.post(
        f"{settings.STRIPE_API_BASE}/v1/setup_intents/{intent_id}/confirm",
        content=json.dumps(
            {
                "key": settings.STRIPE_PUBLISHABLE_KEY,
                "use_stripe_sdk": True,
                "client_secret": body["client_secret"],
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": "4242424242424242", "exp_month": "12", "exp_year": "2034",
                             "cvc": "123"},
                    "billing_details": {"address": {"postal_code": "10001"}},
                },
            }
        ),
        timeout=10,
        trust_env=False,
    )  # fmt: skip
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    method_id = confirmed.json()["payment_method"]

    saved = save_card(gateway, tenant, method_id)
    assert (saved["brand"], saved["last4"]) == ("visa", "4242")
    invoice = first_invoice(make_lease(tenant, landlord))
    paid = gateway.post(pay_path(invoice), {"payment_method_id": saved["id"]}, as_=tenant)
    assert (paid.status_code, paid.json()["status"]) == (200, "succeeded")
    for who in (landlord, None):
        refused = gateway.post(METHODS + "/setup", as_=who)
        assert refused.status_code == (403 if who else 401)


# --- no Stripe call inside a transaction ------------------------------------------


def test_stripe_is_never_called_inside_a_database_transaction(tenant):
    with transaction.atomic(), pytest.raises(stripe_api.CalledInTransaction):
        payments.stripe_customer_id(tenant_id=tenant.user_id)


# --- the contract: every Stripe request, checked by stripe-mock --------------------


def test_every_stripe_request_the_service_makes_is_valid_for_stripes_openapi():
    """stripe-mock validates each request against Stripe's OpenAPI (it answers
    400 to an unknown parameter or a wrong type) and answers canned objects."""
    with override_settings(
        STRIPE_API_BASE=settings.STRIPE_MOCK_URL, STRIPE_CONFIRM_OFF_SESSION=True
    ):
        customer = stripe_api.customer_create(tenant_id=str(uuid.uuid4()), idempotency_key="k-1")
        method = stripe_api.payment_method_attach(
            payment_method="pm_card_visa", customer=customer.id
        )
        intent = stripe_api.payment_intent_create(
            amount=382_258,
            currency="USD",
            customer=customer.id,
            payment_method=method.id,
            metadata={"invoice_id": str(uuid.uuid4()), "payment_id": str(uuid.uuid4())},
            idempotency_key="k-2",
        )
        for off_session in (True, False):
            stripe_api.payment_intent_confirm(
                intent.id, off_session=off_session, idempotency_key="k-3"
            )
        stripe_api.payment_intent_retrieve(intent.id)
        stripe_api.setup_intent_create(customer=customer.id)
        with pytest.raises(stripe.InvalidRequestError):  # and it does refuse a bad request
            stripe_api.client().v1.payment_intents.create(params={"amount": "lots"})
