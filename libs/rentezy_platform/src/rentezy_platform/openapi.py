"""OpenAPI (drf-spectacular): the gateway identity as clients see it, and the
error responses every service documents.

Services authenticate by the gateway's signed headers
(`GatewayIdentityAuthentication`); what a client sends is a bearer token the
gateway checks. Registered on import, which rentezy_platform.urls does for
every service that serves a schema.
"""

import copy

from django.core.validators import RegexValidator
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
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


_FIELDS_DESCRIPTION = (
    "Validation errors by field: `{name: [message, ...]}`, always arrays of strings. "
    "Errors inside a nested object or a list item are flattened into dotted names such as "
    "`amenities.1` (the second item of `amenities`) or `images.0.url`; errors of the body "
    "as a whole are under `non_field_errors`."
)

# The one error component, as every service and the gateway publish it (the
# gateway's own 401/404/413/429/5xx responses refer to it by name).
ERROR_SCHEMA = {
    "type": "object",
    "description": "The error shape of every RentEzy response with a 4xx or 5xx status.",
    "properties": {
        "code": {"type": "string", "description": "Stable machine-readable snake_case code."},
        "message": {"type": "string", "description": "Human-readable explanation."},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": _FIELDS_DESCRIPTION,
        },
    },
    "required": ["code", "message"],
}


class ErrorSerializer(serializers.Serializer):
    """The error shape of API.md (rentezy_platform.errors), for the schema."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class ErrorSchema(OpenApiSerializerExtension):
    """ErrorSerializer published as exactly ERROR_SCHEMA (so the gateway's copy
    and every service's are one and the same component)."""

    target_class = "rentezy_platform.openapi.ErrorSerializer"

    def map_serializer(self, auto_schema, direction):
        return copy.deepcopy(ERROR_SCHEMA)


# What DRF's CharField refuses beyond the length: a NUL character always
# (ProhibitNullCharactersValidator), and, unless blank is allowed, a value
# that is only whitespace once trimmed (str.strip, whose whitespace includes
# U+001C-U+001F and U+0085, which the ECMA `\\s` does not).
# Blank-allowing fields: drf-spectacular adds `oneOf [this, maxLength 0]`, so
# this one must not match "" itself.
_NO_NUL = "^[^\\u0000]+$"
_NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000\\u001c-\\u001f\\u0085][^\\u0000]*$"


class RequestStringSchema(OpenApiSerializerFieldExtension):
    """Request strings say what the service refuses: so a body the schema
    allows is one the service accepts. Formats, enums and patterns of their
    own (e-mail, URL, choice, regex validators) are left as they are."""

    target_class = "rest_framework.fields.CharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction != "request" or schema.get("type") != "string":
            return schema
        if any(key in schema for key in ("format", "enum", "pattern")) or any(
            isinstance(validator, RegexValidator) for validator in self.target.validators
        ):
            return schema
        if self.target.allow_blank:
            schema["pattern"] = _NO_NUL
        elif self.target.trim_whitespace:
            schema["pattern"] = _NOT_BLANK
        else:
            schema["pattern"] = _NO_NUL
        return schema


def strict_request_bodies(result, generator, request, public):
    """POSTPROCESSING_HOOKS: request bodies admit only the fields they name
    (input serializers refuse unknown and read-only keys with a 400)."""
    for name, schema in (result.get("components", {}).get("schemas") or {}).items():
        if name.endswith("Request") and schema.get("type") == "object" and "properties" in schema:
            schema["additionalProperties"] = False
    return result


def error_schema(description: str) -> OpenApiResponse:
    """An error response of a view's schema: `{code, message, fields?}`."""
    return OpenApiResponse(ErrorSerializer, description=description)


NOT_AUTHENTICATED = error_schema("`not_authenticated`: no, bad, expired or revoked token.")
INVALID = error_schema("`invalid` (with `fields`) or `parse_error`.")
