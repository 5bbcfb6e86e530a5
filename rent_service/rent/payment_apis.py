"""Thin DRF views of rent_service's payments (rent/payments.py): saved cards,
paying an invoice, and Stripe's webhook. Errors render through the platform
handler as `{code, message, fields?}`.

POST /api/rent/invoices/{id}/pay honours an `Idempotency-Key` header
(rentezy_platform.idempotency, `external=True`: the payment calls Stripe, so
it never runs inside a database transaction).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rentezy_platform.idempotency.schema import IDEMPOTENCY_KEY, KEY_REUSED
from rentezy_platform.idempotency.services import idempotent
from rentezy_platform.money import AmountField
from rentezy_platform.openapi import INVALID, NOT_AUTHENTICATED, error_schema
from rentezy_platform.pagination import PageNumberPagination
from rentezy_platform.parsing import parse_uuid
from rentezy_platform.serializers import (
    PageFilterSerializer,
    StrictInputSerializer,
    StrictUUIDField,
    StringField,
)
from rentezy_platform.trust import Actor
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rent import payments
from rent.models import InvoiceStatus, PaymentStatus

# Stripe's ids are a prefix and [A-Za-z0-9_]; anything else is refused here,
# before a request to Stripe is spent on it.
STRIPE_PAYMENT_METHOD_ID = RegexValidator(
    r"\Apm_[A-Za-z0-9_]{1,250}\Z", message="Not a Stripe PaymentMethod id (pm_...)."
)
STRIPE_UNAVAILABLE = error_schema(
    "`payment_provider_unavailable`: Stripe could not be reached; try again."
)


class PaymentMethodOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    brand = serializers.CharField(help_text="visa, mastercard, amex...")
    last4 = serializers.CharField()
    exp_month = serializers.IntegerField(allow_null=True)
    exp_year = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class PayOutputSerializer(serializers.Serializer):
    payment_id = serializers.UUIDField(source="id")
    status = serializers.ChoiceField(
        choices=PaymentStatus.choices,
        help_text="`succeeded`, `failed` (the card was refused: see failure_code), or "
        "`pending` (Stripe has not decided yet; the webhook will).",
    )
    invoice_id = serializers.UUIDField()
    invoice_status = serializers.ChoiceField(choices=InvoiceStatus.choices, source="invoice.status")
    amount = AmountField(source="amount_minor")
    currency = serializers.CharField()
    failure_code = serializers.CharField(allow_null=True, source="failure_code_or_none")
    failure_message = serializers.CharField(allow_null=True, source="failure_message_or_none")


def _actor(request: Request) -> Actor:
    return Actor.of(request.user)


class CardSetupOutputSerializer(serializers.Serializer):
    client_secret = serializers.CharField(
        help_text="For Stripe.js: `stripe.confirmCardSetup(client_secret, {payment_method: {card}})`."
    )
    publishable_key = serializers.CharField(help_text="The key to give Stripe.js.")
    stripe_js_url = serializers.CharField(help_text="Where to load Stripe.js from.")


class CardSetupApi(APIView):
    @extend_schema(
        tags=["rent"],
        summary="Start saving a card with Stripe Elements (tenants)",
        description=(
            "A SetupIntent on the tenant's Stripe customer. The browser loads Stripe.js from "
            "`stripe_js_url`, confirms the intent with the card Element (card details go to "
            "Stripe only) and saves the resulting PaymentMethod with "
            "`POST /api/rent/payment-methods`."
        ),
        request=None,
        responses={
            201: CardSetupOutputSerializer,
            401: NOT_AUTHENTICATED,
            403: error_schema("`forbidden`: not a tenant."),
            503: STRIPE_UNAVAILABLE,
        },
    )
    def post(self, request: Request) -> Response:
        secret = payments.card_setup_start(actor=_actor(request))
        body = {
            "client_secret": secret,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "stripe_js_url": settings.STRIPE_JS_URL,
        }
        return Response(CardSetupOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class PaymentMethodListCreateApi(APIView):
    pagination_class = PageNumberPagination

    class PaymentMethodInputSerializer(StrictInputSerializer):
        read_only_keys = frozenset({"id", "brand", "last4"})

        payment_method_id = StringField(
            max_length=255,
            validators=[STRIPE_PAYMENT_METHOD_ID],
            help_text="A Stripe PaymentMethod id (from Stripe Elements, or `pm_card_visa`).",
        )

    @extend_schema(
        tags=["rent"],
        summary="My saved cards (tenants)",
        parameters=[PageFilterSerializer],
        responses={
            200: PaymentMethodOutputSerializer(many=True),
            400: INVALID,
            401: NOT_AUTHENTICATED,
            403: error_schema("`forbidden`: not a tenant."),
            404: error_schema("`not_found`: a page past the last one."),
        },
    )
    def get(self, request: Request) -> Response:
        PageFilterSerializer.from_query(request.query_params)
        methods = payments.payment_methods_for(actor=_actor(request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(methods, request, view=self)
        return paginator.get_paginated_response(PaymentMethodOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=["rent"],
        summary="Save a card (tenants)",
        description="Attaches the Stripe PaymentMethod to the tenant's Stripe customer.",
        request=PaymentMethodInputSerializer,
        responses={
            201: PaymentMethodOutputSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            402: error_schema("`card_declined`: the card was refused (Stripe's message)."),
            403: error_schema("`forbidden`: not a tenant."),
            503: STRIPE_UNAVAILABLE,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.PaymentMethodInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        method = payments.payment_method_attach(
            actor=_actor(request),
            stripe_payment_method_id=serializer.validated_data["payment_method_id"],
        )
        return Response(PaymentMethodOutputSerializer(method).data, status=status.HTTP_201_CREATED)


class InvoicePayApi(APIView):
    class PayInputSerializer(StrictInputSerializer):
        payment_method_id = StrictUUIDField(
            required=False,
            help_text="One of the caller's saved cards (its `id`); default: the latest saved.",
        )

    @extend_schema(
        tags=["rent"],
        summary="Pay an invoice's balance by card (the lease's tenant)",
        description=(
            "Charges the balance once through Stripe. The invoice becomes `paid` when Stripe "
            "reports success, synchronously or by its webhook. A refused card is a `failed` "
            "payment (200), and the invoice stays payable."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=PayInputSerializer,
        responses={
            200: PayOutputSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            403: error_schema("`forbidden`: the lease's landlord (only its tenant pays)."),
            404: error_schema("`not_found`: no such invoice of the caller."),
            409: error_schema(
                "`invoice_not_payable`: paid or void; `payment_in_progress`: a payment of "
                "it is under way; `request_in_progress`: the same Idempotency-Key is."
            ),
            422: KEY_REUSED,
            503: STRIPE_UNAVAILABLE,
        },
    )
    def post(self, request: Request, invoice_id: str) -> Response:
        serializer = self.PayInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor, invoice = _actor(request), parse_uuid(invoice_id)
        card = serializer.validated_data.get("payment_method_id")

        def run() -> Response:
            payment = payments.invoice_pay(actor=actor, invoice_id=invoice, payment_method_id=card)
            return Response(PayOutputSerializer(payment).data)

        return idempotent(request, run, external=True)


class StripeWebhookApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["rent"],
        summary="Stripe's webhook",
        description=(
            "Verifies `Stripe-Signature` over the raw body (STRIPE_WEBHOOK_SECRET, 5 minutes' "
            "tolerance) and applies `payment_intent.succeeded` / `.payment_failed` once per "
            "event id. Other event types are acknowledged and ignored."
        ),
        parameters=[
            OpenApiParameter(
                "Stripe-Signature", location=OpenApiParameter.HEADER, required=True, type=str
            )
        ],
        request={"application/json": {"type": "object"}},
        responses={
            200: {
                "type": "object",
                "properties": {
                    "received": {"type": "boolean"},
                    "result": {"enum": ["applied", "duplicate", "ignored", "unknown"]},
                },
                "required": ["received", "result"],
            },
            400: error_schema("`invalid_signature`: missing, wrong or stale signature."),
        },
    )
    def post(self, request: Request) -> Response:
        result = payments.webhook_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
        return Response({"received": True, "result": result})
