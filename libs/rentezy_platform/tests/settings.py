"""Django settings of the rentezy_platform test project (real Postgres and Kafka).

Connection values default to the native dev stack (`dev.env`); the
environment overrides them. `PLATFORM_TESTS_DB_NAME` lets a relay subprocess
started by a test (or the benchmark) use another database than the default.
"""

import json
import os
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent

SECRET_KEY = "platform-tests-insecure-key-not-a-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "rentezy_platform.outbox",
    "rentezy_platform.inbox",
    "rentezy_platform.kafka",
    "tests.widgets",
]

DATABASES = {
    "default": {
        # As every service (rentezy_platform.settings.database).
        "ENGINE": "rentezy_platform.postgresql",
        "NAME": os.environ.get("PLATFORM_TESTS_DB_NAME", "rentezy_platform"),
        "USER": os.environ.get("POSTGRES_USER", "rentezy"),
        "PASSWORD": os.environ.get("POSTGRES_PASSWORD", "rentezy-dev-password"),
        "HOST": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        "PORT": os.environ.get("POSTGRES_PORT", "5432"),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"server_side_binding": True, "prepare_threshold": 5},
        # Overridable so two runs on one machine (two engineers, CI) do not
        # fight over the same test database.
        "TEST": {"NAME": os.environ.get("PLATFORM_TESTS_TEST_DB_NAME", "test_rentezy_platform")},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SERVICE_NAME = "platform_tests"
EVENT_CONTRACTS_DIR = os.environ.get("PLATFORM_TESTS_CONTRACTS_DIR") or TESTS_DIR / "contracts"

# `manage.py consume` in a test subprocess gets its consumer from the test.
KAFKA_CONSUMER = (
    json.loads(os.environ["PLATFORM_TESTS_KAFKA_CONSUMER"])
    if os.environ.get("PLATFORM_TESTS_KAFKA_CONSUMER")
    else None
)
KAFKA_BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
KAFKA_TOPIC_PREFIX = os.environ.get("KAFKA_TOPIC_PREFIX", "")
# Short enough that the broker-outage test sees failures quickly.
KAFKA_DELIVERY_TIMEOUT_MS = 5000
OUTBOX_RELAY_BACKOFF_INITIAL = 0.1
OUTBOX_RELAY_BACKOFF_MAX = 1.0

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "rentezy_platform": {
            "handlers": ["console"],
            "level": os.environ.get("PLATFORM_TESTS_LOG_LEVEL", "INFO"),
        }
    },
}
