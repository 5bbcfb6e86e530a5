"""api_gateway runs on the platform: probes, request ids, clean configuration."""

import os
import string
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

SERVICE_DIR = Path(__file__).resolve().parents[1]


def test_healthz_needs_no_signature(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_checks_its_dependencies(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "ok", "checks": {"redis": "ok"}}


def test_gateway_does_not_demand_a_signature(client):
    # It is the signer: unsigned public traffic reaches its routing (404 for now).
    response = client.get("/api/nowhere", headers={"X-Request-ID": "gw-test-1"})
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found."}
    assert response["X-Request-ID"] == "gw-test-1"


def test_server_entry_point_loads():
    from config.asgi import application

    assert callable(application)


def test_system_checks_pass_and_migrations_are_complete():
    call_command("check", fail_level="WARNING")
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


PRODUCTION_GATEWAY_ENV = {
    **{
        f"{name}_SERVICE_URL": f"http://{name.lower()}-service:8000"
        for name in ("AUTH", "PROPERTY", "BOOKING", "RENT", "CHAT", "NOTIFICATION", "SEARCH")
    },
    "WEB_APP_ORIGIN": "https://app.rentezy.example",
}


def test_production_refuses_to_start_without_its_upstreams():
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": string.ascii_letters + string.digits,
        "DJANGO_ALLOWED_HOSTS": "api-gateway",
        "GATEWAY_SIGNING_KEY": "y" * 64,
        "PUBLIC_BASE_URL": "https://api.rentezy.example",
        **{k: v for k, v in PRODUCTION_GATEWAY_ENV.items() if k != "BOOKING_SERVICE_URL"},
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=SERVICE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "BOOKING_SERVICE_URL must be set in the environment." in result.stderr


def test_production_settings_pass_the_deploy_checks():
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": string.ascii_letters + string.digits,
        "DJANGO_ALLOWED_HOSTS": "api-gateway",
        "GATEWAY_SIGNING_KEY": "y" * 64,
        "PUBLIC_BASE_URL": "https://api.rentezy.example",
        "POSTGRES_HOST": "postgres",
        "POSTGRES_USER": "api_gateway",
        "POSTGRES_PASSWORD": "z" * 32,
        **PRODUCTION_GATEWAY_ENV,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=SERVICE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_procfile_serves_the_gateway_with_the_flags_of_config_server():
    import shlex
    from pathlib import Path

    from config.server import APP, UVICORN_ARGS

    procfile = Path(__file__).resolve().parents[2] / "Procfile"
    line = next(row for row in procfile.read_text().splitlines() if row.startswith("gateway:"))
    command = shlex.split(line.split("exec ", 1)[1])
    assert command[:2] == ["../.venv/bin/uvicorn", APP]
    flags = command[2:]
    host_port = ["--host", "127.0.0.1", "--port", "$API_GATEWAY_PORT"]
    assert flags[:4] == host_port
    assert flags[4:] == UVICORN_ARGS


def _procfile_commands() -> dict[str, list[str]]:
    import shlex
    from pathlib import Path

    procfile = Path(__file__).resolve().parents[2] / "Procfile"
    commands = {}
    for row in procfile.read_text().splitlines():
        if row and not row.startswith("#"):
            name, _, rest = row.partition(":")
            commands[name] = shlex.split(rest.split("exec ", 1)[1])
    return commands


@pytest.mark.parametrize(
    ("name", "port_variable"),
    [
        ("auth", "AUTH_SERVICE_PORT"),
        ("property", "PROPERTY_SERVICE_PORT"),
        ("booking", "BOOKING_SERVICE_PORT"),
        ("rent", "RENT_SERVICE_PORT"),
        ("search", "SEARCH_SERVICE_PORT"),
    ],
)
def test_the_procfile_serves_wsgi_services_with_the_flags_of_rentezy_platform_servers(
    name, port_variable
):
    from rentezy_platform.servers import GUNICORN_ARGS, UNTRUSTING_GUNICORN, WSGI_APP

    command = _procfile_commands()[name]
    assert command[:4] == [
        "../.venv/bin/gunicorn",
        WSGI_APP,
        "--bind",
        f"127.0.0.1:${port_variable}",
    ]
    assert command[4:] == GUNICORN_ARGS
    # The flags that close the SCRIPT_NAME / X-Forwarded-* family, spelled out.
    assert UNTRUSTING_GUNICORN == [
        "--forwarded-allow-ips",
        "",
        "--forwarder-headers",
        "",
        "--header-map",
        "drop",
        "--proxy-protocol",
        "off",
    ]


@pytest.mark.parametrize(
    ("name", "port_variable"),
    [("chat", "CHAT_SERVICE_PORT"), ("notification", "NOTIFICATION_SERVICE_PORT")],
)
def test_the_procfile_serves_asgi_services_with_the_flags_of_rentezy_platform_servers(
    name, port_variable
):
    from rentezy_platform.servers import ASGI_APP, SERVICE_UVICORN_ARGS, UNTRUSTING_UVICORN

    command = _procfile_commands()[name]
    assert command[:6] == [
        "../.venv/bin/uvicorn",
        ASGI_APP,
        "--host",
        "127.0.0.1",
        "--port",
        f"${port_variable}",
    ]
    assert command[6:] == SERVICE_UVICORN_ARGS
    assert UNTRUSTING_UVICORN == ["--no-proxy-headers", "--forwarded-allow-ips", ""]


def test_every_web_server_of_the_procfile_is_checked():
    servers = {
        name
        for name, command in _procfile_commands().items()
        if command[0].endswith(("/gunicorn", "/uvicorn"))
    }
    assert servers == {
        "gateway",
        "auth",
        "property",
        "booking",
        "rent",
        "search",
        "chat",
        "notification",
    }
