"""The gateway in front of the real auth_service: both real servers on free
loopback ports (uvicorn for the gateway, gunicorn for auth_service), the
real PostgreSQL database of auth_service (migrated here) and the real Redis.

Covers the contract between the two: signed `/internal/validate` calls and
their answers, the revocation channel (logout honoured within 2 s), the
failed-login limit, and `/internal/...` never being reachable from outside.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PASSWORD = "correct horse battery staple 42"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(command: list[str], *, cwd: Path, env: dict[str, str], health: str, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[2:4]} exited:\n{log.read_text()}")
        try:
            if httpx.get(health, timeout=1, trust_env=False).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{health} never answered:\n{log.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("gateway-auth-e2e")
    env = dict(os.environ)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT / "auth_service", env=env, check=True
    )
    auth_port, gateway_port = _free_port(), _free_port()
    auth = _start(
        [PYTHON, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{auth_port}", "-w", "1", "--threads", "4"],
        cwd=ROOT / "auth_service",
        env=env,
        health=f"http://127.0.0.1:{auth_port}/healthz",
        log=logs / "auth.log",
    )
    gateway_env = {
        **env,
        "AUTH_SERVICE_URL": f"http://127.0.0.1:{auth_port}",
        "GATEWAY_RATE_LIMIT_PREFIX": f"rentezy:gateway:e2e:{uuid.uuid4().hex}:",
    }
    try:
        gateway = _start(
            [PYTHON, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(gateway_port),
             "--lifespan", "on", "--ws", "websockets-sansio", "--no-access-log"],
            cwd=ROOT / "api_gateway",
            env=gateway_env,
            health=f"http://127.0.0.1:{gateway_port}/healthz",
            log=logs / "gateway.log",
        )
    except Exception:
        _stop(auth)
        raise
    yield {"gateway": f"http://127.0.0.1:{gateway_port}", "auth": f"http://127.0.0.1:{auth_port}", "logs": logs}
    _stop(gateway)
    _stop(auth)


@pytest.fixture
def gw(stack):
    with httpx.Client(base_url=stack["gateway"], timeout=20, trust_env=False) as http:
        yield http


def _register_and_login(gw) -> tuple[str, dict]:
    email = f"e2e-{uuid.uuid4().hex[:12]}@example.com"
    registered = gw.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "full_name": "E2E Tenant", "role": "tenant"}
    )
    assert registered.status_code == 201, registered.text
    login = gw.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return email, login.json()


def test_a_real_login_token_identifies_the_user_through_the_gateway(gw):
    email, tokens = _register_and_login(gw)

    me = gw.get("/api/auth/me", headers={"Authorization": f"Bearer {tokens['access']}", "X-User-ID": str(uuid.uuid4())})

    assert me.status_code == 200, me.text
    assert (me.json()["email"], me.json()["role"], me.json()["id"]) == (email, "tenant", tokens["user"]["id"])
    assert gw.get("/api/auth/me").status_code == 401
    assert gw.get("/api/auth/me", headers={"Authorization": "Bearer forged.jwt.value"}).status_code == 401


def test_logout_is_honoured_by_the_gateway_within_2_seconds(gw):
    _, tokens = _register_and_login(gw)
    headers = {"Authorization": f"Bearer {tokens['access']}"}
    assert gw.get("/api/auth/me", headers=headers).status_code == 200  # now cached

    logout = gw.post("/api/auth/logout", json={"refresh": tokens["refresh"]}, headers=headers)
    assert logout.status_code == 204, logout.text
    started = time.monotonic()
    while gw.get("/api/auth/me", headers=headers).status_code != 401:
        assert time.monotonic() - started < 2.0
        time.sleep(0.02)


def test_the_11th_failed_login_gets_429_from_the_gateway(gw):
    email, _ = _register_and_login(gw)

    statuses = [gw.post("/api/auth/login", json={"email": email, "password": f"wrong-{n}"}).status_code for n in range(11)]

    assert statuses == [401] * 10 + [429]
    assert gw.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code == 429


def test_internal_validate_is_not_reachable_through_the_gateway(gw):
    _, tokens = _register_and_login(gw)

    response = gw.post("/internal/validate", json={"token": tokens["access"]})

    assert (response.status_code, response.json()) == (404, {"code": "not_found", "message": "Not found."})
