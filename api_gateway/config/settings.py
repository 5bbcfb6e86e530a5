"""api_gateway settings: the public entry point: routing, token enforcement, rate limits, request ids.

The platform defaults (rentezy_platform.settings) plus what is this service's own.
Every GATEWAY_* value comes from the environment; dev.env (or the defaults here)
serve the native stack. In production the upstream URLs and the web app origin
are required: a gateway routing to loopback defaults would look healthy and
answer nothing but 503s.
"""

from rentezy_platform.conf import env, is_production, required
from rentezy_platform.settings import *  # noqa: F403
from rentezy_platform.settings import MIDDLEWARE, PLATFORM_WEB_APPS, TRUST_MIDDLEWARE

SERVICE_NAME = "api_gateway"
INSTALLED_APPS = [*PLATFORM_WEB_APPS, "gateway"]
# The gateway is the signer of the identity headers, not a verifier of them.
MIDDLEWARE = [m for m in MIDDLEWARE if m != TRUST_MIDDLEWARE]
# No database: tokens are validated by auth_service and cached, rate limits
# live in Redis; nothing here needs rows of its own.
DATABASES = {}
READINESS_CHECKS = ["redis"]


def _setting(name: str, default: str) -> str:
    return required(name) if is_production() else env.str(name, default=default)


# Where each service answers (gateway.routes maps public paths onto these names).
UPSTREAM_URLS = {
    "auth": _setting("AUTH_SERVICE_URL", "http://127.0.0.1:8001"),
    "property": _setting("PROPERTY_SERVICE_URL", "http://127.0.0.1:8002"),
    "booking": _setting("BOOKING_SERVICE_URL", "http://127.0.0.1:8003"),
    "rent": _setting("RENT_SERVICE_URL", "http://127.0.0.1:8004"),
    "chat": _setting("CHAT_SERVICE_URL", "http://127.0.0.1:8005"),
    "notification": _setting("NOTIFICATION_SERVICE_URL", "http://127.0.0.1:8006"),
    "search": _setting("SEARCH_SERVICE_URL", "http://127.0.0.1:8007"),
}

# Browser origins allowed by CORS and on WebSocket handshakes (comma list).
CORS_ALLOWED_ORIGINS = [
    origin.strip().rstrip("/")
    for origin in _setting("WEB_APP_ORIGIN", "http://127.0.0.1:5173").split(",")
    if origin.strip()
]
# A WebSocket handshake without Origin comes from a non-browser client (mobile
# app, CLI): cross-site WebSocket hijacking needs a browser, and browsers always
# send Origin, so such a client is let through (it still needs a valid token).
GATEWAY_WS_ALLOW_MISSING_ORIGIN = env.bool("GATEWAY_WS_ALLOW_MISSING_ORIGIN", default=True)
# Frames a client may send on one socket: this many a second, bursts of the
# other (a token bucket per socket); past it the gateway closes the socket
# with 1008 "too many frames". Chat's own, lower limit on messages answers
# with an error frame first (CHAT_SOCKET_RATE).
GATEWAY_WS_FRAMES_PER_SECOND = env.float("GATEWAY_WS_FRAMES_PER_SECOND", default=20.0)
GATEWAY_WS_FRAME_BURST = env.int("GATEWAY_WS_FRAME_BURST", default=60)

# Proxying.
GATEWAY_MAX_BODY_BYTES = env.int("GATEWAY_MAX_BODY_BYTES", default=12 * 1024 * 1024)
GATEWAY_UPSTREAM_TIMEOUT = env.float("GATEWAY_UPSTREAM_TIMEOUT", default=10.0)
GATEWAY_UPLOAD_TIMEOUT = env.float("GATEWAY_UPLOAD_TIMEOUT", default=30.0)
GATEWAY_CONNECT_TIMEOUT = env.float("GATEWAY_CONNECT_TIMEOUT", default=3.0)
GATEWAY_MAX_UPSTREAM_CONNECTIONS = env.int("GATEWAY_MAX_UPSTREAM_CONNECTIONS", default=500)
# Below the services' own keep-alive (gunicorn: 2 s, uvicorn: 5 s) so the
# gateway drops an idle connection before the service closes it under us.
GATEWAY_KEEPALIVE_EXPIRY = env.float("GATEWAY_KEEPALIVE_EXPIRY", default=1.5)
# Entries of X-Forwarded-For added by trusted proxies in front of the gateway
# (the Ingress: 1). 0 = the TCP peer is the client; a client's own
# X-Forwarded-For is then ignored (it would let anyone pick their rate-limit key).
GATEWAY_TRUSTED_PROXY_HOPS = env.int("GATEWAY_TRUSTED_PROXY_HOPS", default=0)
# HSTS only where the gateway is reached over HTTPS (the Ingress terminates TLS).
GATEWAY_HSTS_SECONDS = env.int("GATEWAY_HSTS_SECONDS", default=0)

