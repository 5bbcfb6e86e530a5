"""Thin DRF views of booking_service: validate input, call one service or
selector, serialize the result. Errors render through the platform handler as
`{code, message, fields?}`.

Routes (through the gateway) are API.md's Bookings table. POST /api/bookings
and POST /api/bookings/rentals honour an `Idempotency-Key` header
(rentezy_platform.idempotency): a retry with the same key replays the first
response; the same key with another body is a 422 `idempotency_key_reused`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema
from rentezy_platform.idempotency.schema import IDEMPOTENCY_KEY, KEY_REUSED
from rentezy_platform.idempotency.services import idempotent
from rentezy_platform.money import AmountField
from rentezy_platform.openapi import INVALID, NOT_AUTHENTICATED, error_schema
from rentezy_platform.pagination import PageNumberPagination, paginated_response
from rentezy_platform.parsing import parse_uuid
from rentezy_platform.serializers import (
    PageFilterSerializer,
    StrictDateField,
    StrictDateTimeField,
    StrictInputSerializer,
    StrictIntegerField,
    StrictUUIDField,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import selectors, services
from bookings.models import (
    SLOT_CAPACITY_MAX,
    BookingStatus,
    ReservationStatus,
)
from bookings.services import Actor

NOT_FOUND = error_schema("`not_found`: no such object, or not one the caller is party to.")
INVALID_TRANSITION = error_schema(
    "`invalid_transition`: the reservation's status does not allow this action."
)


# --- serializers ------------------------------------------------------------------


class SlotOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    property_id = serializers.UUIDField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    available_slots = serializers.IntegerField(help_text="Places left (0..capacity).")
    status = serializers.ChoiceField(choices=["open", "cancelled"])


class BookingOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slot_id = serializers.UUIDField()
    property_id = serializers.UUIDField()
    tenant_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=BookingStatus.choices)
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    ends_at = serializers.DateTimeField(source="slot.ends_at")
    created_at = serializers.DateTimeField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancelled_by = serializers.ChoiceField(
        choices=["tenant", "landlord"],
        allow_null=True,
        source="cancelled_by_or_none",
        help_text="Who cancelled it; null while it stands.",
    )

    def to_representation(self, booking: Any) -> dict[str, Any]:
        # Written out: DRF's generic walk over the fields (a deep copy of
        # them per booking) was a tenth of a booking's CPU in make bench.
        # The fields above stay the schema; tests/test_apis.py checks that
        # this gives exactly what the generic walk gives. (DRF's DateTimeField
        # gives None for None.)
        return {
            "id": str(booking.id),
            "slot_id": str(booking.slot_id),
            "property_id": str(booking.property_id),
            "tenant_id": str(booking.tenant_id),
            "status": booking.status,
            "starts_at": _DATETIME.to_representation(booking.slot.starts_at),
            "ends_at": _DATETIME.to_representation(booking.slot.ends_at),
            "created_at": _DATETIME.to_representation(booking.created_at),
            "cancelled_at": _DATETIME.to_representation(booking.cancelled_at),
            "cancelled_by": booking.cancelled_by_or_none,
        }


_DATETIME = serializers.DateTimeField()


class ReservationOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    property_id = serializers.UUIDField()
    property_title = serializers.CharField()
    tenant_id = serializers.UUIDField()
    landlord_id = serializers.UUIDField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(
        help_text="Move-out day: the rental is [start_date, end_date)."
    )
    status = serializers.ChoiceField(choices=ReservationStatus.choices)
    monthly_rent = AmountField(source="monthly_rent_minor")
    deposit = AmountField(source="deposit_minor")
    currency = serializers.CharField()
    reason = serializers.CharField(allow_null=True, source="reason_or_none")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(
        help_text="A pending reservation not answered by then expires."
    )
    decided_at = serializers.DateTimeField(allow_null=True)


def _actor(request: Request) -> Actor:
    return Actor.of(request.user)


def _property_id_filter(help_text: str) -> serializers.UUIDField:
    """The `property_id` query parameter of the three lists."""
    return serializers.UUIDField(
        required=False,
        error_messages={"invalid": "A property id (UUID) is required."},
        help_text=help_text,
    )


def _created(data: Callable[[], object]) -> Callable[[], Response]:
    return lambda: Response(data(), status=status.HTTP_201_CREATED)


# --- viewing slots ----------------------------------------------------------------


class SlotListCreateApi(APIView):
    # Also what makes drf-spectacular publish the `{count, next, previous, results}` page.
    pagination_class = PageNumberPagination

    def get_permissions(self):
        if self.request.method == "GET":
            return [AllowAny()]
        return super().get_permissions()

    class FilterSerializer(PageFilterSerializer):
        property_id = _property_id_filter("Only this property's slots.")

    class SlotInputSerializer(StrictInputSerializer):
        read_only_keys = frozenset({"id", "available_slots", "status"})

        property_id = StrictUUIDField(
            error_messages={"invalid": "A property id (UUID) is required."}
        )
        starts_at = StrictDateTimeField(help_text="In the future, with its offset.")
        ends_at = StrictDateTimeField(help_text="After starts_at, at most 12 hours later.")
        capacity = StrictIntegerField(min_value=1, max_value=SLOT_CAPACITY_MAX)

    @extend_schema(
        tags=["bookings"],
        summary="Upcoming viewing slots",
        description=(
            "Open slots that have not started yet, soonest first, with the places left. Public."
        ),
        parameters=[FilterSerializer],
        responses={
            200: SlotOutputSerializer(many=True),
            400: INVALID,
            404: error_schema("`not_found`: a page past the last one."),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer.from_query(request.query_params)
        slots = selectors.slot_list_upcoming(property_id=filters.get("property_id"))
        return paginated_response(self, request, slots, SlotOutputSerializer)

    @extend_schema(
        tags=["bookings"],
        summary="Open a viewing slot on one's listed property (landlords)",
        description=(
            "In the future, at most 12 hours long, capacity 1..500; a property's open slots "
            "never overlap."
        ),
        request=SlotInputSerializer,
        responses={
            201: SlotOutputSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            403: error_schema("`forbidden`: not a landlord, or not the property's owner."),
            404: error_schema("`not_found`: no such property."),
            409: error_schema(
                "`slot_overlap`: overlaps another open slot of the property; "
                "`property_not_listed`: the property is not listed."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.SlotInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        slot = services.slot_create(actor=_actor(request), **serializer.validated_data)
        return Response(SlotOutputSerializer(slot).data, status=status.HTTP_201_CREATED)


class SlotCancelApi(APIView):
    @extend_schema(
        tags=["bookings"],
        summary="Cancel a viewing slot (its owner)",
        description=(
            "Every booking on it is cancelled and its holder told; cancelling it again "
            "changes nothing."
        ),
        request=None,
        responses={
            200: SlotOutputSerializer,
            401: NOT_AUTHENTICATED,
            403: error_schema("`forbidden`: not the property's owner."),
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, slot_id: str) -> Response:
        slot = services.slot_cancel(actor=_actor(request), slot_id=parse_uuid(slot_id))
        return Response(SlotOutputSerializer(slot).data)


# --- viewing bookings -------------------------------------------------------------


class BookingListCreateApi(APIView):
    # Also what makes drf-spectacular publish the `{count, next, previous, results}` page.
    pagination_class = PageNumberPagination

    class FilterSerializer(PageFilterSerializer):
        property_id = _property_id_filter(
            "Only bookings on this property (a landlord: one of theirs)."
        )
        status = serializers.ChoiceField(choices=BookingStatus.choices, required=False)

    class BookingInputSerializer(StrictInputSerializer):
        read_only_keys = frozenset({"id", "status", "tenant_id", "property_id"})

        slot_id = StrictUUIDField(error_messages={"invalid": "A slot id (UUID) is required."})

    @extend_schema(
        tags=["bookings"],
        summary="My viewing bookings",
        description=(
            "A tenant's own bookings; a landlord's: the bookings on their properties. Newest first."
        ),
        parameters=[FilterSerializer],
        responses={
            200: BookingOutputSerializer(many=True),
            400: INVALID,
            401: NOT_AUTHENTICATED,
            404: error_schema("`not_found`: not a property of the caller, or a page past the end."),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer.from_query(request.query_params)
        bookings = selectors.booking_list_for(
            actor=_actor(request),
            property_id=filters.get("property_id"),
            status=filters.get("status"),
        )
        return paginated_response(self, request, bookings, BookingOutputSerializer)

    @extend_schema(
        tags=["bookings"],
        summary="Book a place in a viewing slot (tenants)",
        description=(
            "Takes one place atomically: never more bookings than the capacity, whatever "
            "the concurrency. Closes a notice period (default 1 h) before the start."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=BookingInputSerializer,
        responses={
            201: BookingOutputSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            403: error_schema("`forbidden`: not a tenant (a landlord cannot book)."),
            404: error_schema("`not_found`: no such slot."),
            409: error_schema(
                "`slot_full`: no place left; `already_booked`: the caller holds a booking "
                "on it; `slot_closed`: cancelled, or within the notice period before the start."
            ),
            422: KEY_REUSED,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.BookingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = _actor(request)
        return idempotent(
            request,
            _created(
                lambda: (
                    BookingOutputSerializer(
                        services.booking_create(actor=actor, **serializer.validated_data)
                    ).data
                )
            ),
        )


class BookingCancelApi(APIView):
    @extend_schema(
        tags=["bookings"],
        summary="Cancel a viewing booking (its booker or the property's owner)",
        description="The place returns to the slot; cancelling it again changes nothing.",
        request=None,
        responses={200: BookingOutputSerializer, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    )
    def post(self, request: Request, booking_id: str) -> Response:
        booking = services.booking_cancel(actor=_actor(request), booking_id=parse_uuid(booking_id))
        return Response(BookingOutputSerializer(booking).data)


# --- rental reservations ------------------------------------------------------------


class ReservationListCreateApi(APIView):
    # Also what makes drf-spectacular publish the `{count, next, previous, results}` page.
    pagination_class = PageNumberPagination

    class FilterSerializer(PageFilterSerializer):
        property_id = _property_id_filter(
            "Only reservations of this property (a landlord: one of theirs)."
        )
        status = serializers.ChoiceField(choices=ReservationStatus.choices, required=False)

    class ReservationInputSerializer(StrictInputSerializer):
        read_only_keys = frozenset({"id", "status", "tenant_id", "landlord_id"})

        property_id = StrictUUIDField(
            error_messages={"invalid": "A property id (UUID) is required."}
        )
        start_date = StrictDateField(help_text="Move-in day: today or later.")
        end_date = StrictDateField(help_text="Move-out day: at least one month after start_date.")

    @extend_schema(
        tags=["bookings"],
        summary="My rental reservations",
        description="A tenant's own; a landlord's: those on their properties. Newest first.",
        parameters=[FilterSerializer],
        responses={
            200: ReservationOutputSerializer(many=True),
            400: INVALID,
            401: NOT_AUTHENTICATED,
            404: error_schema("`not_found`: not a property of the caller, or a page past the end."),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer.from_query(request.query_params)
        reservations = selectors.reservation_list_for(
            actor=_actor(request),
            property_id=filters.get("property_id"),
            status=filters.get("status"),
        )
        return paginated_response(self, request, reservations, ReservationOutputSerializer)

    @extend_schema(
        tags=["bookings"],
        summary="Ask to rent a listed property (tenants)",
        description=(
            "Pending until the owner approves or rejects it; expires if unanswered "
            "(default 72 h). The rent and deposit are the property's at the time of asking."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=ReservationInputSerializer,
        responses={
            201: ReservationOutputSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            403: error_schema("`forbidden`: not a tenant."),
            404: error_schema("`not_found`: no such property."),
            409: error_schema(
                "`property_unavailable`: overlaps an active reservation, or not listed."
            ),
            422: KEY_REUSED,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.ReservationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = _actor(request)
        return idempotent(
            request,
            _created(
                lambda: (
                    ReservationOutputSerializer(
                        services.reservation_create(actor=actor, **serializer.validated_data)
                    ).data
                )
            ),
        )


def _reservation_action(action, *, summary: str, who: str):
    class ReservationActionApi(APIView):
        @extend_schema(
            tags=["bookings"],
            summary=summary,
            description=f"Only a pending reservation; by its {who}.",
            request=None,
            responses={
                200: ReservationOutputSerializer,
                401: NOT_AUTHENTICATED,
                403: error_schema(f"`forbidden`: not the reservation's {who}."),
                404: NOT_FOUND,
                409: INVALID_TRANSITION,
            },
        )
        def post(self, request: Request, reservation_id: str) -> Response:
            reservation = action(actor=_actor(request), reservation_id=parse_uuid(reservation_id))
            return Response(ReservationOutputSerializer(reservation).data)

    ReservationActionApi.__name__ = f"Reservation{action.__name__.title().replace('_', '')}Api"
    return ReservationActionApi


ReservationApproveApi = _reservation_action(
    services.reservation_approve,
    summary="Approve a rental request (the owner): rent_service then creates the lease",
    who="landlord",
)
ReservationRejectApi = _reservation_action(
    services.reservation_reject, summary="Reject a rental request (the owner)", who="landlord"
)
ReservationCancelApi = _reservation_action(
    services.reservation_cancel, summary="Withdraw one's rental request (the tenant)", who="tenant"
)
