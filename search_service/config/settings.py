"""search_service settings: the property search index.

The platform defaults (rentezy_platform.settings) plus what is this service's own:
which search engine it speaks to (OpenSearch natively, Elasticsearch in Docker
Compose), the alias its index lives behind, and where property_service's export
is (for `manage.py reindex`).
"""

import re

from django.core.exceptions import ImproperlyConfigured
from rentezy_platform.conf import env
from rentezy_platform.settings import *  # noqa: F403
from rentezy_platform.settings import LOGGING, PLATFORM_APPS, SPECTACULAR_SETTINGS, database

SERVICE_NAME = "search_service"
INSTALLED_APPS = [*PLATFORM_APPS, "search"]
DATABASES = {"default": database("rentezy_search")}
READINESS_CHECKS = ["database", "kafka", "search"]
KAFKA_CONSUMER = {
    "group_id": SERVICE_NAME,
    "topics": ["rentezy.property"],
    "handlers": "search.handlers.HANDLERS",
    # The engine down or restarting: retried until it is back, never dead-lettered.
    "transient_errors": ["search.engine.SearchUnavailable"],
}

# The engine behind SEARCH_URL (rentezy_platform.settings): `opensearch` (the
# native stack) or `elasticsearch` (Docker Compose). search/engine.py picks the
# matching client; the Elasticsearch client refuses to talk to OpenSearch.
SEARCH_ENGINES = ("opensearch", "elasticsearch")
SEARCH_ENGINE = env.str("SEARCH_ENGINE", default="opensearch").strip().lower()
if SEARCH_ENGINE not in SEARCH_ENGINES:
    raise ImproperlyConfigured(f"SEARCH_ENGINE must be one of {', '.join(SEARCH_ENGINES)}.")
# Seconds per request to the engine, and how often a failed request is retried
# (connection errors and timeouts) before the caller sees the engine as down.
SEARCH_TIMEOUT = env.float("SEARCH_TIMEOUT_SECONDS", default=5.0)
SEARCH_MAX_RETRIES = env.int("SEARCH_MAX_RETRIES", default=2)
# Readers and writers use this alias; the physical index behind it is
# `<alias>-<timestamp>-<random>` and is replaced by `manage.py reindex`.
# Tests and benchmarks set one of their own.
SEARCH_INDEX_ALIAS = env.str("SEARCH_INDEX_ALIAS", default="rentezy-properties")
if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,199}", SEARCH_INDEX_ALIAS):
    raise ImproperlyConfigured(
        "SEARCH_INDEX_ALIAS must be lower case letters, digits, '-' or '_' (an index name)."
    )
SEARCH_MAX_PAGE_SIZE = 100

# `manage.py reindex` reads every property from property_service's export.
PROPERTY_SERVICE_URL = env.str("PROPERTY_SERVICE_URL", default="http://127.0.0.1:8002")

# The engine clients log every request at INFO (and an expected 404, such as
# "no reindex running", at WARNING): search/engine.py reports real failures itself.
LOGGING = {
    **LOGGING,
    "loggers": {
        **LOGGING["loggers"],
        "opensearch": {"level": "ERROR"},
        "elastic_transport": {"level": "ERROR"},
    },
}

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "DESCRIPTION": "Full-text, filtered and geo search over listed properties.",
    # One name for the one choice set (a filter and a facet both use it).
    "ENUM_NAME_OVERRIDES": {"PropertyTypeEnum": "search.query.PROPERTY_TYPES"},
}
