"""Thin DRF views of auth_service: validate input, call one service or
selector, serialize the result. Errors render through the platform handler as
`{code, message, fields?}`.

Public routes (through the gateway) are API.md's Auth table;
`POST /internal/validate` is the gateway's own call (signed, never routed).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rentezy_platform.openapi import INVALID, NOT_AUTHENTICATED, error_schema
from rentezy_platform.parsing import bearer_token
from rentezy_platform.serializers import StrictEmailField, StrictInputSerializer, StringField
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from users import selectors, services
from users.models import (
    EMAIL_MAX_LENGTH,
    FULL_NAME_MAX_LENGTH,
    PHONE_MAX_LENGTH,
    SIGN_UP_ROLE_CHOICES,
    Role,
    User,
)
from users.tokens import MAX_TOKEN_LENGTH

PASSWORD_MAX_LENGTH = 128
RESET_TOKEN_MAX_LENGTH = 128


def _password_field() -> StringField:
    # Spaces are part of a password: never trim.
    return StringField(
        max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, style={"input_type": "password"}
    )


def _token_field(max_length: int = MAX_TOKEN_LENGTH) -> StringField:
    return StringField(max_length=max_length)


class UserOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)


class MeOutputSerializer(UserOutputSerializer):
    phone = serializers.SerializerMethodField()

    def get_phone(self, user: User) -> str | None:
        return user.phone or None


class TokenPairOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


def _token_pair(tokens: services.TokenPair) -> dict[str, str]:
    return {"access": tokens.access.token, "refresh": tokens.refresh.token}


class RegisterApi(APIView):
    permission_classes = [AllowAny]

    class RegisterInputSerializer(StrictInputSerializer):
        email = StrictEmailField(max_length=EMAIL_MAX_LENGTH)
        password = _password_field()
        full_name = StringField(max_length=FULL_NAME_MAX_LENGTH)
        role = serializers.ChoiceField(choices=SIGN_UP_ROLE_CHOICES)

    @extend_schema(
        tags=["auth"],
        summary="Sign up as a tenant or landlord",
        request=RegisterInputSerializer,
        responses={
            201: UserOutputSerializer,
            400: error_schema(
                "`invalid` (weak password, role other than tenant/landlord, bad e-mail...) "
                "or `email_taken`."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    permission_classes = [AllowAny]

    class LoginInputSerializer(StrictInputSerializer):
        email = StringField(max_length=EMAIL_MAX_LENGTH)
        password = _password_field()

    class LoginOutputSerializer(TokenPairOutputSerializer):
        token_type = serializers.CharField()
        expires_in = serializers.IntegerField(help_text="Access token lifetime in seconds.")
        user = UserOutputSerializer()

    @extend_schema(
        tags=["auth"],
        summary="Log in: an access token and a refresh token",
        request=LoginInputSerializer,
        responses={
            200: LoginOutputSerializer,
            400: INVALID,
            401: error_schema(
                "`invalid_credentials`: wrong e-mail or password, or a disabled account."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.LoginInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.user_login(**serializer.validated_data)
        body = {
            **_token_pair(result.tokens),
            "token_type": "Bearer",
            "expires_in": settings.JWT_ACCESS_TOKEN_LIFETIME,
            "user": UserOutputSerializer(result.user).data,
        }
        return Response(body)


class RefreshApi(APIView):
    permission_classes = [AllowAny]

    class RefreshInputSerializer(StrictInputSerializer):
        refresh = _token_field()

    @extend_schema(
        tags=["auth"],
        summary="Rotate a refresh token: a new access and refresh token",
        description=(
            "Each refresh token works once. Presenting a used one again ends its "
            "whole session: every refresh and access token rotated from the same login."
        ),
        request=RefreshInputSerializer,
        responses={200: TokenPairOutputSerializer, 400: INVALID, 401: NOT_AUTHENTICATED},
    )
    def post(self, request: Request) -> Response:
        serializer = self.RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = services.refresh_token_rotate(refresh=serializer.validated_data["refresh"])
        return Response(_token_pair(tokens))


class LogoutApi(APIView):
    class LogoutInputSerializer(StrictInputSerializer):
        refresh = _token_field()

    @extend_schema(
        tags=["auth"],
        summary="Log out: end the session",
        description=(
            "Ends the session `refresh` belongs to (and the session of the access token "
            "of the `Authorization` header, normally the same one): every refresh token "
            "and every access token of it, including ones minted by earlier refreshes. "
            "The gateway rejects them within 2 s and closes their open WebSockets (code "
            "4401). The user's other sessions are not affected."
        ),
        request=LogoutInputSerializer,
        responses={
            204: OpenApiResponse(description="Logged out."),
            400: error_schema("`invalid`: `refresh` is not a refresh token of the caller."),
            401: NOT_AUTHENTICATED,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.LogoutInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_logout(
            user_id=request.user.user_id,
            access=bearer_token(request.headers.get("Authorization")),
            refresh=serializer.validated_data["refresh"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    class MeUpdateSerializer(StrictInputSerializer):
        """Only these two fields are writable; any other key is a 400."""

        read_only_keys = frozenset({"id", "email", "role"})

        full_name = StringField(max_length=FULL_NAME_MAX_LENGTH, required=False)
        phone = StringField(
            max_length=PHONE_MAX_LENGTH,
            required=False,
            allow_blank=True,
            allow_null=True,
            validators=[
                RegexValidator(
                    r"^\+?[0-9][0-9 ().-]{3,30}$",
                    "Enter a phone number: digits, spaces, ( ) . - and an optional leading +.",
                )
            ],
            help_text="null or an empty string removes the phone number.",
        )

        def to_internal_value(self, data):
            values = super().to_internal_value(data)
            if "phone" in values and values["phone"] is None:
                values["phone"] = ""
            return values

    @extend_schema(
        tags=["auth"],
        summary="The caller's profile",
        responses={200: MeOutputSerializer, 401: NOT_AUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        user = selectors.user_get_active(user_id=request.user.user_id)
        return Response(MeOutputSerializer(user).data)

    @extend_schema(
        tags=["auth"],
        summary="Change the caller's full name and/or phone",
        description="Accepts `full_name` and `phone` only: any other field is a 400 `invalid`.",
        request=MeUpdateSerializer,
        responses={200: MeOutputSerializer, 400: INVALID, 401: NOT_AUTHENTICATED},
    )
    def patch(self, request: Request) -> Response:
        serializer = self.MeUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(
            user_id=request.user.user_id, data=serializer.validated_data
        )
        return Response(MeOutputSerializer(user).data)


class PasswordChangeApi(APIView):
    class PasswordChangeInputSerializer(StrictInputSerializer):
        old_password = _password_field()
        new_password = _password_field()

    @extend_schema(
        tags=["auth"],
        summary="Change the password (ends every session, this one included)",
        request=PasswordChangeInputSerializer,
        responses={
            204: OpenApiResponse(description="Changed; log in again."),
            400: error_schema("`invalid`: wrong `old_password` or weak `new_password`."),
            401: NOT_AUTHENTICATED,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.PasswordChangeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_change_password(user_id=request.user.user_id, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetApi(APIView):
    permission_classes = [AllowAny]

    class PasswordResetInputSerializer(StrictInputSerializer):
        email = StrictEmailField(max_length=EMAIL_MAX_LENGTH)

    @extend_schema(
        tags=["auth"],
        summary="E-mail a password reset link",
        description="Always 202, whether or not an account has this address.",
        request=PasswordResetInputSerializer,
        responses={202: OpenApiResponse(description="Accepted."), 400: INVALID},
    )
    def post(self, request: Request) -> Response:
        serializer = self.PasswordResetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(email=serializer.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(APIView):
    permission_classes = [AllowAny]

    class PasswordResetConfirmInputSerializer(StrictInputSerializer):
        token = _token_field(RESET_TOKEN_MAX_LENGTH)
        new_password = _password_field()

    @extend_schema(
        tags=["auth"],
        summary="Set a new password with the e-mailed token (ends every session)",
        request=PasswordResetConfirmInputSerializer,
        responses={
            204: OpenApiResponse(description="Password changed."),
            400: error_schema(
                "`invalid_token` (bad, expired or used token) or `invalid` (weak password)."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.PasswordResetConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_confirm(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ValidateTokenApi(APIView):
    """The gateway's token check. The trust middleware already refused any
    call without a valid gateway signature; the gateway signs these calls
    itself as `anonymous`."""

    permission_classes = [AllowAny]

    class ValidateTokenInputSerializer(StrictInputSerializer):
        token = _token_field()

    class ValidateTokenOutputSerializer(serializers.Serializer):
        user_id = serializers.UUIDField()
        role = serializers.ChoiceField(choices=Role.choices)
        email = serializers.EmailField()
        jti = serializers.UUIDField()
        issued_at = serializers.IntegerField(help_text="The token's `iat` (unix seconds).")
        expires_at = serializers.IntegerField(help_text="The token's `exp` (unix seconds).")
        session_id = serializers.UUIDField(
            help_text="The token's `sid`: its session (refresh token family)."
        )

    @extend_schema(
        tags=["internal"],
        summary="Validate an access token (gateway only)",
        request=ValidateTokenInputSerializer,
        responses={200: ValidateTokenOutputSerializer, 400: INVALID, 401: NOT_AUTHENTICATED},
    )
    def post(self, request: Request) -> Response:
        serializer = self.ValidateTokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        validated = selectors.access_token_validate(token=serializer.validated_data["token"])
        return Response(self.ValidateTokenOutputSerializer(validated).data)
