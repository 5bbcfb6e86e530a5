"""auth_service runs on the platform: probes, gateway trust, clean configuration."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rentezy_platform.testing.service_contract import ServiceContract

SERVICE_DIR = Path(__file__).resolve().parents[1]


class TestAuthServiceContract(ServiceContract):
    service_name = "auth_service"
    readiness_checks = ("database",)
    production_env = {"JWT_SIGNING_KEY": "j" * 64, "EMAIL_HOST": "smtp.example.com"}


PRODUCTION_ENV = TestAuthServiceContract().platform_production_env()


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=SERVICE_DIR,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
    )


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
        (
            {"JWT_REFRESH_TOKEN_LIFETIME_SECONDS": "60"},
            "JWT_REFRESH_TOKEN_LIFETIME_SECONDS must be at least "
            "JWT_ACCESS_TOKEN_LIFETIME_SECONDS.",
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
