"""The public OpenAPI document: every service's schema merged into one.

Each service serves its own drf-spectacular schema behind the gateway trust
middleware; the gateway fetches them signed (`GET /api/schema/?format=json`),
keeps only the paths it actually routes to that service (no `/internal/...`),
merges the components (a name two services use for different things gets the
service's name as a prefix, and that service's `$ref`s follow), declares the
bearer scheme once and marks the public operations. Every operation also gets
the responses the gateway itself can give on that route (401, 404, 413, 414,
429, 502, 503, 504; see `gateway_responses`) unless its service documents them:
so each service documents only what it answers itself. A service that does not
answer is omitted and named in `info.description` and `x-rentezy-omitted`.
The result is cached for GATEWAY_SCHEMA_CACHE_SECONDS.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from typing import Any

import aiohttp
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from drf_spectacular.views import SpectacularSwaggerSplitView
from rentezy_platform.openapi import ERROR_SCHEMA
from rentezy_platform.trust import gateway_headers
from rest_framework.permissions import AllowAny

from gateway import routes

logger = logging.getLogger(__name__)

SERVICE_SCHEMA_PATH = "/api/schema/?format=json"
FETCH_TIMEOUT = 5.0
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "The access token from POST /api/auth/login.",
}

Document = dict[str, Any]

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds until the limit lets this client through again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}


def _response(description: str, headers: Document | None = None) -> Document:
    response: Document = {"description": description, "content": _ERROR}
    if headers:
        response["headers"] = headers
    return response


# What the gateway answers itself (gateway.proxy), by components/responses name.
GATEWAY_RESPONSES: dict[str, Document] = {
    "GatewayNotAuthenticated": _response(
        "`not_authenticated` (from the gateway): no token on a route that needs one, or a "
        "malformed, invalid, expired or revoked token on any route (public ones included)."
    ),
    "GatewayNotFound": _response(
        "`not_found`: no such resource, or a path the gateway does not route (such as a "
        "path parameter that is a dot segment)."
    ),
    "GatewayUriTooLong": _response(
        "`uri_too_long` (from the gateway): the path and query exceed 4000 bytes."
    ),
    "GatewayPayloadTooLarge": _response(
        "`payload_too_large` (from the gateway): the body exceeds the gateway's limit "
        "(GATEWAY_MAX_BODY_BYTES; the login body has a smaller one)."
    ),
    "GatewayRateLimited": _response(
        "`rate_limited` (from the gateway): the caller's request budget (per user, else per "
        "client IP) is spent.",
        _RETRY_AFTER,
    ),
    "GatewayLoginRateLimited": _response(
        "`rate_limited` (from the gateway): the request budget is spent, or too many failed "
        "logins for this e-mail or from this client IP within the window.",
        _RETRY_AFTER,
    ),
    "GatewayBadGateway": _response(
        "`bad_gateway` (from the gateway): the service gave no valid answer."
    ),
    "GatewayUnavailable": _response(
        "`upstream_unavailable` (from the gateway): the service, or token validation, is "
        "unavailable."
    ),
    "GatewayTimeout": _response(
        "`upstream_timeout` (from the gateway): the service did not answer in time."
    ),
}


def gateway_responses(method: str, path: str, operation: Document) -> dict[str, str]:
    """status → components/responses name of what the gateway itself may
    answer for this operation (from the route table, so every service gets
    them): a token is checked on every route, budgets apply everywhere, and any
    upstream can fail."""
    statuses = {
        "401": "GatewayNotAuthenticated",
        "414": "GatewayUriTooLong",
        "429": "GatewayLoginRateLimited"
        if (method.upper(), path) == ("POST", routes.LOGIN_PATH)
        else "GatewayRateLimited",
        "502": "GatewayBadGateway",
        "503": "GatewayUnavailable",
        "504": "GatewayTimeout",
    }
    if "{" in path:
        statuses["404"] = "GatewayNotFound"
    if "requestBody" in operation:
        statuses["413"] = "GatewayPayloadTooLarge"
    return statuses


async def fetch_schema(client: aiohttp.ClientSession, service: str, base_url: str) -> Document:
    headers = gateway_headers(
        key=settings.GATEWAY_SIGNING_KEY, method="GET", path_with_query=SERVICE_SCHEMA_PATH
    )
    headers["Accept"] = "application/vnd.oai.openapi+json, application/json"
    async with client.get(
        base_url.rstrip("/") + SERVICE_SCHEMA_PATH, headers=headers, allow_redirects=False
    ) as response:
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        document = json.loads(await response.read())
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise RuntimeError("not an OpenAPI document")
    return document


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                renames.get(value, value)
                if key == "$ref" and isinstance(value, str)
                else _rewrite_refs(value, renames)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _prefix(service: str) -> str:
    return "".join(part.capitalize() for part in service.split("_"))


def _routed_paths(service: str, paths: Document) -> Document:
    return {
        path: item
        for path, item in paths.items()
        if routes.resolve_http("GET", path, default_timeout=1, upload_timeout=1) is not None
        and routes.resolve_http("GET", path, default_timeout=1, upload_timeout=1).service == service
    }


def merge_schemas(documents: dict[str, Document], omitted: dict[str, str]) -> Document:
    """One OpenAPI 3 document from the services' ones (in the given order)."""
    merged: Document = {
        "openapi": "3.0.3",
        "info": {"title": "RentEzy API", "version": "1.0.0"},
        "paths": {},
        "components": {
            "securitySchemes": {"bearerAuth": BEARER_SCHEME},
            # The platform's one error shape; a service publishing another
            # `Error` would be renamed (and stand out).
            "schemas": {"Error": copy.deepcopy(ERROR_SCHEMA)},
            "responses": copy.deepcopy(GATEWAY_RESPONSES),
        },
        "security": [{"bearerAuth": []}],
        "tags": [],
    }
    components: dict[str, dict[str, Any]] = merged["components"]
    tag_names: set[str] = set()

    for service, source in documents.items():
        doc = {
            "paths": _routed_paths(service, source.get("paths") or {}),
            "components": copy.deepcopy(source.get("components") or {}),
        }
        doc["components"].pop("securitySchemes", None)  # the gateway's bearer scheme replaces them
        # Rename until stable: a renamed component can make an otherwise shared
        # one (that refers to it) differ too.
        renames: dict[str, str] = {}
        for _ in range(10):
            found = {}
            for section, entries in doc["components"].items():
                for name, content in entries.items():
                    existing = components.get(section, {}).get(name)
                    if existing is not None and existing != content:
                        new_name = f"{_prefix(service)}{name}"
                        found[f"#/components/{section}/{name}"] = (
                            f"#/components/{section}/{new_name}"
                        )
            if not found:
                break
            renames.update(found)
            for section in list(doc["components"]):
                doc["components"][section] = {
                    (
                        found[f"#/components/{section}/{name}"].rsplit("/", 1)[1]
                        if f"#/components/{section}/{name}" in found
                        else name
                    ): content
                    for name, content in doc["components"][section].items()
                }
            doc = _rewrite_refs(doc, found)
        for section, entries in doc["components"].items():
            components.setdefault(section, {}).update(entries)

        for path, item in doc["paths"].items():
            target = merged["paths"].setdefault(path, {})
            for method, operation in item.items():
                if method in _METHODS and isinstance(operation, dict):
                    operation = dict(operation)
                    public = routes.is_public(method.upper(), path)
                    operation["security"] = (
                        [{}, {"bearerAuth": []}] if public else [{"bearerAuth": []}]
                    )
                    responses = dict(operation.get("responses") or {})
                    for status, name in gateway_responses(method, path, operation).items():
                        responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
                    operation["responses"] = dict(sorted(responses.items()))
                    target[method] = operation
                else:
                    target[method] = operation

        for tag in source.get("tags") or []:
            if isinstance(tag, dict) and tag.get("name") not in tag_names:
                tag_names.add(tag.get("name"))
                merged["tags"].append(tag)

    included = ", ".join(documents) or "none"
    description = f"Every public route of the RentEzy gateway. Services included: {included}."
    if omitted:
        description += (
            " Omitted (did not answer): "
            + ", ".join(f"{name} ({reason})" for name, reason in omitted.items())
            + "."
        )
        merged["x-rentezy-omitted"] = [
            {"service": name, "reason": reason} for name, reason in omitted.items()
        ]
    merged["info"]["description"] = description
    if not merged["tags"]:
        del merged["tags"]
    return merged