# Token validation (auth_service POST /internal/validate) and its cache.
GATEWAY_VALIDATE_TIMEOUT = env.float("GATEWAY_VALIDATE_TIMEOUT", default=3.0)
GATEWAY_TOKEN_CACHE_SECONDS = env.float("GATEWAY_TOKEN_CACHE_SECONDS", default=60.0)
GATEWAY_TOKEN_CACHE_SIZE = env.int("GATEWAY_TOKEN_CACHE_SIZE", default=50_000)
# Tokens auth_service refused are remembered (by sha256) this long, so a
# client repeating a junk token costs one validation, not one per request.
GATEWAY_INVALID_TOKEN_CACHE_SECONDS = env.float("GATEWAY_INVALID_TOKEN_CACHE_SECONDS", default=10.0)

# Rate limits (Redis, shared by every replica).
GATEWAY_RATE_LIMIT_PREFIX = env.str("GATEWAY_RATE_LIMIT_PREFIX", default="rentezy:gateway:rl:")
GATEWAY_LOGIN_WINDOW_SECONDS = env.int("GATEWAY_LOGIN_WINDOW_SECONDS", default=15 * 60)
GATEWAY_LOGIN_FAILURES_PER_ACCOUNT = env.int("GATEWAY_LOGIN_FAILURES_PER_ACCOUNT", default=10)
GATEWAY_LOGIN_FAILURES_PER_IP = env.int("GATEWAY_LOGIN_FAILURES_PER_IP", default=30)
GATEWAY_USER_BUDGET_PER_MINUTE = env.int("GATEWAY_USER_BUDGET_PER_MINUTE", default=600)
GATEWAY_ANON_BUDGET_PER_MINUTE = env.int("GATEWAY_ANON_BUDGET_PER_MINUTE", default=300)
# Image uploads (POST /api/properties/{id}/images) per user, besides the budget.
GATEWAY_UPLOADS_PER_MINUTE = env.int("GATEWAY_UPLOADS_PER_MINUTE", default=30)

# The merged OpenAPI document is rebuilt at most this often.
GATEWAY_SCHEMA_CACHE_SECONDS = env.float("GATEWAY_SCHEMA_CACHE_SECONDS", default=60.0)
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    # Swagger UI from the drf-spectacular-sidecar package, served by the
    # gateway under STATIC_URL (config/urls.py): the docs page needs no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}
STATIC_URL = "/api/docs/assets/"  # gateway.routes.DOCS_ASSETS_PREFIX

# The access log (one line per request) has a handler of its own with a lean
# formatter: the same JSON object as every other line, at a fraction of the
# cost (gateway.logs.AccessFormatter). Its level follows the root's.
LOGGING["formatters"]["access"] = {"()": "gateway.logs.AccessFormatter"}  # noqa: F405
LOGGING["handlers"]["access"] = {  # noqa: F405
    **LOGGING["handlers"]["json"],  # noqa: F405  (stdout, the context filter)
    "formatter": "access",
}
LOGGING["loggers"]["gateway.access"] = {"handlers": ["access"], "propagate": False}  # noqa: F405

# The upstream client's own INFO lines would log every forwarded URL, query
# string included (a WebSocket token travels there): the gateway writes its
# own access log instead (gateway.app).
LOGGING["loggers"].update(  # noqa: F405
    {
        "aiohttp": {"level": "WARNING"},
        "websockets": {"level": "WARNING"},
    }
)
