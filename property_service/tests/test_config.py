"""property_service runs on the platform: probes, gateway trust, clean configuration."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rentezy_platform.conf import repo_root
from rentezy_platform.testing.service_contract import ServiceContract

SERVICE_DIR = Path(__file__).resolve().parents[1]


class TestPropertyServiceContract(ServiceContract):
    service_name = "property_service"
    readiness_checks = ("database", "kafka")
    production_env = {
        "PUBLIC_BASE_URL": "https://rentezy.example",
        "MEDIA_ROOT": "/var/lib/rentezy/media",
    }


def _settings(**env: str) -> dict:
    """MEDIA_ROOT and PUBLIC_BASE_URL as a fresh process configures them."""
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.MEDIA_ROOT, settings.PUBLIC_BASE_URL]))"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("MEDIA_ROOT", "PUBLIC_BASE_URL", "API_GATEWAY_PORT")
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=SERVICE_DIR,
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return {"error": result.stderr}
    media_root, public_base_url = json.loads(result.stdout)
    return {"MEDIA_ROOT": media_root, "PUBLIC_BASE_URL": public_base_url}


def test_media_and_public_url_defaults():
    assert _settings() == {
        "MEDIA_ROOT": str(repo_root() / ".data" / "media"),
        "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
    }


def test_media_and_public_url_from_the_environment(tmp_path):
    assert _settings(
        MEDIA_ROOT=str(tmp_path), PUBLIC_BASE_URL="https://rentezy.example/", API_GATEWAY_PORT="9"
    ) == {"MEDIA_ROOT": str(tmp_path), "PUBLIC_BASE_URL": "https://rentezy.example"}
    assert _settings(MEDIA_ROOT="var/media", API_GATEWAY_PORT="8123") == {
        "MEDIA_ROOT": str(repo_root() / "var" / "media"),
        "PUBLIC_BASE_URL": "http://127.0.0.1:8123",
    }


@pytest.mark.parametrize("value", ["ftp://files.example", "rentezy.example"])
def test_a_public_url_must_be_http(value):
    assert "PUBLIC_BASE_URL must be an http:// or https:// origin." in _settings(
        PUBLIC_BASE_URL=value
    ).get("error", "")


@pytest.mark.parametrize("missing", ["PUBLIC_BASE_URL", "MEDIA_ROOT"])
def test_production_refuses_to_start_without_its_media_settings(missing):
    env = TestPropertyServiceContract().platform_production_env()
    del env[missing]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=SERVICE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert f"{missing} must be set in the environment." in result.stderr
