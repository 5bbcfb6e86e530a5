"""Payments of rent_service through Stripe: the tenants' Stripe customers and
saved cards, paying an invoice (by the tenant, or by autopay on the due
date), the Stripe webhook, and the reconciliation of payments left pending.

No double charge, whatever fails (ARCHITECTURE.md, Correctness):

- One payment in flight per invoice (a partial unique index): a second pay
  request meanwhile is a 409 `payment_in_progress`, a second autopay run finds
  the pending one and finishes it instead of starting another.
- A payment is a numbered attempt of its invoice, and its Stripe requests
  carry deterministic idempotency keys (`rentezy-invoice-<id>-attempt-<n>-
  create|confirm`), so Stripe treats a retried request as the same request.
- The PaymentIntent is created unconfirmed and its id stored BEFORE it is
  confirmed; only a stored PaymentIntent is ever confirmed, and a retry (a
  worker killed midway, a second run) retrieves it and finishes it. So even a
  Stripe that ignored idempotency keys (localstripe does) charges once: an
  unconfirmed duplicate PaymentIntent charges nothing.
- Stripe is never called inside a database transaction or under a row lock
  (stripe_api refuses to): each step commits before the next call.
- Outcomes are applied by conditional updates under the invoice's row lock:
  `pending → succeeded` adds the amount to the invoice once, whether the
  synchronous answer or the webhook comes first, and a webhook delivered five
  times is applied once (its event id is stored in the same transaction as
  its effect). The webhook is the source of truth; a synchronous success may
  mark the invoice paid early, and the webhook then changes nothing.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from rentezy_platform.errors import ApplicationError, Conflict, Forbidden, InvalidInput, NotFound
from rentezy_platform.parsing import uuid_or_none
from rentezy_platform.trust import Actor

from rent import stripe_api
from rent.events import enqueue_payment_failed, enqueue_payment_succeeded
from rent.models import (
    UNPAID_INVOICE_STATUSES,
    Invoice,
    InvoiceStatus,
    LeaseStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
    PaymentStatus,
    StripeCustomer,
    StripeEvent,
)

logger = logging.getLogger(__name__)

TENANT = "tenant"

# Stripe's decline codes after which retrying the same card is pointless
# (docs: "Declines" — the card is lost, stolen, closed, expired, wrong, or
# the issuer said never to try again); anything else (insufficient_funds,
# generic_decline, processing_error, try_again_later...) is a soft decline
# that autopay retries on a later day, within RENT_AUTOPAY_MAX_ATTEMPTS.
HARD_DECLINE_CODES = frozenset(
    {
        "card_not_supported",
        "do_not_try_again",
        "expired_card",
        "fraudulent",
        "incorrect_number",
        "invalid_account",
        "invalid_number",
        "lost_card",
        "merchant_blacklist",
        "pickup_card",
        "restricted_card",
        "revocation_of_all_authorizations",
        "revocation_of_authorization",
        "security_violation",
        "stolen_card",
        "stop_payment_order",
        "transaction_not_allowed",
    }
)
ABANDONED = "abandoned"
AUTHENTICATION_REQUIRED = "authentication_required"

WEBHOOK_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed")


# --- errors -----------------------------------------------------------------------


class CardDeclined(ApplicationError):
    default_code = "card_declined"
    default_message = "The card was declined."
    default_status = 402


class PaymentProviderUnavailable(ApplicationError):
    default_code = "payment_provider_unavailable"
    default_message = "The payment provider could not be reached; try again in a moment."
    default_status = 503


class InvoiceNotPayable(Conflict):
    default_code = "invoice_not_payable"
    default_message = "This invoice has nothing left to pay."


class PaymentInProgress(Conflict):
    default_code = "payment_in_progress"
    default_message = "A payment of this invoice is already in progress."


class InvalidSignature(ApplicationError):
    default_code = "invalid_signature"
    default_message = "The Stripe-Signature header does not verify this payload."


# --- customers and cards ------------------------------------------------------------


def stripe_customer_id(*, tenant_id: Any) -> str:
    """The tenant's Stripe customer, created on first use (a concurrent first
    use keeps one: the other's customer is left unused)."""
    existing = StripeCustomer.objects.filter(tenant_id=tenant_id).first()
    if existing is not None:
        return existing.stripe_customer_id
    customer = _stripe(
        lambda: stripe_api.customer_create(
            tenant_id=str(tenant_id), idempotency_key=f"rentezy-customer-{tenant_id}"
        )
    )
    try:
        with transaction.atomic():
            StripeCustomer.objects.create(tenant_id=tenant_id, stripe_customer_id=customer.id)
    except IntegrityError:
        pass
    return StripeCustomer.objects.get(tenant_id=tenant_id).stripe_customer_id


