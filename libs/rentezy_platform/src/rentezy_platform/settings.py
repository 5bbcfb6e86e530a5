"""Common Django settings. A service's `config/settings.py` does

    from rentezy_platform.settings import *  # noqa: F403
    from rentezy_platform.settings import PLATFORM_APPS, database

    SERVICE_NAME = "booking_service"
    INSTALLED_APPS = [*PLATFORM_APPS, "bookings"]
    DATABASES = {"default": database("rentezy_booking")}
    READINESS_CHECKS = ["database", "kafka"]

and overrides nothing else unless it has a reason. Every value comes from the
environment (see rentezy_platform.conf); secrets are required in production.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from rentezy_platform.conf import env, is_production, load_env, repo_root, required
from rentezy_platform.logging import logging_config
from rentezy_platform.redisconf import retrying

load_env()

# Set by each service; names its logs, its OpenAPI title and its Kafka client ids.
SERVICE_NAME = "rentezy"

SECRET_KEY = required("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Production names its hosts (comma list); loopback is all the native stack needs.
ALLOWED_HOSTS = (
    [host.strip() for host in required("DJANGO_ALLOWED_HOSTS").split(",") if host.strip()]
    if is_production()
    else env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
)

# The public origin (the gateway) every absolute URL a service hands out starts
# with: pagination links, image URLs, links in events. A service sees only the
# upstream Host (127.0.0.1:8002), which no client can reach. Production must
# name it: a loopback default there would publish URLs no browser can open.
PUBLIC_BASE_URL = (
    required("PUBLIC_BASE_URL")
    if is_production()
    else env.str(
        "PUBLIC_BASE_URL",
        default=f"http://127.0.0.1:{env.int('API_GATEWAY_PORT', default=8000)}",
    )
).rstrip("/")
if not PUBLIC_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("PUBLIC_BASE_URL must be an http:// or https:// origin.")

# Apps every web service carries (the gateway, which has no database, takes only these).
PLATFORM_WEB_APPS = [
    "rest_framework",
    "drf_spectacular",
]
# Plus the messaging apps (transactional outbox + `outbox_relay`, idempotent
# inbox, Kafka's `consume` and `kafka_ensure_topics` commands) and contenttypes.
# django.contrib.auth is not installed: identity comes from the gateway
# (rentezy_platform.trust), never from sessions or Django users.
PLATFORM_APPS = [
    "django.contrib.contenttypes",
    *PLATFORM_WEB_APPS,
    "rentezy_platform.outbox",
    "rentezy_platform.inbox",
    "rentezy_platform.kafka",
]
INSTALLED_APPS = PLATFORM_APPS

REQUEST_ID_MIDDLEWARE = "rentezy_platform.request_id.RequestIdMiddleware"
TRUST_MIDDLEWARE = "rentezy_platform.trust.GatewayTrustMiddleware"
MIDDLEWARE = [
    REQUEST_ID_MIDDLEWARE,
    TRUST_MIDDLEWARE,
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "rentezy_platform.errors.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
# API paths are exact (`/api/bookings`, no trailing slash): never redirect.
APPEND_SLASH = False

TEMPLATES = [
    {
        # Only drf-spectacular's Swagger UI page renders a template.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES: dict[str, dict[str, Any]] = {}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def database(name: str, *, conn_max_age: int | None = None) -> dict[str, Any]:
    """The DATABASES entry of database `name` on the configured PostgreSQL server.

    `POSTGRES_DB_PREFIX` (empty by default) is prepended to the name: the
    cross-service tests and the benchmarks run the services on databases of
    their own (`e2e_rentezy_property`...), never on the dev stack's data.

    ASGI services pass `conn_max_age=0`: Django cannot reuse connections safely
    across the threads an async server runs sync code in."""
    name = env.str("POSTGRES_DB_PREFIX", default="") + name
    return {
        # Django's PostgreSQL backend whose health check needs no round trip.
        "ENGINE": "rentezy_platform.postgresql",
        "NAME": name,
        "HOST": required("POSTGRES_HOST"),
        "PORT": env.int("POSTGRES_PORT", default=5432),
        "USER": required("POSTGRES_USER"),
        "PASSWORD": required("POSTGRES_PASSWORD"),
        "CONN_MAX_AGE": (
            env.int("POSTGRES_CONN_MAX_AGE", default=60) if conn_max_age is None else conn_max_age
        ),
        # A persistent connection that died (database restart) is replaced, not
        # used (rentezy_platform.postgresql: checked without a query).
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "connect_timeout": env.int("POSTGRES_CONNECT_TIMEOUT", default=3),
            "application_name": name,
            # Parameters travel apart from the SQL (psycopg's server-side
            # binding, not quoted into the text by the client), and a query
            # a connection has run 5 times is prepared: the database parses
            # and plans it once per connection. Needs session-level pooling
            # if a pooler ever sits in between (PgBouncer's transaction mode
            # from 1.21 with max_prepared_statements).
            "server_side_binding": True,
            "prepare_threshold": 5,
        },
        "TEST": {"NAME": f"test_{name}"},
    }


def channel_layers() -> dict[str, Any]:
    """CHANNEL_LAYERS of a service with WebSockets (chat, notification): the
    Redis channel layer (channels-redis) on REDIS_URL. Group and channel names
    are prefixed with CHANNEL_LAYER_PREFIX (the tests' sessions run their own)."""
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # A socket's receive blocks in BZPOPMIN for up to 5 s; redis-py's
                # default read timeout is also 5 s, which would end an idle socket.
                "hosts": [
                    {
                        "address": env.str("REDIS_URL", default="redis://127.0.0.1:6379/0"),
                        "socket_timeout": 30,
                        "socket_connect_timeout": 5,
                        # After a Redis restart every pooled connection is dead:
                        # the first command on each would fail (a socket
                        # handshake, a push). Reconnect and retry instead.
                        **retrying(asyncio=True),
                    }
                ],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="") + "rentezy:ws",
                # A slow client's queue is dropped past this, never grown without bound.
                "capacity": 200,
                "expiry": 60,
            },
        }
    }


