"""OpenAPI: describe the gateway identity as the bearer token clients send.

(Every service needs this; it belongs in rentezy_platform, see the report.)
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
