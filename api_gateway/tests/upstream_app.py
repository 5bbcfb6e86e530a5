"""A small real upstream for the gateway's own tests, served by uvicorn in a
subprocess (`uvicorn tests.upstream_app:application --port N`).

It plays every service at once, behind the platform's real
GatewayTrustMiddleware (so an unsigned or wrongly signed request gets 401):

- `POST /internal/validate`: a token table kept in memory (as auth_service);
- `POST /api/auth/login`: 200 for the password `correct-horse-battery`, else 401;
- `/api/bookings/sleep?seconds=`: answers late (timeouts);
- `/api/properties/stream?chunks=&size=&pause=`: a streamed download;
- `/api/properties/{id}/images` and anything else: an echo of what arrived
  (method, full path, headers, the verified identity, body size and sha256);
- `/api/properties/upload-probe`: a raw ASGI endpoint that records how many body
  bytes it has received so far (request streaming);
- WebSockets `/ws/chat/{room}` and `/ws/notifications`: verify the signature,
  say hello with the identity, echo frames, close with a requested code and
  record the client's close code; `/ws/chat/refuse` refuses the handshake.

Control endpoints (called directly, never through the gateway): `/_control/...`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time

import django
from django.conf import settings

SIGNING_KEY = os.environ.get(
    "GATEWAY_SIGNING_KEY", "dev-insecure-gateway-signing-key-not-for-production"
)

CONTROL_PATHS = (
    "/_control/tokens",
    "/_control/revoke",
    "/_control/stats",
    "/_control/ws-closes",
    "/_control/upload-progress",
    "/healthz",
)

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="upstream-test-secret",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["rentezy_platform.trust.GatewayTrustMiddleware"],
        INSTALLED_APPS=[],
        DATABASES={},
        GATEWAY_SIGNING_KEY=SIGNING_KEY,
        GATEWAY_SIGNATURE_MAX_AGE=60,
        GATEWAY_TRUST_EXEMPT_PATHS=CONTROL_PATHS,
        APPEND_SLASH=False,
        USE_TZ=True,
        DATA_UPLOAD_MAX_MEMORY_SIZE=None,
        LOGGING_CONFIG=None,
    )
    django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.http import JsonResponse, StreamingHttpResponse  # noqa: E402
from django.urls import path, re_path  # noqa: E402
from django.utils.datastructures import CaseInsensitiveMapping  # noqa: E402
from django.utils.encoding import escape_uri_path, iri_to_uri  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402
from rentezy_platform.trust import UntrustedRequest, verify_gateway_request  # noqa: E402

TOKENS: dict[str, dict] = {}
STATS = {"validate_calls": 0, "login_calls": 0}
WS_CLOSES: list[dict] = []
UPLOAD_PROGRESS = {"received": 0, "done": False}
LOGIN_PASSWORD = "correct-horse-battery"


def _json(request):
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return {}


@csrf_exempt
def control_tokens(request):
    data = _json(request)
    TOKENS[data.pop("token")] = data
    return JsonResponse({"ok": True}, status=201)


@csrf_exempt
def control_revoke(request):
    data = _json(request)
    if "token" in data:
        TOKENS.pop(data["token"], None)
    if "user_id" in data:
        for token, entry in list(TOKENS.items()):
            if entry["user_id"] == data["user_id"]:
                del TOKENS[token]
    return JsonResponse({"ok": True})


def control_stats(request):
    return JsonResponse(STATS)


def control_ws_closes(request):
    return JsonResponse({"closes": WS_CLOSES})


def control_upload_progress(request):
    return JsonResponse(UPLOAD_PROGRESS)


def healthz(request):
    return JsonResponse({"status": "ok"})


@csrf_exempt
def validate(request):
    STATS["validate_calls"] += 1
    # Only the gateway, as an anonymous caller, may ask.
    if request.identity.is_authenticated:
        return JsonResponse({"code": "forbidden", "message": "anonymous only"}, status=403)
    entry = TOKENS.get(_json(request).get("token", ""))
    if entry is None or entry["expires_at"] <= time.time():
        return JsonResponse({"code": "not_authenticated", "message": "bad token"}, status=401)
    return JsonResponse(entry)


@csrf_exempt
def login(request):
    STATS["login_calls"] += 1
    data = _json(request)
    if data.get("password") == LOGIN_PASSWORD:
        return JsonResponse({"access": "a", "refresh": "r", "token_type": "Bearer"})
    if "password" not in data:
        return JsonResponse({"code": "invalid", "message": "password required"}, status=400)
    return JsonResponse({"code": "invalid_credentials", "message": "Wrong."}, status=401)


async def sleep(request):
    await asyncio.sleep(float(request.GET.get("seconds", "1")))
    return JsonResponse({"slept": True})


def stream(request):
    chunks = int(request.GET.get("chunks", "4"))
    size = int(request.GET.get("size", "65536"))
    pause = float(request.GET.get("pause", "0"))

    async def body():
        for index in range(chunks):
            if index and pause:
                await asyncio.sleep(pause)
            yield bytes([index % 256]) * size

    response = StreamingHttpResponse(body(), content_type="application/octet-stream")
    response["X-Chunks"] = str(chunks)
    return response


@csrf_exempt
def echo(request):
    body = request.body
    identity = request.identity
    response = JsonResponse(
        {
            "method": request.method,
            "full_path": request.get_full_path(),
            "headers": dict(request.headers),
            "identity": {
                "user_id": identity.user_id,
                "role": identity.role,
                "email": identity.email,
            },
            "body_size": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
        }
    )
    # What a service might send back that the gateway must not pass through.
    response["Connection"] = "keep-alive"
    response["X-Service-Header"] = "kept"
    return response


SCHEMA_PATHS = [
    "/api/auth/login",
    "/api/auth/me",
    "/api/properties",
    "/api/properties/{id}",
    "/api/bookings",
    "/api/rent/invoices",
    "/api/chat/conversations",
    "/api/notifications",
    "/api/search/properties",
    "/internal/validate",
]


def openapi(request):
    """A drf-spectacular-shaped document; every `service` here serves the same
    one, so the merge must keep each path only for the service it routes to."""
    if request.GET.get("format") != "json":
        return JsonResponse({"code": "not_acceptable", "message": "json only"}, status=406)
    return JsonResponse(
        {
            "openapi": "3.0.3",
            "info": {"title": "upstream", "version": "1"},
            "paths": {
                p: {
                    "get": {
                        "operationId": p,
                        "responses": {
                            "200": {
                                "content": {
                                    "application/json": {
                                        "schema": {"$ref": "#/components/schemas/Thing"}
                                    }
                                }
                            }
                        },
                    }
                }
                for p in SCHEMA_PATHS
            },
            "components": {"schemas": {"Thing": {"type": "object"}}},
        }
    )


urlpatterns = [
    path("api/schema/", openapi),
    path("_control/tokens", control_tokens),
    path("_control/revoke", control_revoke),
    path("_control/stats", control_stats),
    path("_control/ws-closes", control_ws_closes),
    path("_control/upload-progress", control_upload_progress),
    path("healthz", healthz),
    path("internal/validate", validate),
    path("api/auth/login", login),
    path("api/bookings/sleep", sleep),
    path("api/properties/stream", stream),
    re_path(r"^.*$", echo),
]


class _Handshake:
    """The handshake as verify_gateway_request reads a request."""

    method = "GET"

    def __init__(self, scope):
        self.headers = CaseInsensitiveMapping(
            {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        )
        query = scope.get("query_string", b"").decode("latin-1")
        self._full_path = escape_uri_path(scope["path"]) + (
            f"?{iri_to_uri(query)}" if query else ""
        )

    def get_full_path(self):
        return self._full_path


class EchoConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        if self.scope["path"] == "/ws/chat/refuse":
            await self.close()
            return
        try:
            identity = verify_gateway_request(_Handshake(self.scope), key=SIGNING_KEY, max_age=60)
        except UntrustedRequest:
            await self.close()
            return
        self.identity = identity
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in self.scope["headers"]}
        await self.accept()
        await self.send(
            json.dumps(
                {
                    "type": "hello",
                    "path": self.scope["path"],
                    "query": self.scope["query_string"].decode(),
                    "identity": {
                        "user_id": identity.user_id,
                        "role": identity.role,
                        "email": identity.email,
                    },
                    "origin": headers.get("origin"),
                    "request_id": headers.get("x-request-id"),
                }
            )
        )

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is not None:
            if text_data.startswith("close:"):
                await self.close(code=int(text_data.split(":", 1)[1]))
                return
            await self.send(text_data=f"echo:{text_data}")
        else:
            await self.send(bytes_data=bytes_data[::-1])

    async def disconnect(self, code):
        WS_CLOSES.append({"path": self.scope["path"], "code": code})


django_app = get_asgi_application()


async def upload_probe(scope, receive, send):
    """Reads the body slowly on purpose and records progress."""
    UPLOAD_PROGRESS.update(received=0, done=False)
    while True:
        message = await receive()
        UPLOAD_PROGRESS["received"] += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    UPLOAD_PROGRESS["done"] = True
    body = json.dumps(UPLOAD_PROGRESS).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def http_app(scope, receive, send):
    if scope["path"] == "/api/properties/upload-probe":
        await upload_probe(scope, receive, send)
    else:
        await django_app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": URLRouter([re_path(r"^ws/", EchoConsumer.as_asgi())]),
    }
)