class SchemaCache:
    def __init__(self) -> None:
        self._document: Document | None = None
        self._built_at = 0.0

    def clear(self) -> None:
        self._document = None

    async def document(self) -> Document:
        max_age = getattr(settings, "GATEWAY_SCHEMA_CACHE_SECONDS", 60.0)
        if self._document is not None and time.monotonic() - self._built_at < max_age:
            return self._document
        upstreams: dict[str, str] = settings.UPSTREAM_URLS
        # A short-lived client: this runs once a minute, possibly from a
        # thread's own event loop (the test client), never on the hot path.
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT),
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        ) as client:
            results = await asyncio.gather(
                *(fetch_schema(client, name, url) for name, url in upstreams.items()),
                return_exceptions=True,
            )
        documents: dict[str, Document] = {}
        omitted: dict[str, str] = {}
        for name, result in zip(upstreams, results, strict=True):
            if isinstance(result, BaseException):
                reason = str(result) or type(result).__name__
                if isinstance(result, (aiohttp.ClientError, TimeoutError)):
                    reason = type(result).__name__
                omitted[name] = reason
                logger.warning("OpenAPI schema of %s omitted: %s", name, reason)
            else:
                documents[name] = result
        self._document = merge_schemas(documents, omitted)
        self._built_at = time.monotonic()
        return self._document


schema_cache = SchemaCache()


async def merged_schema(request: HttpRequest) -> JsonResponse:
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse(
            {"code": "method_not_allowed", "message": f'Method "{request.method}" not allowed.'},
            status=405,
        )
        response["Allow"] = "GET, HEAD"
        return response
    document = await schema_cache.document()
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=60"
    return response


swagger_ui = SpectacularSwaggerSplitView.as_view(
    url="/api/schema/",
    title="RentEzy API",
    permission_classes=[AllowAny],
    authentication_classes=[],
)
