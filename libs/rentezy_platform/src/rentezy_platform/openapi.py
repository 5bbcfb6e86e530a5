"""OpenAPI (drf-spectacular): the gateway identity as clients see it, and the
error responses every service documents.

Services authenticate by the gateway's signed headers
(`GatewayIdentityAuthentication`); what a client sends is a bearer token the
gateway checks. Registered on import, which rentezy_platform.urls does for
every service that serves a schema.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class GatewayBearerScheme(OpenApiAuthenticationExtension):
    target_class = "rentezy_platform.trust.GatewayIdentityAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from POST /api/auth/login, checked by the gateway.",
        }


class ErrorSerializer(serializers.Serializer):
    """The error shape of API.md (rentezy_platform.errors), for the schema."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


def error_schema(description: str) -> OpenApiResponse:
    """An error response of a view's schema: `{code, message, fields?}`."""
    return OpenApiResponse(ErrorSerializer, description=description)


NOT_AUTHENTICATED = error_schema("`not_authenticated`: no, bad, expired or revoked token.")
INVALID = error_schema("`invalid` (with `fields`) or `parse_error`.")
