"""The merged OpenAPI document and the Swagger UI page."""

from __future__ import annotations

from gateway.schema import merge_schemas


def _doc(paths: dict, schemas: dict) -> dict:
    return {"openapi": "3.0.3", "info": {"title": "x", "version": "1"}, "paths": paths, "components": {"schemas": schemas}}


def _op(ref: str) -> dict:
    return {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": ref}}}}}}}


def test_clashing_components_get_the_service_prefix_and_refs_follow():
    auth = _doc(
        {"/api/auth/me": _op("#/components/schemas/User"), "/internal/validate": _op("#/components/schemas/User")},
        {"User": {"type": "object", "properties": {"email": {"type": "string"}}}, "Error": {"type": "object"}},
    )
    chat = _doc(
        {"/api/chat/conversations": _op("#/components/schemas/User"), "/api/auth/me": _op("#/components/schemas/Error")},
        {
            "User": {"type": "object", "properties": {"id": {"type": "string"}}},
            "Error": {"type": "object"},
            "Wrapper": {"properties": {"user": {"$ref": "#/components/schemas/User"}}},
        },
    )

    merged = merge_schemas({"auth": auth, "chat": chat}, {"search": "ConnectError"})

    schemas = merged["components"]["schemas"]
    assert sorted(schemas) == ["ChatUser", "Error", "User", "Wrapper"]
    assert schemas["User"] == auth["components"]["schemas"]["User"]
    assert schemas["ChatUser"] == chat["components"]["schemas"]["User"]
    # chat's own Wrapper keeps its name; its ref follows the renamed User.
    assert schemas["Wrapper"]["properties"]["user"]["$ref"] == "#/components/schemas/ChatUser"
    # Only routed paths, each from the service the gateway sends it to.
    assert sorted(merged["paths"]) == ["/api/auth/me", "/api/chat/conversations"]
    assert merged["paths"]["/api/auth/me"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/User"
    }
    assert merged["paths"]["/api/chat/conversations"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/ChatUser"}
    assert merged["paths"]["/api/auth/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert merged["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert merged["x-rentezy-omitted"] == [{"service": "search", "reason": "ConnectError"}]
    assert "Omitted (did not answer): search (ConnectError)." in merged["info"]["description"]


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
    assert document["components"]["schemas"] == {"Thing": {"type": "object"}}


def test_swagger_ui_is_served_with_a_csp_for_its_cdn(gw):
    page = gw.get("/api/docs/")

    assert page.status_code == 200
    assert "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js" in page.text
    assert "script-src 'self' https://cdn.jsdelivr.net" in page.headers["content-security-policy"]
    script = gw.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.text
