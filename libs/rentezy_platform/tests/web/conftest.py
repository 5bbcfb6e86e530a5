"""Settings for the web plumbing tests.

The library's test project (tests/settings.py) is a bare messaging project; these
tests need the platform's web settings on top of it, applied per test so the
messaging tests in the same session are unaffected.
"""

import pytest
from rentezy_platform import settings as platform

SIGNING_KEY = "web-tests-gateway-signing-key"


@pytest.fixture(autouse=True)
def web_settings(settings):
    settings.SERVICE_NAME = "web_tests"
    settings.ROOT_URLCONF = "tests.web.urls"
    settings.MIDDLEWARE = platform.MIDDLEWARE
    settings.REST_FRAMEWORK = platform.REST_FRAMEWORK
    settings.APPEND_SLASH = False
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.GATEWAY_SIGNING_KEY = SIGNING_KEY
    settings.GATEWAY_SIGNATURE_MAX_AGE = platform.GATEWAY_SIGNATURE_MAX_AGE
    settings.GATEWAY_TRUST_EXEMPT_PATHS = platform.GATEWAY_TRUST_EXEMPT_PATHS
    settings.KAFKA_BOOTSTRAP_SERVERS = platform.KAFKA_BOOTSTRAP_SERVERS
    settings.REDIS_URL = platform.REDIS_URL
    settings.SEARCH_URL = platform.SEARCH_URL
    settings.READINESS_CHECKS = ["database"]
    settings.READINESS_TIMEOUT = 2.0
    return settings
