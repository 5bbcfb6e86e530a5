"""The checks every RentEzy service passes, written once.

A service's `tests/test_config.py` subclasses `ServiceContract` and states its
own facts; pytest collects the inherited tests there:

    class TestSearchServiceContract(ServiceContract):
        service_name = "search_service"
        readiness_checks = ("database", "kafka", "search")
        consumer = {"group_id": "search_service", "topics": ["rentezy.property"],
                    "handlers": "search.handlers.HANDLERS"}

The class name here does not start with `Test`, so it is not collected itself.
"""

from __future__ import annotations

import os
import string
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils.module_loading import import_string

from rentezy_platform.trust import gateway_headers


class ServiceContract:
    service_name: ClassVar[str]
    readiness_checks: ClassVar[tuple[str, ...]]
    # `config.wsgi` or `config.asgi`: the module the server loads.
    entry_point: ClassVar[str] = "config.wsgi"
    # settings.KAFKA_CONSUMER of a consuming service; None for the others.
    consumer: ClassVar[dict[str, Any] | None] = None
    # Variables a production deploy of this service needs beyond the platform's.
    production_env: ClassVar[dict[str, str]] = {}

    def service_dir(self) -> Path:
        """The folder holding the service's manage.py (its `config` package's parent)."""
        return Path(sys.modules["config"].__file__).resolve().parents[1]

    def platform_production_env(self) -> dict[str, str]:
        return {
            "PATH": os.environ["PATH"],
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": string.ascii_letters + string.digits,
            "DJANGO_ALLOWED_HOSTS": self.service_name.replace("_", "-"),
            "GATEWAY_SIGNING_KEY": "y" * 64,
            "PUBLIC_BASE_URL": "https://api.rentezy.example",
            "POSTGRES_HOST": "postgres",
            "POSTGRES_USER": self.service_name,
            "POSTGRES_PASSWORD": "z" * 32,
            **self.production_env,
        }

    def test_healthz_needs_no_signature(self, client):
        response = client.get("/healthz")
        assert (response.status_code, response.json()) == (200, {"status": "ok"})

    @pytest.mark.django_db
    def test_readyz_checks_its_dependencies(self, client):
        response = client.get("/readyz")
        assert response.status_code == 200, response.json()
        assert response.json() == {
            "status": "ok",
            "checks": {name: "ok" for name in self.readiness_checks},
        }

    def test_unsigned_request_is_refused(self, client):
        response = client.get("/api/schema/")
        assert response.status_code == 401
        assert response.json() == {
            "code": "not_authenticated",
            "message": "Missing gateway signature.",
        }

    def test_signed_request_passes(self, client):
        path = "/api/schema/?format=json"
        headers = gateway_headers(
            key=settings.GATEWAY_SIGNING_KEY, method="GET", path_with_query=path
        )
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert response.json()["info"]["title"] == f"RentEzy {self.service_name} API"

    def test_consumes_its_topics(self):
        assert getattr(settings, "KAFKA_CONSUMER", None) == self.consumer
        if self.consumer is not None:
            # One meaning per file name: consumer handlers live in handlers.py.
            assert self.consumer["handlers"].endswith(".handlers.HANDLERS")
            assert isinstance(import_string(self.consumer["handlers"]), dict)

    def test_server_entry_point_loads(self):
        module = import_string(f"{self.entry_point}.application")
        assert callable(module)

    @pytest.mark.django_db
    def test_system_checks_pass_and_migrations_are_complete(self):
        call_command("check", fail_level="WARNING")
        call_command("makemigrations", check=True, dry_run=True, verbosity=0)

    def test_production_settings_pass_the_deploy_checks(self):
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=self.service_dir(),
            env=self.platform_production_env(),
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
