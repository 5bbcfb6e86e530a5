"""Views exercising the platform plumbing the way a service's views would."""

import logging

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError, transaction
from django.http import Http404, JsonResponse
from django.urls import path
from rentezy_platform import errors
from rentezy_platform.pagination import PageNumberPagination
from rentezy_platform.parsing import parse_uuid
from rentezy_platform.serializers import (
    PageFilterSerializer,
    StrictEmailField,
    StrictInputSerializer,
    StringField,
)
from rentezy_platform.trust import IsInternalService
from rentezy_platform.urls import handler400, handler403, handler404, handler500, health_urlpatterns  # noqa: F401
from rest_framework import serializers
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger("tests.web.views")


class WhoAmI(APIView):
    """Public: shows what the trust middleware and DRF authentication saw."""

    permission_classes = [AllowAny]

    def get(self, request):
        user = request.user
        identity = request._request.identity
        logger.info("whoami served")
        return Response(
            {
                "id": user.id,
                "role": user.role,
                "email": user.email,
                "is_authenticated": user.is_authenticated,
                "same_identity": identity is user or identity == user,
            }
        )

    def post(self, request):
        return Response({"received": request.data})


class Private(APIView):
    """Default permissions: authenticated callers only."""

    def get(self, request):
        return Response({"id": request.user.id})


class InternalOnly(APIView):
    permission_classes = [IsInternalService]

    def get(self, request):
        return Response({"caller": request.user.id})


class BookingInput(serializers.Serializer):
    slot_id = serializers.UUIDField()
    guests = serializers.IntegerField(min_value=1, max_value=10)


class ImageInput(serializers.Serializer):
    url = serializers.URLField()


class AddressInput(serializers.Serializer):
    city = serializers.CharField(max_length=5)


class NestedInput(serializers.Serializer):
    """Every kind of nesting DRF reports errors for."""

    amenities = serializers.ListField(child=serializers.CharField(max_length=3))
    images = ImageInput(many=True)
    address = AddressInput()
    tags = serializers.DictField(child=serializers.IntegerField())

    def validate(self, attrs):
        raise serializers.ValidationError("Never valid as a whole.")


class Nested(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        NestedInput(data=request.data).is_valid(raise_exception=True)
        return Response(status=204)


class Failing(APIView):
    permission_classes = [AllowAny]
    failures = {
        "application": lambda: errors.ApplicationError("email_taken", "That e-mail is taken."),
        "conflict": lambda: errors.Conflict("slot_full", "This slot is full."),
        "not_found": lambda: errors.NotFound(),
        "forbidden": lambda: errors.Forbidden(),
        "not_authenticated": lambda: errors.NotAuthenticated(),
        "with_fields": lambda: errors.ApplicationError(
            "invalid", "Bad dates.", fields={"end_date": ["Must be after start_date."]}
        ),
        "invalid_input": lambda: errors.InvalidInput(fields={"owner": ['The only value is "me".']}),
        "with_nested_fields": lambda: errors.ApplicationError(
            "invalid", "Bad rows.", fields={"rows": [{"price": "Too high."}], "note": "Too long."}
        ),
        "http404": lambda: Http404("secret detail"),
        "django_permission": lambda: PermissionDenied("secret detail"),
        "throttled": lambda: Throttled(wait=2.2),
        "crash": lambda: RuntimeError("secret database password in a traceback"),
        "database_down": lambda: OperationalError("connection to server failed: secret host"),
        "database_gone": lambda: InterfaceError("connection already closed"),
    }

    def get(self, request, kind):
        raise self.failures[kind]()

    def post(self, request, kind):
        BookingInput(data=request.data).is_valid(raise_exception=True)
        return Response(status=204)


class Numbers(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(list(range(1, 251)), request, view=self)
        return paginator.get_paginated_response(page)


class Strict(APIView):
    """A strict body (unknown and read-only keys refused) and a filter serializer."""

    permission_classes = [AllowAny]

    class InputSerializer(StrictInputSerializer):
        read_only_keys = frozenset({"id", "created_at"})

        name = StringField(max_length=10)
        email = StrictEmailField(required=False)

    class FilterSerializer(PageFilterSerializer):
        owner = serializers.ChoiceField(choices=["me"], required=False)
        limit = serializers.IntegerField(min_value=1, max_value=5, default=2)

    def get(self, request):
        return Response(self.FilterSerializer.from_query(request.query_params))

    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


ON_COMMIT_CALLS: list[str] = []


class OnCommit(APIView):
    """Registers an after-commit effect, as a service writing an event would."""

    permission_classes = [AllowAny]

    def post(self, request):
        transaction.on_commit(lambda: ON_COMMIT_CALLS.append(request.data["mark"]))
        return Response(status=204)


class Thing(APIView):
    permission_classes = [AllowAny]

    def get(self, request, thing_id):
        return Response({"id": str(parse_uuid(thing_id))})


def plain_crash(request):
    raise RuntimeError("plain view crash")


def plain_database_down(request):
    raise OperationalError("could not connect to server: secret host")


def plain_forbidden(request):
    raise PermissionDenied


def plain_ok(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    *health_urlpatterns,
    path("api/whoami", WhoAmI.as_view()),
    path("api/private", Private.as_view()),
    path("api/fail/<str:kind>", Failing.as_view()),
    path("api/nested", Nested.as_view()),
    path("api/numbers", Numbers.as_view()),
    path("api/strict", Strict.as_view()),
    path("api/on-commit", OnCommit.as_view()),
    path("api/things/<str:thing_id>", Thing.as_view()),
    path("internal/only", InternalOnly.as_view()),
    path("plain/crash", plain_crash),
    path("plain/database-down", plain_database_down),
    path("plain/forbidden", plain_forbidden),
    path("plain/ok", plain_ok),
]
