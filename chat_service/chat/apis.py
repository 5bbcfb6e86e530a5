"""Thin DRF views of chat_service: conversations, their history (cursor
pagination, newest first), sending over REST, read marks. The sockets
(consumers.py) call the same service functions. Errors render through the
platform handler as `{code, message, fields?}`; a conversation that is not the
caller's is a 404 like one that does not exist.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rentezy_platform.openapi import INVALID, NOT_AUTHENTICATED, error_schema
from rentezy_platform.pagination import (
    CursorPagination,
    PageNumberPagination,
    paginated_response,
)
from rentezy_platform.parsing import parse_uuid
from rentezy_platform.serializers import (
    PageFilterSerializer,
    StrictInputSerializer,
    StrictUUIDField,
    StringField,
)
from rentezy_platform.trust import Actor
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import selectors, services
from chat.models import BODY_MAX_CHARS, CLIENT_ID_MAX_CHARS

NOT_FOUND = error_schema("`not_found`: no such conversation of the caller's.")


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    conversation_id = serializers.UUIDField()
    sender_id = serializers.UUIDField()
    body = serializers.CharField()
    client_id = serializers.CharField(
        allow_null=True, help_text="The sender's own id for this message, if it gave one."
    )
    created_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return services.message_payload(instance)


class ParticipantOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    full_name = serializers.CharField()


class ConversationOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    participants = serializers.ListField(child=serializers.UUIDField(), source="participant_ids")
    property_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()
    other_participant = serializers.SerializerMethodField()
    last_message = MessageOutputSerializer(allow_null=True)
    unread_count = serializers.IntegerField(help_text="The other participant's unread messages.")

    def get_other_participant(self, conversation) -> ParticipantOutputSerializer:
        me = self.context["me"]
        other = conversation.other(me)
        names = self.context.get("names") or selectors.display_names([other])
        return {"id": str(other), "full_name": names.get(other, "")}


def _actor(request: Request) -> Actor:
    return Actor.of(request.user)


def _conversations(conversations, *, actor: Actor, many: bool):
    items = list(conversations) if many else [conversations]
    names = selectors.display_names(c.other(actor.user_id) for c in items)
    context = {"me": actor.user_id, "names": names}
    return ConversationOutputSerializer(conversations, many=many, context=context).data


class ConversationListCreateApi(APIView):
    pagination_class = PageNumberPagination

    class ConversationInputSerializer(StrictInputSerializer):
        read_only_keys = frozenset({"id", "participants", "created_at"})

        participant_id = StrictUUIDField(
            error_messages={"invalid": "A user id (UUID) is required."},
            help_text="The other participant: a registered user.",
        )
        property_id = StrictUUIDField(
            required=False, allow_null=True, help_text="What the conversation is about."
        )

    @extend_schema(
        tags=["chat"],
        summary="My conversations",
        description="Latest activity first, each with its last message and unread count.",
        parameters=[PageFilterSerializer],
        responses={
            200: ConversationOutputSerializer(many=True),
            400: INVALID,
            401: NOT_AUTHENTICATED,
            404: error_schema("`not_found`: a page past the last one."),
        },
    )
    def get(self, request: Request) -> Response:
        actor = _actor(request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.conversation_list_for(actor=actor), request, view=self
        )
        return paginator.get_paginated_response(_conversations(page, actor=actor, many=True))

    @extend_schema(
        tags=["chat"],
        summary="Start (or find) a conversation",
        description=(
            "With a registered user, optionally about a property. The same pair and property "
            "again returns the existing conversation (200)."
        ),
        request=ConversationInputSerializer,
        responses={
            200: ConversationOutputSerializer,
            201: ConversationOutputSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.ConversationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = _actor(request)
        conversation, created = services.conversation_open(actor=actor, **serializer.validated_data)
        detail = selectors.conversation_detail_for(actor=actor, conversation_id=conversation.pk)
        return Response(
            _conversations(detail, actor=actor, many=False),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ConversationDetailApi(APIView):
    @extend_schema(
        tags=["chat"],
        summary="One of my conversations",
        responses={200: ConversationOutputSerializer, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, conversation_id: str) -> Response:
        actor = _actor(request)
        conversation = selectors.conversation_detail_for(
            actor=actor, conversation_id=parse_uuid(conversation_id)
        )
        return Response(_conversations(conversation, actor=actor, many=False))


class MessageListCreateApi(APIView):
    pagination_class = CursorPagination

    class MessageInputSerializer(StrictInputSerializer):
        read_only_keys = frozenset({"id", "sender_id", "conversation_id", "created_at"})

        body = StringField(
            trim_whitespace=False,  # the service trims, and counts what it keeps
            allow_blank=True,
            help_text=f"1 to {BODY_MAX_CHARS} characters after trimming.",
        )
        client_id = StringField(
            required=False,
            allow_blank=True,
            max_length=CLIENT_ID_MAX_CHARS,
            help_text="The sender's own id for the message: sending it again stores nothing new.",
        )

    @extend_schema(
        tags=["chat"],
        summary="A conversation's messages",
        description="Newest first; `next` pages back in time.",
        responses={
            200: MessageOutputSerializer(many=True),
            400: INVALID,
            401: NOT_AUTHENTICATED,
            404: error_schema(
                "`not_found`: no such conversation of the caller's, or a bad cursor."
            ),
        },
    )
    def get(self, request: Request, conversation_id: str) -> Response:
        messages = selectors.message_list(
            actor=_actor(request), conversation_id=parse_uuid(conversation_id)
        )
        return paginated_response(self, request, messages, MessageOutputSerializer)

    @extend_schema(
        tags=["chat"],
        summary="Send a message",
        description=(
            "Stored, then pushed to both participants' open sockets. With a `client_id` already "
            "used by the caller in this conversation, the stored message is returned (200)."
        ),
        request=MessageInputSerializer,
        responses={
            200: MessageOutputSerializer,
            201: MessageOutputSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, conversation_id: str) -> Response:
        serializer = self.MessageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message, created = services.message_send(
            actor=_actor(request),
            conversation_id=parse_uuid(conversation_id),
            **serializer.validated_data,
        )
        return Response(
            MessageOutputSerializer(message).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ReadApi(APIView):
    class ReadInputSerializer(StrictInputSerializer):
        up_to = StrictUUIDField(
            error_messages={"invalid": "A message id (UUID) is required."},
            help_text="The newest message the caller has read.",
        )

    @extend_schema(
        tags=["chat"],
        summary="Mark read up to a message",
        description="The same as a `read` frame on the socket; never moves the mark back.",
        request=ReadInputSerializer,
        responses={
            200: ConversationOutputSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, conversation_id: str) -> Response:
        serializer = self.ReadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = _actor(request)
        services.read_up_to(
            actor=actor,
            conversation_id=parse_uuid(conversation_id),
            message_id=serializer.validated_data["up_to"],
        )
        conversation = selectors.conversation_detail_for(
            actor=actor, conversation_id=parse_uuid(conversation_id)
        )
        return Response(_conversations(conversation, actor=actor, many=False))
