"""Real processes for the gateway's tests: the test upstream
(tests/upstream_app.py) and the gateway itself, both under uvicorn on free
loopback ports, with the real Redis of the native stack.

Each test that counts per-IP limits gets its own loopback source address
(127.0.x.y): the gateway sees a distinct gw IP without trusting any
forwarding header.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

SERVICE_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = SERVICE_DIR.parent
SIGNING_KEY = "dev-insecure-gateway-signing-key-not-for-production"
WEB_ORIGIN = "http://127.0.0.1:5173"

GATEWAY_TIMEOUT = 2.0
ANON_BUDGET = 40
USER_BUDGET = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy:\n{log.read_text()}")


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_uvicorn(app: str, *, env: dict[str, str], log: Path, lifespan: str = "on") -> Server:
    port = free_port()
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ws",
            "websockets-sansio",
            "--lifespan",
            lifespan,
            "--no-access-log",
            # As the Procfile runs the gateway (bench/gateway_bench.py: GATEWAY_UVICORN_ARGS).
            "--http",
            "httptools",
            "--loop",
            "uvloop",
            "--no-proxy-headers",
        ],
        cwd=SERVICE_DIR,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        _wait_healthy(f"{server.url}/healthz", process, log)
    except Exception:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def upstream(tmp_path_factory) -> Server:
    env = {**os.environ, "GATEWAY_SIGNING_KEY": SIGNING_KEY}
    server = start_uvicorn(
        "tests.upstream_app:application",
        env=env,
        log=tmp_path_factory.mktemp("upstream") / "upstream.log",
        lifespan="off",
    )
    yield server
    server.stop()


def gateway_env(upstream_url: str, **overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "GATEWAY_SIGNING_KEY": SIGNING_KEY,
        "WEB_APP_ORIGIN": f"{WEB_ORIGIN},http://localhost:5173",
        "GATEWAY_UPSTREAM_TIMEOUT": str(GATEWAY_TIMEOUT),
        "GATEWAY_ANON_BUDGET_PER_MINUTE": str(ANON_BUDGET),
        "GATEWAY_USER_BUDGET_PER_MINUTE": str(USER_BUDGET),
        # A run of its own: earlier runs' counters never leak in.
        "GATEWAY_RATE_LIMIT_PREFIX": f"rentezy:gateway:test:{uuid.uuid4().hex}:",
        "GATEWAY_SCHEMA_CACHE_SECONDS": "60",
    }
    for name in ("AUTH", "PROPERTY", "BOOKING", "RENT", "CHAT", "NOTIFICATION"):
        env[f"{name}_SERVICE_URL"] = upstream_url
    # Nothing listens there: the "service is down" case.
    env["SEARCH_SERVICE_URL"] = f"http://127.0.0.1:{free_port()}"
    env.update(overrides)
    return env


@pytest.fixture(scope="session")
def gateway(upstream, tmp_path_factory) -> Server:
    server = start_uvicorn(
        "config.asgi:application",
        env=gateway_env(upstream.url),
        log=tmp_path_factory.mktemp("gateway") / "gateway.log",
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_client():
    gw = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    gw.ping()
    yield gw
    gw.close()


_addresses = itertools.count(1)


def next_address() -> str:
    n = next(_addresses)
    return f"127.0.{n // 250 + 1}.{n % 250 + 1}"


@pytest.fixture
def source_address() -> str:
    return next_address()


@pytest.fixture
def gw(gateway, source_address):
    """An HTTP gw of the gateway from a loopback address of its own."""
    with httpx.Client(
        base_url=gateway.url,
        transport=httpx.HTTPTransport(local_address=source_address),
        timeout=30.0,
        trust_env=False,
    ) as http:
        yield http


@pytest.fixture
def control(upstream):
    """The test upstream's control endpoints (direct, not through the gateway)."""
    with httpx.Client(base_url=upstream.url, timeout=10.0, trust_env=False) as http:
        yield http


@dataclass
class Token:
    value: str
    user_id: str
    role: str
    email: str
    jti: str
    session_id: str
    expires_at: float


@pytest.fixture
def make_token(control):
    def make(
        *,
        user_id: str | None = None,
        role: str = "tenant",
        ttl: float = 900,
        session_id: str | None = None,
        issued_at: int | None = None,
    ) -> Token:
        user_id = user_id or str(uuid.uuid4())
        token = Token(
            value=f"tok-{uuid.uuid4().hex}",
            user_id=user_id,
            role=role,
            email=f"{user_id[:8]}@example.com",
            jti=uuid.uuid4().hex,
            session_id=session_id or str(uuid.uuid4()),
            expires_at=int(time.time() + ttl),
        )
        response = control.post(
            "/_control/tokens",
            json={
                "token": token.value,
                "user_id": token.user_id,
                "role": role,
                "email": token.email,
                "jti": token.jti,
                "session_id": token.session_id,
                "expires_at": token.expires_at,
                # Absent by default: a not_before message then covers the token.
                **({"issued_at": issued_at} if issued_at is not None else {}),
            },
        )
        assert response.status_code == 201
        return token

    return make


def validate_calls(control) -> int:
    return control.get("/_control/stats").json()["validate_calls"]


def bearer(token: Token) -> dict[str, str]:
    return {"Authorization": f"Bearer {token.value}"}
