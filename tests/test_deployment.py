"""The container build, checked statically (Docker cannot run here): every
Dockerfile passes hadolint; the image's entry point (rentezy_platform.serve)
starts each service exactly as the native Procfile does, flags included;
nginx serves the web app as a SPA and proxies /api, /media and /ws to the
gateway; the build context leaves out what must not ship."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from rentezy_platform.serve import command

ROOT = Path(__file__).resolve().parents[1]
HADOLINT = Path(sys.executable).with_name("hadolint")
DOCKERFILES = sorted(
    p for p in ROOT.rglob("*Dockerfile") if not {".data", "node_modules", ".venv"} & set(p.parts)
)
SERVERS = {  # Procfile entry -> (service folder, RENTEZY_SERVER)
    "gateway": ("api_gateway", "gateway"),
    "auth": ("auth_service", "gunicorn"),
    "property": ("property_service", "gunicorn"),
    "booking": ("booking_service", "gunicorn"),
    "rent": ("rent_service", "gunicorn"),
    "chat": ("chat_service", "uvicorn"),
    "notification": ("notification_service", "uvicorn"),
    "search": ("search_service", "gunicorn"),
}


def procfile() -> dict[str, list[str]]:
    commands = {}
    for row in (ROOT / "Procfile").read_text().splitlines():
        if row and not row.startswith("#"):
            name, _, rest = row.partition(":")
            commands[name] = shlex.split(rest.split("exec ", 1)[1])
    return commands


def test_there_are_dockerfiles_and_hadolint_passes_on_every_one():
    assert {p.name for p in DOCKERFILES} >= {"service.Dockerfile", "web.Dockerfile"}
    result = subprocess.run(
        [str(HADOLINT), *map(str, DOCKERFILES)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("entry", sorted(SERVERS))
def test_the_image_serves_each_service_with_the_procfiles_flags(entry, monkeypatch):
    folder, server = SERVERS[entry]
    monkeypatch.chdir(ROOT / folder)  # the image's WORKDIR: the gateway reads config/server.py
    native = procfile()[entry]
    image = command("web", server=server, port="8000")
    assert image[1:3] == ["-m", native[0].rsplit("/", 1)[-1]]  # gunicorn or uvicorn
    if server == "gunicorn":
        bind = native.index("--bind")
        assert image[3] == native[1]  # the WSGI app
        assert image[image.index("--bind") + 1] == "0.0.0.0:8000"
        assert image[6:] == native[bind + 2 :]
    else:
        host = native.index("--host")
        assert image[3] == native[1]  # the ASGI app
        assert image[4:8] == ["--host", "0.0.0.0", "--port", "8000"]
        assert image[8:] == native[host + 4 :]
    assert "--forwarded-allow-ips" in image and "" in image  # trusts no forwarding header


def test_the_image_runs_every_other_role_of_the_native_stack():
    native = procfile()
    assert command("relay", server="gunicorn", port="8000")[1:] == ["manage.py", "outbox_relay"]
    assert command("consume", server="gunicorn", port="8000")[1:] == ["manage.py", "consume"]
    assert command("migrate", server="gunicorn", port="8000")[1:] == [
        "manage.py", "migrate", "--noinput",
    ]  # fmt: skip
    worker = command("worker", server="gunicorn", port="8000", concurrency="2")
    assert worker[1:6] == ["-m", "celery", "-A", "config", "worker"]
    assert {"--without-gossip", "--without-mingle"} <= set(native["rent-worker"]) & set(worker)
    beat = command("beat", server="gunicorn", port="8000")
    assert beat[1:6] == ["-m", "celery", "-A", "config", "beat"]
    assert (
        "rentezy_platform.tasks:HeartbeatScheduler" in beat
        and "rentezy_platform.tasks:HeartbeatScheduler" in native["rent-beat"]
    )
    # Kubernetes: an init container waits until the migration Job has run.
    wait = command("wait-migrations", server="gunicorn", port="8000")
    assert wait[1:3] == ["-m", "rentezy_platform.serve_wait"]
    assert wait[-4:] == ["manage.py", "migrate", "--check", "--noinput"]
    # One-shot set-up commands (Compose services, Kubernetes Jobs).
    assert command("manage", server="gunicorn", port="8000", args=["search_index"])[1:] == [
        "manage.py", "search_index"]  # fmt: skip
    with pytest.raises(SystemExit):
        command("manage", server="gunicorn", port="8000")
    with pytest.raises(SystemExit):
        command("relay", server="gunicorn", port="8000", args=["--extra"])
    with pytest.raises(SystemExit):
        command("shell", server="gunicorn", port="8000")


def test_nginx_serves_the_spa_and_proxies_the_api_media_and_sockets():
    conf = (ROOT / "docker" / "nginx.conf").read_text()
    blocks = {
        line.split()[1]: conf.split(line, 1)[1].split("\n    }", 1)[0]
        for line in conf.splitlines()
        if line.strip().startswith("location ")
    }
    for prefix in ("/api/", "/media/", "/ws/"):
        assert "proxy_pass ${GATEWAY_URL};" in blocks[prefix], prefix
    assert "proxy_set_header Upgrade $http_upgrade;" in blocks["/ws/"]
    assert 'proxy_set_header Connection "upgrade";' in blocks["/ws/"]
    assert "try_files $uri /index.html;" in blocks["/"]
    assert "immutable" in blocks["/assets/"]
    assert "listen 8080;" in conf  # the unprivileged nginx's port


def test_the_build_context_leaves_out_data_secrets_and_dependencies():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".data", ".venv", "frontend/node_modules", "**/tests"} <= ignored
