"""OpenAPI (drf-spectacular): the gateway identity, as clients see it.

Services authenticate by the gateway's signed headers
(`GatewayIdentityAuthentication`); what a client sends is a bearer token the
gateway checks. Registered on import, which rentezy_platform.urls does for
every service that serves a schema.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