def _stripe(call):
    """Run one Stripe call; its connection and server failures become a 503
    in the API's shape (never a 500). Card errors are the caller's to handle."""
    try:
        return call()
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
        logger.warning("Stripe unavailable: %s", exc)
        raise PaymentProviderUnavailable() from exc


def payment_method_attach(*, actor: Actor, stripe_payment_method_id: str) -> PaymentMethod:
    """Save a card (a Stripe PaymentMethod id, e.g. from Elements or
    `pm_card_visa`) to the tenant's Stripe customer."""
    if actor.role != TENANT:
        raise Forbidden(message="Only tenants save cards.")
    customer = stripe_customer_id(tenant_id=actor.user_id)
    try:
        method = _stripe(
            lambda: stripe_api.payment_method_attach(
                payment_method=stripe_payment_method_id, customer=customer
            )
        )
    except stripe.CardError as exc:
        raise CardDeclined(message=exc.user_message or "The card was declined.") from exc
    except stripe.InvalidRequestError as exc:
        raise InvalidInput(
            fields={"payment_method_id": [exc.user_message or "No such payment method."]}
        ) from exc
    card = _plain(method).get("card") or {}
    saved, _ = PaymentMethod.objects.get_or_create(
        tenant_id=actor.user_id,
        stripe_payment_method_id=method.id,
        defaults={
            "brand": card.get("brand") or "",
            "last4": card.get("last4") or "",
            "exp_month": card.get("exp_month"),
            "exp_year": card.get("exp_year"),
        },
    )
    return saved


def card_setup_start(*, actor: Actor) -> str:
    """A SetupIntent on the tenant's Stripe customer, for Elements to save a
    card with: returns its client secret (the browser confirms it with the
    card details, which never reach this service, then saves the resulting
    PaymentMethod with payment_method_attach)."""
    if actor.role != TENANT:
        raise Forbidden(message="Only tenants save cards.")
    customer = stripe_customer_id(tenant_id=actor.user_id)
    intent = _stripe(lambda: stripe_api.setup_intent_create(customer=customer))
    return intent.client_secret


def payment_methods_for(*, actor: Actor):
    if actor.role != TENANT:
        raise Forbidden(message="Only tenants have saved cards.")
    return PaymentMethod.objects.filter(tenant_id=actor.user_id)


# --- charging ---------------------------------------------------------------------


def _payment_start(
    *, invoice_id: Any, source: str, method: PaymentMethod
) -> tuple[Payment | None, Payment | None]:
    """Under the invoice's row lock: a new pending attempt for its balance,
    or the attempt already in flight. Returns (new, in_flight)."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
        if invoice is None:
            raise NotFound()
        if invoice.status not in UNPAID_INVOICE_STATUSES or invoice.balance_minor <= 0:
            raise InvoiceNotPayable()
        in_flight = Payment.objects.filter(invoice=invoice, status=PaymentStatus.PENDING).first()
        if in_flight is not None:
            return None, in_flight
        return _new_attempt(invoice, source=source, method=method), None


def _new_attempt(invoice: Invoice, *, source: str, method: PaymentMethod) -> Payment:
    """A pending payment of the (locked) invoice's balance, numbered after its last."""
    last = Payment.objects.filter(invoice=invoice).aggregate(last=Max("attempt"))["last"]
    return Payment.objects.create(
        invoice=invoice,
        lease_id=invoice.lease_id,
        tenant_id=invoice.tenant_id,
        landlord_id=invoice.landlord_id,
        attempt=(last or 0) + 1,
        amount_minor=invoice.balance_minor,
        currency=invoice.currency,
        source=source,
        payment_method=method,
    )


