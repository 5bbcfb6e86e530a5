"""The platform's schema rules: request strings state what DRF refuses, request
bodies admit only their fields, one Error component.

DRF and drf-spectacular are imported inside `_schema`: importing
rest_framework.views at collection time would freeze APIView's
authentication classes before the web settings apply (tests/web/conftest.py).
"""

import re


def _schema() -> dict:
    from django.core.validators import RegexValidator
    from django.urls import path
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.openapi import AutoSchema
    from drf_spectacular.settings import patched_settings
    from rentezy_platform import settings as platform
    from rentezy_platform.openapi import ErrorSerializer
    from rest_framework import serializers
    from rest_framework.generics import GenericAPIView
    from rest_framework.response import Response

    class Profile(serializers.Serializer):
        name = serializers.CharField(max_length=10)
        note = serializers.CharField(allow_blank=True, required=False)
        secret = serializers.CharField(trim_whitespace=False)
        phone = serializers.CharField(validators=[RegexValidator(r"^[0-9]{4,}$")], required=False)
        email = serializers.EmailField(required=False)

    class ProfileApi(GenericAPIView):
        schema = AutoSchema()  # the services' DEFAULT_SCHEMA_CLASS
        serializer_class = Profile

        def post(self, request):
            return Response({})

    class ErrorApi(GenericAPIView):
        schema = AutoSchema()
        serializer_class = ErrorSerializer

        def get(self, request):
            return Response({})

    generator = SchemaGenerator(
        patterns=[path("api/profile", ProfileApi.as_view()), path("api/error", ErrorApi.as_view())]
    )
    # The services' drf-spectacular settings (the test project has none).
    patches = {
        k: v for k, v in platform.SPECTACULAR_SETTINGS.items() if k != "SERVE_INCLUDE_SCHEMA"
    }
    with patched_settings(patches):
        return generator.get_schema(request=None, public=True)


def test_request_strings_state_what_the_service_refuses():
    schema = _schema()
    body = schema["components"]["schemas"]["ProfileRequest"]
    fields = body["properties"]

    assert body["additionalProperties"] is False
    not_blank = re.compile(fields["name"]["pattern"])
    # A value DRF trims to nothing, or with a NUL, is refused by the pattern.
    for refused in (" ", "\t\n", "\x1f", "\x85", "a\x00b"):
        assert not_blank.search(refused) is None, repr(refused)
    for accepted in ("a", " a ", "é"):
        assert not_blank.search(accepted) is not None, repr(accepted)
    assert fields["note"]["oneOf"] == [
        {"type": "string", "pattern": "^[^\\u0000]+$"},
        {"type": "string", "maxLength": 0},
    ]
    assert fields["secret"]["pattern"] == "^[^\\u0000]+$"
    # Their own pattern or format is left alone.
    assert fields["phone"]["pattern"] == "^[0-9]{4,}$"
    assert "pattern" not in fields["email"]
    # Responses are what they are.
    response = schema["components"]["schemas"]["Profile"]
    assert response["properties"]["name"] == {"type": "string", "maxLength": 10}
    assert "additionalProperties" not in response


def test_the_error_component_is_the_platform_one():
    from rentezy_platform.openapi import ERROR_SCHEMA

    assert _schema()["components"]["schemas"]["Error"] == ERROR_SCHEMA
    fields = ERROR_SCHEMA["properties"]["fields"]
    assert fields["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
    assert "images.0.url" in fields["description"]
