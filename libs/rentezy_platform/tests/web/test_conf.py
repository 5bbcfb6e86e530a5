"""Configuration: dev.env outside production, never over the environment; secrets
required in production; the DATABASES helper."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from rentezy_platform import conf
from rentezy_platform.settings import database


def run_python(code, env, tmp_path):
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "RENTEZY_ROOT": str(tmp_path), **env},
        capture_output=True,
        text=True,
    )


def test_dev_env_fills_only_unset_variables(tmp_path):
    (tmp_path / "dev.env").write_text("FROM_FILE=file\nBOTH=file\n")
    code = "import os; from rentezy_platform.conf import load_env; load_env(); print(os.environ.get('FROM_FILE'), os.environ['BOTH'])"
    result = run_python(code, {"BOTH": "environment"}, tmp_path)
    assert result.stdout.split() == ["file", "environment"]


def test_production_never_reads_dev_env(tmp_path):
    (tmp_path / "dev.env").write_text("FROM_FILE=file\n")
    code = "import os; from rentezy_platform.conf import load_env; load_env(); print(os.environ.get('FROM_FILE'))"
    result = run_python(code, {"DJANGO_ENV": "production"}, tmp_path)
    assert result.stdout.split() == ["None"]


def test_production_settings_fail_fast_without_secrets(tmp_path):
    result = run_python("import rentezy_platform.settings", {"DJANGO_ENV": "production"}, tmp_path)
    assert result.returncode == 1
    assert (
        "ImproperlyConfigured: DJANGO_SECRET_KEY must be set in the environment." in result.stderr
    )


def test_production_settings_load_with_their_secrets(tmp_path):
    secrets = {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "s" * 60,
        "DJANGO_ALLOWED_HOSTS": "api.rentezy.example, booking-service",
        "GATEWAY_SIGNING_KEY": "g" * 40,
        "PUBLIC_BASE_URL": "https://api.rentezy.example",
    }
    code = "from rentezy_platform import settings as s; print(s.ALLOWED_HOSTS, s.DEBUG)"
    result = run_python(code, secrets, tmp_path)
    assert result.stdout.strip() == "['api.rentezy.example', 'booking-service'] False", (
        result.stderr
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "PUBLIC_BASE_URL must be set in the environment."),
        ("api.rentezy.example", "PUBLIC_BASE_URL must be an http:// or https:// origin."),
    ],
)
def test_production_needs_the_public_origin(tmp_path, value, message):
    """Every service hands out public links (pagination): production names the origin."""
    env = {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "s" * 60,
        "DJANGO_ALLOWED_HOSTS": "booking-service",
        "GATEWAY_SIGNING_KEY": "g" * 40,
    }
    if value is not None:
        env["PUBLIC_BASE_URL"] = value
    result = run_python("import rentezy_platform.settings", env, tmp_path)
    assert result.returncode == 1
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_public_origin_defaults_to_the_local_gateway_without_a_trailing_slash(tmp_path):
    code = "from rentezy_platform import settings as s; print(s.PUBLIC_BASE_URL)"
    secrets = {"DJANGO_SECRET_KEY": "s" * 60, "GATEWAY_SIGNING_KEY": "g" * 40}
    default = run_python(code, {**secrets, "API_GATEWAY_PORT": "8123"}, tmp_path)
    assert default.stdout.strip() == "http://127.0.0.1:8123", default.stderr
    given = run_python(code, {**secrets, "PUBLIC_BASE_URL": "https://rentezy.example/"}, tmp_path)
    assert given.stdout.strip() == "https://rentezy.example", given.stderr


def test_required_in_production(monkeypatch):
    monkeypatch.setenv("DJANGO_ENV", "production")
    monkeypatch.delenv("SOME_SECRET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="SOME_SECRET must be set in the environment"):
        conf.required("SOME_SECRET")
    monkeypatch.setenv("SOME_SECRET", "   ")
    with pytest.raises(ImproperlyConfigured):
        conf.required("SOME_SECRET")
    monkeypatch.setenv("SOME_SECRET", "value")
    assert conf.required("SOME_SECRET") == "value"


def test_repo_root_is_the_monorepo(monkeypatch):
    monkeypatch.delenv("RENTEZY_ROOT", raising=False)
    assert (conf.repo_root() / "dev.env").is_file()
    assert (conf.repo_root() / "libs" / "rentezy_platform").is_dir()


def test_database_entry(monkeypatch):
    monkeypatch.setenv("POSTGRES_HOST", "db.internal")
    monkeypatch.setenv("POSTGRES_PORT", "6432")
    monkeypatch.setenv("POSTGRES_USER", "booking")
    monkeypatch.setenv("POSTGRES_PASSWORD", "pw")
    monkeypatch.delenv("POSTGRES_CONN_MAX_AGE", raising=False)
    monkeypatch.delenv("POSTGRES_CONNECT_TIMEOUT", raising=False)
    assert database("rentezy_booking") == {
        "ENGINE": "rentezy_platform.postgresql",
        "NAME": "rentezy_booking",
        "HOST": "db.internal",
        "PORT": 6432,
        "USER": "booking",
        "PASSWORD": "pw",
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "connect_timeout": 3,
            "application_name": "rentezy_booking",
            "server_side_binding": True,
            "prepare_threshold": 5,
        },
        "TEST": {"NAME": "test_rentezy_booking"},
    }
    assert database("rentezy_chat", conn_max_age=0)["CONN_MAX_AGE"] == 0