def email_settings() -> dict[str, Any]:
    """The EMAIL_* settings of a service that sends e-mail (auth: password
    reset; notification). Development prints to the console unless
    EMAIL_BACKEND says otherwise (dev.env: a file backend under .data/mail).
    Production defaults to SMTP and refuses to start without a host: a console
    backend there would write reset links into the logs."""
    backend = env.str(
        "EMAIL_BACKEND",
        default=(
            "django.core.mail.backends.smtp.EmailBackend"
            if is_production()
            else "django.core.mail.backends.console.EmailBackend"
        ),
    )
    values: dict[str, Any] = {
        "EMAIL_BACKEND": backend,
        "EMAIL_TIMEOUT": env.int("EMAIL_TIMEOUT_SECONDS", default=10),
        "DEFAULT_FROM_EMAIL": env.str(
            "DEFAULT_FROM_EMAIL", default="RentEzy <no-reply@rentezy.local>"
        ),
    }
    if backend == "django.core.mail.backends.filebased.EmailBackend":
        # A relative path (dev.env: `.data/mail`) is relative to the repository root.
        values["EMAIL_FILE_PATH"] = str(repo_root() / required("EMAIL_FILE_PATH"))
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        values.update(
            EMAIL_HOST=(
                required("EMAIL_HOST")
                if is_production()
                else env.str("EMAIL_HOST", default="localhost")
            ),
            EMAIL_PORT=env.int("EMAIL_PORT", default=587),
            EMAIL_HOST_USER=env.str("EMAIL_HOST_USER", default=""),
            EMAIL_HOST_PASSWORD=env.str("EMAIL_HOST_PASSWORD", default=""),
            EMAIL_USE_TLS=env.bool("EMAIL_USE_TLS", default=True),
            EMAIL_USE_SSL=env.bool("EMAIL_USE_SSL", default=False),
        )
    return values


USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False
LANGUAGE_CODE = "en-us"

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rentezy_platform.trust.GatewayIdentityAuthentication"],
    # Secure by default: a public endpoint says so with AllowAny.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": "rentezy_platform.trust.anonymous_identity",
    "UNAUTHENTICATED_TOKEN": None,
    "DEFAULT_PAGINATION_CLASS": "rentezy_platform.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "rentezy_platform.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "RentEzy API",  # rentezy_platform.urls puts the service name in it
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "rentezy_platform.openapi.strict_request_bodies",
    ],
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = logging_config(LOG_LEVEL)

# Deploy checks silenced on purpose:
# - W003 (no CSRF middleware): no cookie or session ever authenticates a request;
#   identity is the gateway's signed headers derived from a bearer token.
# - W004/W008 (HSTS, SSL redirect): TLS ends at the Ingress in front of the
#   gateway; services speak plain HTTP on the cluster network.
SECURE_CONTENT_TYPE_NOSNIFF = True
SILENCED_SYSTEM_CHECKS = ["security.W003", "security.W004", "security.W008"]

# Gateway trust (rentezy_platform.trust).
GATEWAY_SIGNING_KEY = required("GATEWAY_SIGNING_KEY")
GATEWAY_SIGNATURE_MAX_AGE = 60
GATEWAY_TRUST_EXEMPT_PATHS = ("/healthz", "/readyz")
# The routed path is the signed path: no script prefix from anywhere (the
# middleware refuses a request that carries one), and no Host, port or scheme
# taken from the gateway's forwarding headers (informative only).
FORCE_SCRIPT_NAME = None
USE_X_FORWARDED_HOST = False
USE_X_FORWARDED_PORT = False
SECURE_PROXY_SSL_HEADER = None

# Infrastructure addresses. Loopback defaults match the native dev stack; the
# readiness probe reports a wrong one in production.
KAFKA_BOOTSTRAP_SERVERS = env.str("KAFKA_BOOTSTRAP_SERVERS", default="127.0.0.1:9092")
# Prepended to every topic name (rentezy_platform.events.physical_topic); empty
# in every real deployment, set by the cross-service tests and benchmarks.
KAFKA_TOPIC_PREFIX = env.str("KAFKA_TOPIC_PREFIX", default="")
# `plaintext` on the native stack, Compose and in-cluster Kafka; `ssl` for
# Amazon MSK's TLS listener (the aws overlay).
KAFKA_SECURITY_PROTOCOL = env.str("KAFKA_SECURITY_PROTOCOL", default="plaintext").lower()
if KAFKA_SECURITY_PROTOCOL not in ("plaintext", "ssl"):
    raise ImproperlyConfigured("KAFKA_SECURITY_PROTOCOL must be plaintext or ssl.")
# Topics this platform creates (`kafka_ensure_topics`, consumers at start-up):
# one replica on the single local broker; 3 and min.insync.replicas 2 on the
# production cluster (kafka/, Compose and Kubernetes set them), so an
# acknowledged event survives the loss of a broker.
KAFKA_TOPIC_REPLICATION_FACTOR = env.int("KAFKA_TOPIC_REPLICATION_FACTOR", default=1)
KAFKA_TOPIC_MIN_INSYNC_REPLICAS = env.int("KAFKA_TOPIC_MIN_INSYNC_REPLICAS", default=1)
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
SEARCH_URL = env.str("SEARCH_URL", default="http://127.0.0.1:9200")

READINESS_CHECKS = ["database", "kafka"]
READINESS_TIMEOUT = env.float("READINESS_TIMEOUT", default=2.0)