def payment_run(payment: Payment) -> Payment:
    """Take a pending payment as far as Stripe allows: create its
    PaymentIntent (or find the stored one), confirm it if nobody has, and
    apply the outcome. Safe to call again for the same payment at any point."""
    payment = Payment.objects.select_related("payment_method").get(pk=payment.pk)
    if payment.status != PaymentStatus.PENDING:
        return payment
    off_session = payment.source == PaymentSource.AUTOPAY
    if payment.stripe_payment_intent_id is None:
        method = payment.payment_method
        if method is None:  # the card was deleted meanwhile
            return payment_apply_failed(payment_id=payment.pk, code=ABANDONED, message="No card.")
        customer = stripe_customer_id(tenant_id=payment.tenant_id)
        intent = _stripe(
            lambda: stripe_api.payment_intent_create(
                amount=payment.amount_minor,
                currency=payment.currency,
                customer=customer,
                payment_method=method.stripe_payment_method_id,
                metadata={
                    "invoice_id": str(payment.invoice_id),
                    "payment_id": str(payment.id),
                    "lease_id": str(payment.lease_id),
                },
                idempotency_key=payment.idempotency_key("create"),
            )
        )
        stored = Payment.objects.filter(
            pk=payment.pk, stripe_payment_intent_id__isnull=True
        ).update(stripe_payment_intent_id=intent.id, updated_at=timezone.now())
        if not stored:  # another run stored its PaymentIntent first: finish that one
            return payment_run(payment)
    else:
        intent = _stripe(
            lambda: stripe_api.payment_intent_retrieve(payment.stripe_payment_intent_id)
        )
    if intent.status == "requires_confirmation":
        try:
            intent = _stripe(
                lambda: stripe_api.payment_intent_confirm(
                    intent.id,
                    off_session=off_session,
                    idempotency_key=payment.idempotency_key("confirm"),
                )
            )
        except stripe.CardError as exc:
            return payment_apply_failed(
                payment_id=payment.pk,
                code=_decline_code(exc),
                message=exc.user_message or "The card was declined.",
            )
        except stripe.InvalidRequestError:
            # Confirmed meanwhile by another run (Stripe refuses a second
            # confirmation): its state is what counts.
            intent = _stripe(lambda: stripe_api.payment_intent_retrieve(intent.id))
    return payment_apply_intent(payment_id=payment.pk, intent=intent)


def _decline_code(exc: stripe.CardError) -> str:
    error = exc.error
    decline = getattr(error, "decline_code", None) if error is not None else None
    return str(decline or exc.code or "card_declined")


def _plain(obj: Any) -> dict[str, Any]:
    """A Stripe object (or an event's dict) as a plain dict."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def payment_apply_intent(*, payment_id: Any, intent: Any) -> Payment:
    """Apply what a PaymentIntent's state says about its payment."""
    intent = _plain(intent)
    status = intent.get("status")
    if status == "succeeded":
        return payment_apply_succeeded(
            payment_id=payment_id,
            intent_id=intent.get("id"),
            amount=intent.get("amount"),
            currency=intent.get("currency"),
        )
    if status in ("requires_payment_method", "canceled"):
        error = intent.get("last_payment_error") or {}
        return payment_apply_failed(
            payment_id=payment_id,
            code=str(error.get("decline_code") or error.get("code") or "payment_failed"),
            message=str(error.get("message") or "The payment failed."),
        )
    if status == "requires_action":
        return payment_apply_failed(
            payment_id=payment_id,
            code=AUTHENTICATION_REQUIRED,
            message="The card asks for authentication; pay the invoice from the app.",
        )
    # processing / requires_confirmation: not decided yet (the webhook or
    # the reconciliation will tell).
    return Payment.objects.get(pk=payment_id)


def _locked(payment_id: Any) -> tuple[Invoice, Payment] | None:
    """The payment and its invoice, locked (invoice first, as everywhere)."""
    invoice_id = Payment.objects.filter(pk=payment_id).values_list("invoice_id", flat=True).first()
    if invoice_id is None:
        return None
    invoice = Invoice.objects.select_for_update().select_related("lease").get(pk=invoice_id)
    return invoice, Payment.objects.select_for_update().get(pk=payment_id)


