"""The merged OpenAPI document and the Swagger UI page."""

from __future__ import annotations

import re

from gateway.schema import GATEWAY_RESPONSES, merge_schemas
from rentezy_platform.openapi import ERROR_SCHEMA


def _doc(paths: dict, schemas: dict) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "x", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _op(ref: str) -> dict:
    return {
        "get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": ref}}}}}}
    }


def test_clashing_components_get_the_service_prefix_and_refs_follow():
    auth = _doc(
        {
            "/api/auth/me": _op("#/components/schemas/User"),
            "/internal/validate": _op("#/components/schemas/User"),
        },
        {
            "User": {"type": "object", "properties": {"email": {"type": "string"}}},
            "Error": {"type": "object"},
        },
    )
    chat = _doc(
        {
            "/api/chat/conversations": _op("#/components/schemas/User"),
            "/api/auth/me": _op("#/components/schemas/Error"),
        },
        {
            "User": {"type": "object", "properties": {"id": {"type": "string"}}},
            "Error": {"type": "object"},
            "Wrapper": {"properties": {"user": {"$ref": "#/components/schemas/User"}}},
        },
    )

    merged = merge_schemas({"auth": auth, "chat": chat}, {"search": "ConnectError"})

    schemas = merged["components"]["schemas"]
    # Both services' `Error` differ from the platform's: both are renamed.
    assert sorted(schemas) == ["AuthError", "ChatError", "ChatUser", "Error", "User", "Wrapper"]
    assert schemas["Error"] == ERROR_SCHEMA
    assert schemas["User"] == auth["components"]["schemas"]["User"]
    assert schemas["ChatUser"] == chat["components"]["schemas"]["User"]
    # chat's own Wrapper keeps its name; its ref follows the renamed User.
    assert schemas["Wrapper"]["properties"]["user"]["$ref"] == "#/components/schemas/ChatUser"
    # Only routed paths, each from the service the gateway sends it to.
    assert sorted(merged["paths"]) == ["/api/auth/me", "/api/chat/conversations"]
    assert merged["paths"]["/api/auth/me"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"] == {"$ref": "#/components/schemas/User"}
    assert merged["paths"]["/api/chat/conversations"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"] == {"$ref": "#/components/schemas/ChatUser"}
    assert merged["paths"]["/api/auth/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert merged["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert merged["x-rentezy-omitted"] == [{"service": "search", "reason": "ConnectError"}]
    assert "Omitted (did not answer): search (ConnectError)." in merged["info"]["description"]


def _responses(operation: dict) -> dict:
    return {"responses": {"200": {"description": "ok"}}, **operation}


def test_every_operation_gets_the_gateway_responses_from_the_route_table():
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    own_401 = {"description": "the service's own words", **error}
    auth = _doc(
        {
            "/api/auth/login": {"post": _responses({"requestBody": {"content": {}}})},
            "/api/auth/me": {
                "get": _responses({"responses": {"200": {"description": "ok"}, "401": own_401}})
            },
        },
        {"Error": ERROR_SCHEMA},
    )
    prop = _doc(
        {
            "/api/properties": {"get": _responses({})},
            "/api/properties/{property_id}": {
                "get": _responses({}),
                "patch": _responses({"requestBody": {"content": {}}}),
            },
        },
        {"Error": ERROR_SCHEMA},
    )

    merged = merge_schemas({"auth": auth, "property": prop}, {})

    def refs(path, method):
        return {
            status: response.get("$ref", "(service)").rsplit("/", 1)[-1]
            for status, response in merged["paths"][path][method]["responses"].items()
        }

    common = {
        "200": "(service)",
        "401": "GatewayNotAuthenticated",
        "414": "GatewayUriTooLong",
        "429": "GatewayRateLimited",
        "502": "GatewayBadGateway",
        "503": "GatewayUnavailable",
        "504": "GatewayTimeout",
    }
    # Login: the failed-login limit is its 429; it has a body (413).
    assert refs("/api/auth/login", "post") == {
        **common,
        "413": "GatewayPayloadTooLarge",
        "429": "GatewayLoginRateLimited",
    }
    # A service's own documentation of a status is kept.
    assert refs("/api/auth/me", "get") == {**common, "401": "(service)"}
    assert merged["paths"]["/api/auth/me"]["get"]["responses"]["401"] == own_401
    # Public routes too (a bad token is refused there as well).
    assert refs("/api/properties", "get") == common
    # A path parameter can be a path the gateway does not route: 404.
    assert refs("/api/properties/{property_id}", "get") == {**common, "404": "GatewayNotFound"}
    assert refs("/api/properties/{property_id}", "patch") == {
        **common,
        "404": "GatewayNotFound",
        "413": "GatewayPayloadTooLarge",
    }
    assert merged["components"]["responses"] == GATEWAY_RESPONSES
    assert merged["components"]["schemas"] == {"Error": ERROR_SCHEMA}
    assert GATEWAY_RESPONSES["GatewayRateLimited"]["headers"]["Retry-After"]["required"] is True
    for response in GATEWAY_RESPONSES.values():
        assert response["content"] == error["content"]


def test_the_gateway_serves_the_merged_schema(gw):
    response = gw.get("/api/schema/")

    assert response.status_code == 200
    document = response.json()
    assert sorted(document["paths"]) == [
        "/api/auth/login",
        "/api/auth/me",
        "/api/bookings",
        "/api/chat/conversations",
        "/api/notifications",
        "/api/properties",
        "/api/properties/{id}",
        "/api/rent/invoices",
    ]
    assert document["x-rentezy-omitted"][0]["service"] == "search"
    assert document["paths"]["/api/properties"]["get"]["security"] == [{}, {"bearerAuth": []}]
    assert document["paths"]["/api/bookings"]["get"]["security"] == [{"bearerAuth": []}]
    assert document["components"]["schemas"] == {"Error": ERROR_SCHEMA, "Thing": {"type": "object"}}
    assert sorted(document["paths"]["/api/bookings"]["get"]["responses"]) == [
        "200",
        "401",
        "414",
        "429",
        "502",
        "503",
        "504",
    ]


def test_swagger_ui_is_served_with_its_assets_from_the_gateway_and_no_cdn(gw):
    page = gw.get("/api/docs/")

    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    csp = page.headers["content-security-policy"]
    assert csp == (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
    assert "http" not in csp
    # Every asset the page loads is a same-origin path (no scheme, no host).
    references = re.findall(r'(?:src|href)="([^"]*)"', page.text)
    assets = "/api/docs/assets/drf_spectacular_sidecar/swagger-ui-dist/"
    assert references == [
        assets + "favicon-32x32.png",
        assets + "swagger-ui.css",
        assets + "swagger-ui-bundle.js",
        assets + "swagger-ui-standalone-preset.js",
        "/api/docs/?script=",
    ]
    assert "http:" not in page.text and "https:" not in page.text
    expected_types = {
        assets + "favicon-32x32.png": "image/png",
        assets + "swagger-ui.css": "text/css",
        assets + "swagger-ui-bundle.js": "text/javascript",
        assets + "swagger-ui-standalone-preset.js": "text/javascript",
        "/api/docs/?script=": "application/javascript",
    }
    for reference, content_type in expected_types.items():
        asset = gw.get(reference)
        assert asset.status_code == 200, reference
        assert asset.headers["content-type"].split(";")[0] == content_type, reference
        assert len(asset.content) > 0, reference
    script = gw.get("/api/docs/?script=")
    assert '"/api/schema/"' in script.text
    assert "http:" not in script.text and "https:" not in script.text


def test_docs_assets_serve_only_swagger_ui_files(gw):
    assert (
        gw.get("/api/docs/assets/drf_spectacular_sidecar/swagger-ui-dist/nope.js").status_code
        == 404
    )
    # Redoc is in the package but not served; neither is anything outside it.
    assert (
        gw.get(
            "/api/docs/assets/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
        ).status_code
        == 404
    )
    assert (
        gw.get(
            "/api/docs/assets/drf_spectacular_sidecar/swagger-ui-dist/%2e%2e/redoc/LICENSE"
        ).status_code
        == 404
    )
    assert gw.get("/api/docs/assets/").status_code == 404
