"""Thin DRF views of rent_service's leases, invoices, payments, receipts and
the rent roll: validate input, call one service or selector, serialize the
result. Errors render through the platform handler as `{code, message,
fields?}`. Payment methods, paying and the Stripe webhook: payment_apis.py.
"""

from __future__ import annotations

from datetime import date

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rentezy_platform.errors import Forbidden, InvalidInput
from rentezy_platform.idempotency.schema import IDEMPOTENCY_KEY, KEY_REUSED
from rentezy_platform.idempotency.services import idempotent
from rentezy_platform.money import AmountField, MoneyField
from rentezy_platform.openapi import INVALID, NOT_AUTHENTICATED, error_schema
from rentezy_platform.pagination import PageNumberPagination, paginated_response
from rentezy_platform.parsing import parse_uuid
from rentezy_platform.serializers import (
    FilterSerializer,
    PageFilterSerializer,
    StrictDateField,
    StrictInputSerializer,
    StrictIntegerField,
    StrictUUIDField,
)
from rentezy_platform.trust import Actor
from rest_framework import serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rent import billing, documents, selectors, services
from rent.models import (
    DUE_DAY_MAX,
    GRACE_DAYS_MAX,
    LATE_FEE_BP_MAX,
    InvoiceLineKind,
    InvoiceStatus,
    LateFeeKind,
    LeaseStatus,
    PaymentSource,
    PaymentStatus,
)

NOT_FOUND = error_schema("`not_found`: no such object of the caller's.")
LANDLORD = "landlord"


# --- serializers ------------------------------------------------------------------


class LateFeePolicySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LateFeeKind.choices, source="late_fee_kind")
    amount = AmountField(source="late_fee_flat_minor", help_text="The flat fee (kind flat).")
    percent = serializers.SerializerMethodField(help_text="Of the monthly rent (kind percent).")
    cap = AmountField(source="late_fee_cap_minor", allow_null=True)

    def get_percent(self, lease) -> str:
        return f"{lease.late_fee_percent_bp / 100:.2f}"


class LeaseOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reservation_id = serializers.UUIDField(allow_null=True)
    property_id = serializers.UUIDField()
    property_title = serializers.CharField()
    tenant_id = serializers.UUIDField()
    landlord_id = serializers.UUIDField()
    monthly_rent = AmountField(source="monthly_rent_minor")
    currency = serializers.CharField()
    deposit = AmountField(source="deposit_minor")
    start_date = serializers.DateField()
    end_date = serializers.DateField(help_text="Move-out day: the lease is [start_date, end_date).")
    due_day = serializers.IntegerField(help_text="Rent after the first month is due this day.")
    grace_days = serializers.IntegerField(help_text="Days after the due date before the late fee.")
    late_fee = serializers.SerializerMethodField(help_text="The fee this lease's rent incurs.")
    late_fee_policy = LateFeePolicySerializer(source="*")
    status = serializers.ChoiceField(choices=LeaseStatus.choices)
    autopay = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def get_late_fee(self, lease) -> str:
        return AmountField().to_representation(billing.late_fee_minor(lease.terms))


class InvoiceLineOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=InvoiceLineKind.choices)
    description = serializers.CharField()
    amount = AmountField(source="amount_minor")


class InvoiceOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    lease_id = serializers.UUIDField()
    period = serializers.CharField(source="period_label", help_text="YYYY-MM")
    lines = InvoiceLineOutputSerializer(many=True)
    amount = AmountField(source="amount_minor", help_text="The lines other than late fees.")
    late_fee = AmountField(source="late_fee_minor")
    total = AmountField(source="total_minor")
    amount_paid = AmountField(source="amount_paid_minor")
    balance = AmountField(source="balance_minor")
    currency = serializers.CharField()
    due_date = serializers.DateField()
    status = serializers.ChoiceField(choices=InvoiceStatus.choices)
    is_first = serializers.BooleanField(
        help_text="The lease's first invoice (it carries the deposit)."
    )
    issued_on = serializers.DateField()
    paid_at = serializers.DateTimeField(allow_null=True)
    autopay_attempts = serializers.IntegerField()


class PaymentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    invoice_id = serializers.UUIDField()
    lease_id = serializers.UUIDField()
    period = serializers.CharField(source="invoice.period_label")
    amount = AmountField(source="amount_minor")
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    source = serializers.ChoiceField(choices=PaymentSource.choices)
    paid_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    failure_code = serializers.CharField(allow_null=True, source="failure_code_or_none")
    card_last4 = serializers.CharField(allow_null=True, source="payment_method.last4", default=None)
    stripe_payment_intent_id = serializers.CharField(allow_null=True)
    receipt_url = serializers.SerializerMethodField(
        help_text="The PDF receipt of a succeeded payment."
    )

    def get_receipt_url(self, payment) -> str | None:
        if payment.status != PaymentStatus.SUCCEEDED:
            return None
        return f"/api/rent/payments/{payment.pk}/receipt.pdf"


class RentRollRowSerializer(serializers.Serializer):
    lease_id = serializers.UUIDField()
    property_id = serializers.UUIDField()
    property_title = serializers.CharField()
    tenant_id = serializers.UUIDField()
    invoice_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=InvoiceStatus.choices)
    currency = serializers.CharField()
    due_date = serializers.DateField()
    due = AmountField(help_text="The month's invoice total (late fees included).")
    paid = AmountField()
    outstanding = AmountField()
    late_fees = AmountField()


class RentRollOutputSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    count = serializers.IntegerField()
    results = RentRollRowSerializer(many=True)


def _actor(request: Request) -> Actor:
    return Actor.of(request.user)


# --- leases -----------------------------------------------------------------------


class LateFeePolicyInputSerializer(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=LateFeeKind.choices)
    amount = MoneyField(allow_zero=True, required=False, help_text="The flat fee (kind flat).")
    percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=LATE_FEE_BP_MAX // 100,
        required=False,
        help_text='Of the monthly rent (kind percent), e.g. "5.00".',
    )
    cap = MoneyField(
        allow_zero=True, required=False, allow_null=True, help_text="At most this (kind percent)."
    )

    def validate(self, attrs):
        kind = attrs["kind"]
        needed, other = ("amount", "percent") if kind == LateFeeKind.FLAT else ("percent", "amount")
        errors = {}
        if needed not in attrs:
            errors[needed] = [f"Required for a {kind} late fee."]
        if other in attrs or (kind == LateFeeKind.FLAT and attrs.get("cap") is not None):
            errors[other if other in attrs else "cap"] = [f"Not part of a {kind} late fee."]
        if errors:
            raise serializers.ValidationError(errors)
        return services.LateFeePolicy(
            kind=kind,
            flat_minor=attrs.get("amount", 0),
            percent_bp=int(attrs.get("percent", 0) * 100),
            cap_minor=attrs.get("cap"),
        )


