"""auth_service settings: users, roles, profiles, JWTs, refresh tokens, password reset.

The platform defaults (rentezy_platform.settings) plus what is this service's own:
Django's auth machinery (the user model, password hashing, the operators' admin),
the JWT signing key, which only this service holds, and outgoing e-mail.
"""

from django.core.exceptions import ImproperlyConfigured
from rentezy_platform.conf import env, is_production, required
from rentezy_platform.settings import *  # noqa: F403
from rentezy_platform.settings import (
    MIDDLEWARE,
    PLATFORM_APPS,
    TEMPLATES,
    database,
    email_settings,
)

SERVICE_NAME = "auth_service"
INSTALLED_APPS = [
    *PLATFORM_APPS,
    # Users, password hashing and the operators' admin live here and nowhere
    # else: the other services learn identities from the gateway's headers.
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "users",
]
DATABASES = {"default": database("rentezy_auth")}
# Redis only carries the revocation signal to the gateway (best effort, see
# users/revocation.py); the database stays authoritative, so a Redis outage
# must not take logins down with it.
READINESS_CHECKS = ["database"]

AUTH_USER_MODEL = "users.User"

# The operators' admin is exempt from gateway trust by prefix: the gateway never
# routes /internal/*, and in production the service's NetworkPolicy admits only
# the gateway, so the admin is reachable only by `kubectl port-forward`; its own
# staff login protects it there.
MIDDLEWARE = list(MIDDLEWARE)
_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware")
MIDDLEWARE[_security + 1 : _security + 1] = [
    # Sessions, users and messages serve the admin only: the API authenticates
    # by the gateway's signed headers and never reads a session.
    "django.contrib.sessions.middleware.SessionMiddleware",
]
MIDDLEWARE += [
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ADMIN_URL_PREFIX = "/internal/admin/"
GATEWAY_TRUST_EXEMPT_PREFIXES = (ADMIN_URL_PREFIX,)
STATIC_URL = f"{ADMIN_URL_PREFIX}static/"

TEMPLATES = [
    {
        **TEMPLATES[0],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# Operators' admin sessions: HTTPS-only cookies in production (browsers accept
# Secure cookies on http://localhost, which is what a port-forward gives).
SESSION_COOKIE_SECURE = is_production()
CSRF_COOKIE_SECURE = is_production()
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 60 * 60

# Request bodies here are a few short JSON strings.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # argon2id
    # Verification (and upgrade on next login) of hashes made by other hashers.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
PASSWORD_MIN_LENGTH = 10
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# JWTs (users/tokens.py). HS256 with a key only this service holds.
JWT_SIGNING_KEY = required("JWT_SIGNING_KEY")
if len(JWT_SIGNING_KEY.encode()) < 32:
    # RFC 7518 3.2: an HS256 key must be at least as long as the hash (256 bits).
    raise ImproperlyConfigured("JWT_SIGNING_KEY must be at least 32 bytes long.")
JWT_ALGORITHM = "HS256"
JWT_ISSUER = "rentezy-auth"
JWT_AUDIENCE = "rentezy"
JWT_ACCESS_TOKEN_LIFETIME = env.int("JWT_ACCESS_TOKEN_LIFETIME_SECONDS", default=15 * 60)
if not 0 < JWT_ACCESS_TOKEN_LIFETIME <= 15 * 60:
    raise ImproperlyConfigured("JWT_ACCESS_TOKEN_LIFETIME_SECONDS must be within 1..900.")
JWT_REFRESH_TOKEN_LIFETIME = env.int("JWT_REFRESH_TOKEN_LIFETIME_SECONDS", default=14 * 24 * 3600)
# A session's refresh tokens (kept until they expire) are what ends its access
# tokens: they must outlive every access token issued with them.
if JWT_REFRESH_TOKEN_LIFETIME < JWT_ACCESS_TOKEN_LIFETIME:
    raise ImproperlyConfigured(
        "JWT_REFRESH_TOKEN_LIFETIME_SECONDS must be at least JWT_ACCESS_TOKEN_LIFETIME_SECONDS."
    )
# Clock skew tolerated between auth_service replicas (exp, nbf, iat).
JWT_LEEWAY_SECONDS = 5

PASSWORD_RESET_TOKEN_LIFETIME = env.int("PASSWORD_RESET_TOKEN_LIFETIME_SECONDS", default=60 * 60)
# The web app's page that reads `?token=` and posts it to /api/auth/password/reset/confirm.
PASSWORD_RESET_URL = env.str(
    "PASSWORD_RESET_URL",
    default=env.str("WEB_APP_ORIGIN", default="http://127.0.0.1:5173").rstrip("/")
    + "/reset-password",
)

# Outgoing e-mail (password reset): rentezy_platform.settings.email_settings.
globals().update(email_settings())

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "DESCRIPTION": "Users, sign-up and login, JWT access and refresh tokens, password reset.",
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "users.models.Role",
        "SignUpRoleEnum": "users.models.SIGN_UP_ROLE_CHOICES",
    },
}