def payment_apply_succeeded(
    *, payment_id: Any, intent_id: str | None, amount: Any, currency: Any
) -> Payment:
    """pending (or failed: the money came after all) → succeeded, once; the
    amount counts towards the invoice once. A PaymentIntent whose amount,
    currency or id does not match the payment changes nothing."""
    with transaction.atomic():
        locked = _locked(payment_id)
        if locked is None:
            raise NotFound()
        invoice, payment = locked
        if payment.status == PaymentStatus.SUCCEEDED:
            return payment
        if (
            intent_id != payment.stripe_payment_intent_id
            or amount != payment.amount_minor
            or str(currency).lower() != payment.currency.lower()
        ):
            logger.error(
                "PaymentIntent %s does not match payment %s (amount %s %s): ignored",
                intent_id,
                payment.pk,
                amount,
                currency,
            )
            return payment
        now = timezone.now()
        payment.status = PaymentStatus.SUCCEEDED
        payment.paid_at = now
        payment.failure_code = payment.failure_message = ""
        payment.save(
            update_fields=["status", "paid_at", "failure_code", "failure_message", "updated_at"]
        )
        invoice.amount_paid_minor += payment.amount_minor
        if invoice.status in UNPAID_INVOICE_STATUSES and invoice.balance_minor == 0:
            invoice.status = InvoiceStatus.PAID
            invoice.paid_at = now
        elif invoice.status == InvoiceStatus.VOID:
            logger.warning("payment %s succeeded on void invoice %s", payment.pk, invoice.pk)
        invoice.save(update_fields=["amount_paid_minor", "status", "paid_at", "updated_at"])
        enqueue_payment_succeeded(payment, invoice)
    logger.info("payment %s of invoice %s succeeded", payment.pk, invoice.pk)
    return payment


def payment_apply_failed(*, payment_id: Any, code: str, message: str) -> Payment:
    """pending → failed, once (a payment that succeeded stays succeeded)."""
    with transaction.atomic():
        locked = _locked(payment_id)
        if locked is None:
            raise NotFound()
        invoice, payment = locked
        if payment.status != PaymentStatus.PENDING:
            return payment
        payment.status = PaymentStatus.FAILED
        payment.failure_code = code[:64]
        payment.failure_message = message[:500]
        payment.save(update_fields=["status", "failure_code", "failure_message", "updated_at"])
        enqueue_payment_failed(payment, invoice, reason=payment.failure_code)
    logger.info("payment %s of invoice %s failed: %s", payment.pk, invoice.pk, code)
    return payment


def _card(*, tenant_id: Any, payment_method_id: Any = None) -> PaymentMethod:
    cards = PaymentMethod.objects.filter(tenant_id=tenant_id)
    if payment_method_id is not None:
        card = cards.filter(pk=uuid_or_none(payment_method_id)).first()
        if card is None:
            raise InvalidInput(fields={"payment_method_id": ["No such saved card."]})
        return card
    card = cards.first()
    if card is None:
        raise InvalidInput(fields={"payment_method_id": ["Save a card first."]})
    return card


def invoice_pay(*, actor: Actor, invoice_id: Any, payment_method_id: Any = None) -> Payment:
    """The tenant pays an invoice's balance with a saved card (the given one,
    or their latest). A card failure is a `failed` payment (and a
    payment_failed event), not an error: the invoice stays payable."""
    invoice = Invoice.objects.filter(pk=uuid_or_none(invoice_id)).first()
    if invoice is None or actor.user_id not in (invoice.tenant_id, invoice.landlord_id):
        raise NotFound()
    if actor.user_id != invoice.tenant_id:
        raise Forbidden(message="Only the lease's tenant pays its invoices.")
    card = _card(tenant_id=actor.user_id, payment_method_id=payment_method_id)
    payment, in_flight = _payment_start(
        invoice_id=invoice.pk, source=PaymentSource.TENANT, method=card
    )
    if payment is None:
        raise PaymentInProgress()
    return payment_run(payment)