class LeaseListApi(APIView):
    pagination_class = PageNumberPagination

    class LeaseFilterSerializer(PageFilterSerializer):
        status = serializers.ChoiceField(choices=LeaseStatus.choices, required=False)

    class LeaseInputSerializer(StrictInputSerializer):
        read_only_keys = frozenset(
            {"id", "reservation_id", "landlord_id", "currency", "status", "autopay", "late_fee"}
        )

        property_id = StrictUUIDField(
            error_messages={"invalid": "A property id (UUID) is required."},
            help_text="One of the caller's listed properties.",
        )
        tenant_id = StrictUUIDField(
            error_messages={"invalid": "A tenant's user id (UUID) is required."},
            help_text="A registered tenant (as the bookings on the caller's properties show).",
        )
        start_date = StrictDateField(help_text="Move-in day: today or later.")
        end_date = StrictDateField(help_text="Move-out day: at least one month after start_date.")
        monthly_rent = MoneyField(
            source="monthly_rent_minor", required=False, help_text="Default: the property's."
        )
        deposit = MoneyField(
            source="deposit_minor",
            allow_zero=True,
            required=False,
            help_text="Default: the property's.",
        )
        due_day = StrictIntegerField(min_value=1, max_value=DUE_DAY_MAX, required=False)
        grace_days = StrictIntegerField(min_value=0, max_value=GRACE_DAYS_MAX, required=False)
        late_fee_policy = LateFeePolicyInputSerializer(source="late_fee", required=False)

    @extend_schema(
        tags=["rent"],
        summary="My leases",
        description="A tenant's leases, or a landlord's leases on their properties. Newest first.",
        parameters=[LeaseFilterSerializer],
        responses={
            200: LeaseOutputSerializer(many=True),
            400: INVALID,
            401: NOT_AUTHENTICATED,
            404: error_schema("`not_found`: a page past the last one."),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.LeaseFilterSerializer.from_query(request.query_params)
        leases = selectors.lease_list_for(actor=_actor(request), status=filters.get("status"))
        return paginated_response(self, request, leases, LeaseOutputSerializer)

    @extend_schema(
        tags=["rent"],
        summary="Open a lease for a registered tenant (landlords)",
        description=(
            "On one of the caller's listed properties, for [start_date, end_date); the first "
            "invoice (deposit and the first, maybe pro-rated, month) is issued at once. Rent, "
            "deposit and currency default to the property's; due day, grace days and late fee "
            "to the service's defaults. Autopay is the tenant's to turn on."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=LeaseInputSerializer,
        responses={
            201: LeaseOutputSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            403: error_schema("`forbidden`: not a landlord, or not the property's owner."),
            404: error_schema("`not_found`: no such property."),
            409: error_schema(
                "`property_not_listed`, or `property_unavailable`: an active lease of the "
                "property overlaps these dates."
            ),
            422: KEY_REUSED,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.LeaseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = _actor(request)

        def run() -> Response:
            lease = services.lease_create(actor=actor, **serializer.validated_data)
            return Response(LeaseOutputSerializer(lease).data, status=status.HTTP_201_CREATED)

        return idempotent(request, run)


class LeaseDetailApi(APIView):
    class LeaseUpdateSerializer(StrictInputSerializer):
        read_only_keys = frozenset(
            {"id", "monthly_rent", "deposit", "status", "tenant_id", "landlord_id", "due_day"}
        )

        autopay = serializers.BooleanField(
            help_text="Charge each invoice to the latest saved card on its due date."
        )

    @extend_schema(
        tags=["rent"],
        summary="One of my leases",
        responses={200: LeaseOutputSerializer, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, lease_id: str) -> Response:
        lease = selectors.lease_get_for(actor=_actor(request), lease_id=parse_uuid(lease_id))
        return Response(LeaseOutputSerializer(lease).data)

    @extend_schema(
        tags=["rent"],
        summary="Turn autopay on or off (the lease's tenant)",
        request=LeaseUpdateSerializer,
        responses={
            200: LeaseOutputSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            403: error_schema("`forbidden`: the landlord (only the tenant sets autopay)."),
            404: NOT_FOUND,
        },
    )
    def patch(self, request: Request, lease_id: str) -> Response:
        serializer = self.LeaseUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lease = services.lease_set_autopay(
            actor=_actor(request),
            lease_id=parse_uuid(lease_id),
            autopay=serializer.validated_data["autopay"],
        )
        return Response(LeaseOutputSerializer(lease).data)


# --- invoices ---------------------------------------------------------------------


class InvoiceListApi(APIView):
    pagination_class = PageNumberPagination

    class InvoiceFilterSerializer(PageFilterSerializer):
        lease_id = serializers.UUIDField(
            required=False, error_messages={"invalid": "A lease id (UUID) is required."}
        )
        status = serializers.ChoiceField(choices=InvoiceStatus.choices, required=False)

    @extend_schema(
        tags=["rent"],
        summary="My invoices",
        description=(
            "The invoices of the caller's leases (tenant or landlord), newest period first, "
            "with their lines. The first invoice of a lease carries its deposit."
        ),
        parameters=[InvoiceFilterSerializer],
        responses={
            200: InvoiceOutputSerializer(many=True),
            400: INVALID,
            401: NOT_AUTHENTICATED,
            404: error_schema("`not_found`: a page past the last one."),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.InvoiceFilterSerializer.from_query(request.query_params)
        invoices = selectors.invoice_list_for(
            actor=_actor(request), lease_id=filters.get("lease_id"), status=filters.get("status")
        )
        return paginated_response(self, request, invoices, InvoiceOutputSerializer)


class InvoiceDetailApi(APIView):
    @extend_schema(
        tags=["rent"],
        summary="One of my invoices",
        responses={200: InvoiceOutputSerializer, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, invoice_id: str) -> Response:
        invoice = selectors.invoice_get_for(
            actor=_actor(request), invoice_id=parse_uuid(invoice_id)
        )
        return Response(InvoiceOutputSerializer(invoice).data)


# --- payments and receipts ----------------------------------------------------------


class PaymentListApi(APIView):
    pagination_class = PageNumberPagination

    class PaymentFilterSerializer(PageFilterSerializer):
        invoice_id = serializers.UUIDField(
            required=False, error_messages={"invalid": "An invoice id (UUID) is required."}
        )
        status = serializers.ChoiceField(choices=PaymentStatus.choices, required=False)

    @extend_schema(
        tags=["rent"],
        summary="My payments (receipts)",
        description="Payments of the caller's leases, newest first; succeeded ones have a receipt.",
        parameters=[PaymentFilterSerializer],
        responses={
            200: PaymentOutputSerializer(many=True),
            400: INVALID,
            401: NOT_AUTHENTICATED,
            404: error_schema("`not_found`: a page past the last one."),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.PaymentFilterSerializer.from_query(request.query_params)
        found = selectors.payment_list_for(
            actor=_actor(request),
            invoice_id=filters.get("invoice_id"),
            status=filters.get("status"),
        )
        return paginated_response(self, request, found, PaymentOutputSerializer)


class ReceiptApi(APIView):
    @extend_schema(
        tags=["rent"],
        summary="A payment's PDF receipt (the lease's tenant or landlord)",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            401: NOT_AUTHENTICATED,
            404: error_schema("`not_found`: no such succeeded payment of the caller's."),
        },
    )
    def get(self, request: Request, payment_id: str) -> HttpResponse:
        payment = selectors.receipt_payment_for(
            actor=_actor(request), payment_id=parse_uuid(payment_id)
        )
        response = HttpResponse(documents.receipt_pdf(payment), content_type="application/pdf")
        name = documents.receipt_number(payment)
        response["Content-Disposition"] = f'attachment; filename="rentezy-receipt-{name}.pdf"'
        return response


# --- the rent roll ----------------------------------------------------------------


class RentRollCSVRenderer(BaseRenderer):
    """`?format=csv` (DRF's format override picks it): the rows as CSV."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:  # an error stays JSON
            response["Content-Type"] = "application/json"
            return JSONRenderer().render(data)
        return documents.rent_roll_csv(data).encode()


class RentRollApi(APIView):
    renderer_classes = [JSONRenderer, RentRollCSVRenderer]

    def perform_content_negotiation(self, request, force=False):
        # An unknown `format` is the filter's 400, not DRF's 404.
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            return (JSONRenderer(), JSONRenderer.media_type)

    class RentRollFilterSerializer(FilterSerializer):
        month = serializers.RegexField(
            r"^[0-9]{4}-(0[1-9]|1[0-2])$",
            error_messages={"invalid": "A month as YYYY-MM is required.", "required": "Required."},
            help_text="YYYY-MM",
        )
        format = serializers.ChoiceField(
            choices=["json", "csv"], required=False, help_text="`csv`: the rows as text/csv."
        )

    @extend_schema(
        tags=["rent"],
        summary="The rent roll of a month (landlords)",
        description=(
            "One row per lease of the landlord with an invoice for that month: what was due "
            "(the invoice total, late fees included), paid, outstanding, and the late fees. "
            "`format=csv` returns the same rows as CSV."
        ),
        parameters=[RentRollFilterSerializer],
        responses={
            (200, "application/json"): RentRollOutputSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The same rows."),
            400: INVALID,
            401: NOT_AUTHENTICATED,
            403: error_schema("`forbidden`: not a landlord."),
        },
    )
    def get(self, request: Request) -> Response | HttpResponse:
        # Who may call it first, then what they sent: a tenant learns nothing
        # of the report's parameters.
        actor = _actor(request)
        if actor.role != LANDLORD:
            raise Forbidden(message="The rent roll is for landlords.")
        filters = self.RentRollFilterSerializer.from_query(request.query_params)
        year, month = (int(part) for part in filters["month"].split("-"))
        if not 2000 <= year <= 2200:
            raise InvalidInput(fields={"month": ["A month between 2000 and 2200 is required."]})
        rows = selectors.rent_roll(actor=actor, month=date(year, month, 1))
        if request.accepted_renderer.format == "csv":
            return Response(
                rows,
                headers={
                    "Content-Disposition": (
                        f'attachment; filename="rent-roll-{filters["month"]}.csv"'
                    )
                },
            )
        return Response(
            RentRollOutputSerializer(
                {"month": filters["month"], "count": len(rows), "results": rows}
            ).data
        )
