"""auth_service runs on the platform: probes, gateway trust, clean configuration."""

import os
import string
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from rentezy_platform.trust import gateway_headers

SERVICE_DIR = Path(__file__).resolve().parents[1]


def test_healthz_needs_no_signature(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_readyz_checks_its_dependencies(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_unsigned_request_is_refused(client):
    response = client.get("/api/schema/")
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "Missing gateway signature."}


def test_signed_request_passes(client):
    path = "/api/schema/?format=json"
    headers = gateway_headers(key=settings.GATEWAY_SIGNING_KEY, method="GET", path_with_query=path)
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "RentEzy auth_service API"


def test_server_entry_point_loads():
    from config.wsgi import application

    assert callable(application)


@pytest.mark.django_db
def test_system_checks_pass_and_migrations_are_complete():
    call_command("check", fail_level="WARNING")
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": string.ascii_letters + string.digits,
    "DJANGO_ALLOWED_HOSTS": "auth-service",
    "GATEWAY_SIGNING_KEY": "y" * 64,
    "PUBLIC_BASE_URL": "https://api.rentezy.example",
    "JWT_SIGNING_KEY": "j" * 64,
    "EMAIL_HOST": "smtp.example.com",
    "POSTGRES_HOST": "postgres",
    "POSTGRES_USER": "auth_service",
    "POSTGRES_PASSWORD": "z" * 32,
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=SERVICE_DIR,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
    )


def test_production_settings_pass_the_deploy_checks():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"JWT_SIGNING_KEY": ""}, "JWT_SIGNING_KEY must be set in the environment."),
        ({"JWT_SIGNING_KEY": "short"}, "JWT_SIGNING_KEY must be at least 32 bytes long."),
        ({"EMAIL_HOST": ""}, "EMAIL_HOST must be set in the environment."),
        (
            {"JWT_ACCESS_TOKEN_LIFETIME_SECONDS": "3600"},
            "JWT_ACCESS_TOKEN_LIFETIME_SECONDS must be within 1..900.",
        ),
    ],
)
def test_production_refuses_to_start_misconfigured(change, message):
    result = _manage("check", env={**PRODUCTION_ENV, **change})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_passwords_are_hashed_with_argon2id():
    from config import settings as service_settings

    assert (
        service_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    )
    from django.contrib.auth.hashers import Argon2PasswordHasher

    encoded = Argon2PasswordHasher().encode("correct horse battery staple", "saltsaltsaltsalt")
    assert encoded.startswith("argon2$argon2id$v=19$m=102400,t=2,p=8$")


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    result = _manage(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
        env={},
    )
    assert result.returncode == 0, result.stderr
    schema = (tmp_path / "schema.yaml").read_text()
    for path in (
        "/api/auth/register:",
        "/api/auth/login:",
        "/api/auth/refresh:",
        "/api/auth/logout:",
        "/api/auth/me:",
        "/api/auth/password/change:",
        "/api/auth/password/reset:",
        "/api/auth/password/reset/confirm:",
        "/internal/validate:",
    ):
        assert f"  {path}" in schema
