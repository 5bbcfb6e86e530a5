"""Thin DRF views of notification_service: the caller's notifications (only
ever their own; anyone else's id is a 404), read marks, the unread count and
e-mail preferences. The live feed is the socket (consumers.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rentezy_platform.openapi import INVALID, NOT_AUTHENTICATED, error_schema
from rentezy_platform.pagination import PageNumberPagination, paginated_response
from rentezy_platform.parsing import parse_uuid
from rentezy_platform.serializers import PageFilterSerializer, StrictInputSerializer
from rentezy_platform.trust import Actor
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import catalog, selectors, services

NOT_FOUND = error_schema("`not_found`: no such notification of the caller's.")


class NotificationOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=catalog.TYPES)
    title = serializers.CharField()
    body = serializers.CharField()
    data = serializers.DictField(help_text="Ids of what it is about (booking, invoice...).")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return services.notification_payload(instance)


class PreferencesSerializer(serializers.Serializer):
    email = serializers.DictField(
        child=serializers.BooleanField(),
        help_text="Notification type → whether it also goes by e-mail.",
    )


def _user_id(request: Request):
    return Actor.of(request.user).user_id


class NotificationListApi(APIView):
    pagination_class = PageNumberPagination

    class FilterSerializer(PageFilterSerializer):
        unread = serializers.BooleanField(required=False, allow_null=True, default=None)

    @extend_schema(
        tags=["notifications"],
        summary="My notifications",
        description="Newest first; `?unread=true` for the unread ones only.",
        parameters=[FilterSerializer],
        responses={
            200: NotificationOutputSerializer(many=True),
            400: INVALID,
            401: NOT_AUTHENTICATED,
            404: error_schema("`not_found`: a page past the last one."),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer.from_query(request.query_params)
        notifications = selectors.notification_list(
            user_id=_user_id(request), unread=filters.get("unread")
        )
        return paginated_response(self, request, notifications, NotificationOutputSerializer)


class NotificationReadApi(APIView):
    @extend_schema(
        tags=["notifications"],
        summary="Mark one notification read",
        request=None,
        responses={200: NotificationOutputSerializer, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    )
    def post(self, request: Request, notification_id: str) -> Response:
        notification = services.notification_read(
            user_id=_user_id(request), notification_id=parse_uuid(notification_id)
        )
        return Response(NotificationOutputSerializer(notification).data)


COUNT = inline_serializer("UnreadCount", {"unread_count": serializers.IntegerField()})


class NotificationReadAllApi(APIView):
    @extend_schema(
        tags=["notifications"],
        summary="Mark every notification read",
        request=None,
        responses={
            200: inline_serializer("ReadAll", {"marked": serializers.IntegerField()}),
            401: NOT_AUTHENTICATED,
        },
    )
    def post(self, request: Request) -> Response:
        return Response({"marked": services.notifications_read_all(user_id=_user_id(request))})


class UnreadCountApi(APIView):
    @extend_schema(
        tags=["notifications"],
        summary="How many of my notifications are unread",
        responses={200: COUNT, 401: NOT_AUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        return Response({"unread_count": selectors.unread_count(user_id=_user_id(request))})


class PreferencesApi(APIView):
    class PreferencesInputSerializer(StrictInputSerializer):
        email = serializers.DictField(
            child=serializers.JSONField(),
            help_text='Only the types to change: `{"rent.reminder": false}`.',
        )

    @extend_schema(
        tags=["notifications"],
        summary="Which notifications also come by e-mail",
        responses={200: PreferencesSerializer, 401: NOT_AUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        return Response({"email": services.preferences_get(user_id=_user_id(request))})

    @extend_schema(
        tags=["notifications"],
        summary="Turn e-mail on or off per notification type",
        request=PreferencesInputSerializer,
        responses={200: PreferencesSerializer, 400: INVALID, 401: NOT_AUTHENTICATED},
    )
    def patch(self, request: Request) -> Response:
        serializer = self.PreferencesInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = services.preferences_update(
            user_id=_user_id(request), email=serializer.validated_data["email"]
        )
        return Response({"email": email})
