"""The merged OpenAPI document and the Swagger UI page."""

from __future__ import annotations

import re

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
    assert gw.get("/api/docs/assets/drf_spectacular_sidecar/swagger-ui-dist/nope.js").status_code == 404
    # Redoc is in the package but not served; neither is anything outside it.
    assert gw.get("/api/docs/assets/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js").status_code == 404
    assert gw.get("/api/docs/assets/drf_spectacular_sidecar/swagger-ui-dist/%2e%2e/redoc/LICENSE").status_code == 404
    assert gw.get("/api/docs/assets/").status_code == 404