def autopay_charge(*, invoice_id: Any, on: date) -> Payment | None:
    """The billing run's off-session charge of one autopay invoice on `on`:
    at most one attempt a day, at most RENT_AUTOPAY_MAX_ATTEMPTS, none after a
    hard decline. The day is claimed and the attempt created in ONE
    transaction under the invoice's row lock, so two runs charge once, and a
    worker that dies after that commit leaves a pending payment that the
    retried task finishes (a worker dying before it leaves nothing claimed)."""
    tenant_id = Invoice.objects.filter(pk=invoice_id).values_list("tenant_id", flat=True).first()
    if tenant_id is None:
        return None
    card = PaymentMethod.objects.filter(tenant_id=tenant_id).first()
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("lease")
            .get(pk=invoice_id)
        )
        payment = Payment.objects.filter(invoice=invoice, status=PaymentStatus.PENDING).first()
        if payment is None:
            if not _autopay_claimable(invoice, on=on):
                return None
            if card is None:
                logger.info("autopay of invoice %s: the tenant has no saved card", invoice_id)
                return None
            invoice.autopay_last_on = on
            invoice.autopay_attempts += 1
            invoice.save(update_fields=["autopay_last_on", "autopay_attempts", "updated_at"])
            payment = _new_attempt(invoice, source=PaymentSource.AUTOPAY, method=card)
    result = payment_run(payment)
    if result.status == PaymentStatus.FAILED and result.failure_code in HARD_DECLINE_CODES:
        Invoice.objects.filter(pk=invoice_id).update(autopay_stopped=True)
    return result


def _autopay_claimable(invoice: Invoice, *, on: date) -> bool:
    return (
        invoice.status in UNPAID_INVOICE_STATUSES
        and invoice.balance_minor > 0
        and invoice.lease.autopay
        and invoice.lease.status == LeaseStatus.ACTIVE
        and invoice.due_date <= on
        and not invoice.autopay_stopped
        and invoice.autopay_attempts < settings.RENT_AUTOPAY_MAX_ATTEMPTS
        and (invoice.autopay_last_on is None or invoice.autopay_last_on < on)
    )


# --- the webhook and the reconciliation ---------------------------------------------


def webhook_receive(*, payload: bytes, signature: str | None) -> str:
    """A Stripe webhook: verified over the raw body (STRIPE_WEBHOOK_SECRET,
    5 minutes' tolerance), applied once per event id. Returns what happened:
    applied, duplicate, ignored (another type) or unknown (not our payment)."""
    try:
        event = stripe.Webhook.construct_event(
            payload,
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        )
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise InvalidSignature() from exc
    if event.type not in WEBHOOK_EVENTS:
        return "ignored"
    intent = _plain(event.data.object)
    payment_id = (
        Payment.objects.filter(stripe_payment_intent_id=intent.get("id"))
        .values_list("pk", flat=True)
        .first()
    )
    metadata = intent.get("metadata") or {}
    if payment_id is None or str(metadata.get("invoice_id")) != str(
        Payment.objects.filter(pk=payment_id).values_list("invoice_id", flat=True).first()
    ):
        logger.info("Stripe event %s for an unknown PaymentIntent %s", event.id, intent.get("id"))
        return "unknown"
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(id=event.id, type=event.type, object_id=intent.get("id"))
        except IntegrityError:
            return "duplicate"
        payment_apply_intent(payment_id=payment_id, intent=intent)
    return "applied"


def payments_reconcile_stale(*, older_than_seconds: float = 600) -> int:
    """Payments still pending after `older_than_seconds` (a process died
    between two steps, a webhook was lost): a PaymentIntent that Stripe
    decided is applied; one never confirmed, or never created, is abandoned
    (nothing was charged). Returns how many were settled."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    settled = 0
    for payment in Payment.objects.filter(status=PaymentStatus.PENDING, updated_at__lt=cutoff):
        if payment.stripe_payment_intent_id is None:
            payment_apply_failed(payment_id=payment.pk, code=ABANDONED, message="Never sent.")
            settled += 1
            continue
        try:
            intent = _stripe(
                lambda p=payment: stripe_api.payment_intent_retrieve(p.stripe_payment_intent_id)
            )
        except PaymentProviderUnavailable:
            break
        if intent.status == "requires_confirmation":
            payment_apply_failed(payment_id=payment.pk, code=ABANDONED, message="Never confirmed.")
        else:
            payment_apply_intent(payment_id=payment.pk, intent=intent)
        settled += (
            Payment.objects.filter(pk=payment.pk).exclude(status=PaymentStatus.PENDING).count()
        )
    return settled
