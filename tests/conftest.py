"""Shared fixtures of the cross-service suites.

`platform`: the REAL gateway (uvicorn) in front of the REAL services a test
module asks for, on free loopback ports, against the real infrastructure
(`scripts/infra/up.sh`). A module names its services with a marker:

    pytestmark = pytest.mark.services("auth")

    def test_something(gw):                     # an httpx client on the gateway
        ...

    def test_direct(platform):                  # the Platform object itself
        httpx.get(platform.url("auth") + "/healthz")

Processes live for the whole session and are shared by every module: a
service starts the first time a module asks for it (migrated first), and the
gateway is (re)started whenever the set of running services grows, so it
always routes to all of them (a service nobody asked for answers 503 through
it). Each process logs to a file under the pytest tmp dir; the tail of every
log is attached to the report of a failing test, and a process that does not
come up fails with its whole log. Processes run in their own process group,
die with the pytest process (PR_SET_PDEATHSIG) and are always stopped at the
end of the session.

Gateway settings of the fixture: generous per-IP, per-user and upload budgets
and per-IP failed-login limit (every test calls from 127.0.0.1, so those would
make the suite flaky), a rate-limit key prefix of its own per session, and the
failed-login-per-account rule pinned to the specified 10 per 15 minutes.
auth_service and notification_service write e-mails as files into
`platform.mail_dir` (read them with `platform.mails()`).

Also here: `gw` (an httpx client on the gateway) and `make_account` (a fresh
registered, logged-in account); plain helpers are in support.py.
"""

from __future__ import annotations

import atexit
import ctypes
import email
import os
import runpy
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

import environ
import httpx
import pytest
import rentezy_platform.servers as SERVERS
from support import PASSWORD, Account, register_account

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# How the Procfile serves the gateway (loaded by path: every service's
# package is called `config`).
_GATEWAY_SERVER = runpy.run_path(str(ROOT / "api_gateway" / "config" / "server.py"))
GATEWAY_APP: str = _GATEWAY_SERVER["APP"]
GATEWAY_UVICORN_ARGS: list[str] = _GATEWAY_SERVER["UVICORN_ARGS"]

# The same defaults the native stack runs with; variables already set win.
environ.Env.read_env(ROOT / "dev.env", overwrite=False)

STARTUP_TIMEOUT_SECONDS = 45.0
LOG_TAIL_LINES = 80

# Failed logins per account, as API.md specifies (10 within 15 minutes).
LOGIN_FAILURES_PER_ACCOUNT = 10
LOGIN_WINDOW_SECONDS = 15 * 60
GENEROUS = "1000000"

# The services are served exactly as the Procfile serves them (the flags
# that keep every server from trusting forwarding headers included).
_GUNICORN = ["-m", "gunicorn", SERVERS.WSGI_APP, *SERVERS.GUNICORN_ARGS]
_UVICORN = ["-m", "uvicorn", *SERVERS.SERVICE_UVICORN_ARGS]


@dataclass(frozen=True)
class ServiceSpec:
    directory: str
    url_variable: str  # what the gateway reads to find it
    server: str  # "wsgi" (gunicorn) or "asgi" (uvicorn)
    database: bool = True
    asgi_app: str = "config.asgi:application"


SERVICES: dict[str, ServiceSpec] = {
    "auth": ServiceSpec("auth_service", "AUTH_SERVICE_URL", "wsgi"),
    "property": ServiceSpec("property_service", "PROPERTY_SERVICE_URL", "wsgi"),
    "booking": ServiceSpec("booking_service", "BOOKING_SERVICE_URL", "wsgi"),
    "rent": ServiceSpec("rent_service", "RENT_SERVICE_URL", "wsgi"),
    "chat": ServiceSpec("chat_service", "CHAT_SERVICE_URL", "asgi"),
    "notification": ServiceSpec("notification_service", "NOTIFICATION_SERVICE_URL", "asgi"),
    "search": ServiceSpec("search_service", "SEARCH_SERVICE_URL", "wsgi"),
    # A real Channels app standing where chat_service's sockets will be: its
    # consumer verifies the gateway signature and reports the identity it saw
    # (api_gateway/tests/upstream_app.py). Not asked for together with "chat".
    "ws_echo": ServiceSpec(
        "api_gateway",
        "CHAT_SERVICE_URL",
        "asgi",
        database=False,
        asgi_app="tests.upstream_app:application",
    ),
}
# Background workers started with a service (from its folder, `manage.py ...`),
# as the Procfile runs them: the outbox relay of a producer, the consumer of a
# consuming service. They run under the session's own Kafka topic prefix.
WORKERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "auth": (("outbox_relay",),),
    "property": (("outbox_relay",),),
    "booking": (("outbox_relay",), ("consume",)),
    "rent": (("outbox_relay",), ("consume",)),
    "chat": (("outbox_relay",), ("consume",)),
    "notification": (("consume",),),
    "search": (("consume",),),
}
# Celery workers started with a service (`celery -A config worker` from its
# folder), on the session's own queue (CELERY_QUEUE_PREFIX).
_ONE_WORKER = ("--concurrency", "1", "--without-gossip", "--without-mingle", "--loglevel", "INFO")
CELERY_WORKERS: dict[str, tuple[str, ...]] = {
    "booking": _ONE_WORKER,
    "rent": _ONE_WORKER,
    "notification": _ONE_WORKER,
}
# Celery Beat of a service, started with it (its periodic sweeps). Others are
# started by the test that needs them (Platform.start_beat).
CELERY_BEATS = ("notification",)
# Settings of a service in this suite that differ from its defaults.
SERVICE_ENV: dict[str, dict[str, str]] = {
    # A reservation whose first invoice failed is released after 3 s, not 48 h.
    "booking": {"RESERVATION_PAYMENT_GRACE_SECONDS": "3"},
    # A charge whose worker was killed is delivered again to the worker that
    # replaces it (kombu restores unacknowledged tasks older than this when a
    # worker connects), not an hour later.
    "rent": {"CELERY_VISIBILITY_TIMEOUT": "2"},
    # An e-mail whose task never ran (broker away) is queued again within seconds.
    "notification": {"PENDING_EMAIL_GRACE_SECONDS": "3", "NOTIFICATION_BEAT_INTERVAL_SECONDS": "1"},
}

# The services run on databases of their own (`e2e_rentezy_property`...),
# recreated empty for every session: never the dev stack's data. A
# POSTGRES_DB_PREFIX already set goes in front (two checkouts testing at once).
DATABASE_PREFIX = os.environ.get("POSTGRES_DB_PREFIX", "") + "e2e_"


def recreate_database(name: str, env: dict[str, str]) -> None:
    import psycopg

    with psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=int(env.get("POSTGRES_PORT", "5432")),
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


# Where the gateway sends a service nobody asked for: nothing listens there (503).
NOT_STARTED_URL = "http://127.0.0.1:9"

# The session's Platform once started (for the failure report hook).
_SESSION_PLATFORM: list[Platform] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "services(*names): the services the module's `platform` runs behind the gateway"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


try:
    _LIBC = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:  # not glibc Linux: no parent-death signal, the teardown still stops them
    _LIBC = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: its own process group, and SIGTERM when pytest dies."""
    os.setsid()
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _spawn(command: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start `command` logging to `log` (appended), in its own process group,
    dying with pytest."""
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _server_command(spec: ServiceSpec, *, workers: int = 2) -> Callable[[int], list[str]]:
    if spec.server == "wsgi":
        # A later --workers wins over the one in _GUNICORN.
        extra = ["--workers", str(workers)] if workers != 2 else []

        def command(port: int) -> list[str]:
            return [PYTHON, *_GUNICORN, *extra, "--bind", f"127.0.0.1:{port}"]
    else:

        def command(port: int) -> list[str]:
            return [PYTHON, *_UVICORN, spec.asgi_app, "--host", "127.0.0.1", "--port", str(port)]

    return command


class _PortTaken(Exception):
    pass


@dataclass
class Process:
    name: str
    url: str
    log: Path
    popen: subprocess.Popen

    def stop(self) -> None:
        """SIGTERM to the process group (the server and its workers), SIGKILL to
        the group if the server has not exited within 10 s. The group is only
        signalled while its leader is ours and not yet reaped."""
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)
        except ProcessLookupError:
            self.popen.wait(10)


@dataclass
class Platform:
    """The gateway and the services started so far (one per session)."""

    root: Path
    base_env: dict[str, str]
    processes: dict[str, Process] = field(default_factory=dict)
    gateway_process: Process | None = None
    workers: dict[str, Process] = field(default_factory=dict)
    # Which spec the gateway routes to, per upstream address variable.
    routed: dict[str, str] = field(default_factory=dict)
    database_prefix: str = DATABASE_PREFIX
    _generation: int = 0

    def __post_init__(self) -> None:
        self.logs = self.root / "logs"
        self.mail_dir = self.root / "mail"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        self.rate_limit_prefix = f"rentezy:gateway:tests:{uuid.uuid4().hex}:"
        # Kafka topics and the search index of this session only: a dev stack
        # or another run on the same infrastructure never sees its events.
        run = uuid.uuid4().hex[:10]
        self.topic_prefix = f"test-{run}."
        self.search_alias = f"test-{run}-properties"
        self.media_root = self.root / "media"
        # The gateway's port is fixed for the session, so the services know
        # their public origin (pagination links, image URLs) before it starts.
        self.gateway_port = _free_port()
        self.gateway_url = f"http://127.0.0.1:{self.gateway_port}"
        self.webhook_id = f"tests-{run}"
        # The web app's server in the browser tests (tests/test_web_e2e.py):
        # the gateway allows its origin beside the dev server's (_start_gateway).
        self.web_port = _free_port()
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.base_env.update(
            PUBLIC_BASE_URL=self.gateway_url,
            POSTGRES_DB_PREFIX=self.database_prefix,
            KAFKA_TOPIC_PREFIX=self.topic_prefix,
            CELERY_QUEUE_PREFIX=self.topic_prefix,
            CHANNEL_LAYER_PREFIX=self.topic_prefix,
            SEARCH_INDEX_ALIAS=self.search_alias,
            MEDIA_ROOT=str(self.media_root),
        )

    # --- what tests use ---------------------------------------------------------

    @property
    def gateway(self) -> str:
        assert self.gateway_process is not None, "the gateway is not running"
        return self.gateway_process.url

    def url(self, service: str) -> str:
        """The base URL of a running service (to call it directly, not through the gateway)."""
        return self.processes[service].url

    @property
    def env(self) -> dict[str, str]:
        """The environment the processes run with (signing keys, WEB_APP_ORIGIN...)."""
        return dict(self.base_env)

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(
            **{"base_url": self.gateway, "timeout": 60, "trust_env": False, **kwargs}
        )

    def mails(self) -> list[Message]:
        """Every e-mail the services wrote so far (file backend), oldest first."""
        messages = []
        for path in sorted(
            self.mail_dir.glob("*.log"), key=lambda p: (p.stat().st_mtime_ns, p.name)
        ):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    messages.append(email.message_from_bytes(chunk.lstrip(b"\n")))
        return messages

    def log_report(self) -> str:
        parts = []
        for process in self._all():
            parts.append(
                f"===== {process.name} ({process.url}) log {process.log}, last lines ====="
            )
            parts.append(_tail(process.log))
        return "\n".join(parts)

    # --- lifecycle -------------------------------------------------------------------

    def require(self, names: tuple[str, ...]) -> None:
        unknown = sorted(set(names) - set(SERVICES))
        if unknown:
            raise pytest.UsageError(f"unknown services {unknown}; known: {sorted(SERVICES)}")
        missing = [name for name in SERVICES if name in names and name not in self.processes]
        for name in missing:
            self._start_service(name)
        # Two specs may stand at one upstream address (ws_echo where chat's
        # sockets go): the gateway routes to the one the module asked for,
        # restarted when that changes (the other keeps running, unrouted).
        rerouted = False
        for name in names:
            variable = SERVICES[name].url_variable
            if self.routed.get(variable) != name:
                self.routed[variable] = name
                rerouted = True
        gateway_down = self.gateway_process is None or self.gateway_process.popen.poll() is not None
        if missing or rerouted or gateway_down:
            self._start_gateway()
        for process in self._all():
            if process.popen.poll() is not None:
                raise RuntimeError(f"{process.name} has exited:\n{_tail(process.log)}")

    def _localstripe_webhook(self, url: str, *, events: list[str] | None = None) -> None:
        """Register (or, with events=["none"], silence) this session's webhook
        endpoint with localstripe, which POSTs every signed event to every
        registered endpoint (unknown payments are ignored by each receiver)."""
        response = httpx.post(
            f"{self.base_env['STRIPE_API_BASE']}/_config/webhooks/{self.webhook_id}",
            json={"url": url, "secret": self.base_env["STRIPE_WEBHOOK_SECRET"], "events": events},
            auth=(self.base_env["STRIPE_SECRET_KEY"], ""),
            timeout=10,
            trust_env=False,
        )
        response.raise_for_status()

    def stop(self) -> None:
        if "rent" in self.processes:
            try:  # localstripe keeps no way to delete one: it stops receiving any event
                self._localstripe_webhook(f"{self.gateway_url}/", events=["none"])
            except httpx.HTTPError as exc:
                print(f"tests/conftest.py: could not silence the session's webhook: {exc}")
        for process in reversed(self._all()):
            process.stop()
        self.processes.clear()
        self.routed.clear()
        self.workers.clear()
        self.gateway_process = None

    def remove_session_data(self) -> None:
        """Delete the session's Kafka topics and search indices (best effort)."""
        try:
            from confluent_kafka.admin import AdminClient

            admin = AdminClient({"bootstrap.servers": self.base_env["KAFKA_BOOTSTRAP_SERVERS"]})
            topics = [
                name
                for name in admin.list_topics(timeout=10).topics
                if name.startswith(self.topic_prefix)
            ]
            if topics:
                for future in admin.delete_topics(topics, operation_timeout=30).values():
                    future.result()
        except Exception as exc:  # noqa: BLE001 - cleanup must not fail the session
            print(f"tests/conftest.py: could not delete the session's topics: {exc}")
        try:
            httpx.delete(
                f"{self.base_env['SEARCH_URL']}/{self.search_alias}*", timeout=30, trust_env=False
            )
        except httpx.HTTPError as exc:
            print(f"tests/conftest.py: could not delete the session's indices: {exc}")

    def _all(self) -> list[Process]:
        return [
            *self.processes.values(),
            *self.workers.values(),
            *([self.gateway_process] if self.gateway_process else []),
        ]

    def _start_service(self, name: str) -> None:
        spec = SERVICES[name]
        cwd = ROOT / spec.directory
        env = {**self.base_env, **SERVICE_ENV.get(name, {})}
        if name in ("auth", "notification"):
            env["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
            env["EMAIL_FILE_PATH"] = str(self.mail_dir)
        if spec.database:
            recreate_database(self.database_prefix + f"rentezy_{name}", self.base_env)
            migrate = subprocess.run(
                [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
            )
            if migrate.returncode != 0:
                raise RuntimeError(f"{name}: migrate failed:\n{migrate.stdout}\n{migrate.stderr}")
        self.processes[name] = self._launch(name, _server_command(spec), cwd=cwd, env=env)
        for args in WORKERS.get(name, ()):
            self._start_worker(f"{name}-{args[0]}", [PYTHON, "manage.py", *args], cwd=cwd, env=env)
        if name == "rent":
            self._localstripe_webhook(f"{self.gateway_url}/api/rent/webhooks/stripe")
        if name in CELERY_WORKERS:
            self._start_worker(
                f"{name}-celery-worker",
                [PYTHON, "-m", "celery", "-A", "config", "worker", *CELERY_WORKERS[name]],
                cwd=cwd,
                env=env,
            )
        if name in CELERY_BEATS:
            self.start_beat(name)

    def start_beat(self, service: str, **overrides: str) -> Process:
        """Celery Beat of a running service under respawn, as the Procfile runs
        it, with the service's settings plus `overrides` (e.g. the billing run
        every few seconds). Stopped with the rest, or by the caller
        (stop_worker)."""
        assert service in self.processes, f"start {service} first (services marker)"
        name = f"{service}-celery-beat"
        self._start_worker(
            name,
            [PYTHON, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
             "--scheduler", "rentezy_platform.tasks:HeartbeatScheduler"],
            cwd=ROOT / SERVICES[service].directory,
            env={**self.base_env, **SERVICE_ENV.get(service, {}), **overrides},
        )  # fmt: skip
        return self.workers[name]

    def start_variant(
        self,
        name: str,
        *,
        service: str,
        env: dict[str, str],
        wsgi_app: str | None = None,
        pythonpath: Path | None = None,
    ) -> Process:
        """Another server of a running service, on the same database, with some
        settings changed (e.g. a short token lifetime) or another WSGI entry
        point (`wsgi_app`, importable from `pythonpath`: a test-only variant of
        the service); not behind the gateway, stopped with the rest. Call it
        directly at `.url`, or put start_extra_gateway() in front of it."""
        assert service in self.processes, f"start {service} first (services marker)"
        if name in self.workers and self.workers[name].popen.poll() is None:
            return self.workers[name]
        spec = SERVICES[service]
        if wsgi_app is None:
            command = _server_command(spec, workers=1)
        else:
            assert spec.server == "wsgi", "only WSGI services take another entry point"
            extra = ["--pythonpath", str(pythonpath)] if pythonpath else []

            def command(port: int) -> list[str]:
                return [
                    PYTHON, "-m", "gunicorn", wsgi_app, *SERVERS.GUNICORN_ARGS, *extra,
                    "--bind", f"127.0.0.1:{port}",
                ]  # fmt: skip

        process = self._launch(
            name,
            command,
            cwd=ROOT / spec.directory,
            env={**self.base_env, **env},
        )
        self.workers[name] = process
        return process

    def _start_worker(
        self, name: str, command: list[str], *, cwd: Path, env: dict[str, str]
    ) -> None:
        """A relay, consumer or Celery worker under rentezy_platform.respawn, as
        the Procfile runs it: one that crashes or is killed is started again
        (1 s backoff at first), which the reliability suite relies on."""
        log = self.logs / f"{name}.log"
        wrapped = [PYTHON, "-m", "rentezy_platform.respawn", "--name", name, "--", *command]
        popen = _spawn(wrapped, cwd=cwd, env=env, log=log)
        self.workers[name] = Process(name=name, url="(worker)", log=log, popen=popen)

    def stop_worker(self, name: str) -> None:
        """Stop a worker a test started (start_beat) and forget it: the
        modules after it do not expect it running."""
        self.workers.pop(name).stop()

    def worker_pid(self, name: str, *, timeout: float = 60.0) -> int:
        """The pid of the worker process itself (the respawn wrapper's child),
        waiting for one to be running (after a kill, its replacement)."""
        wrapper = self.workers[name].popen.pid
        deadline = time.monotonic() + timeout
        while True:
            children = Path(f"/proc/{wrapper}/task/{wrapper}/children").read_text().split()
            if children:
                return int(children[0])
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{name}: no worker process under respawn:\n{_tail(self.workers[name].log)}"
                )
            time.sleep(0.1)

    def start_extra_gateway(self, name: str, **overrides: str) -> Process:
        """A second gateway in front of the running services, with the
        session gateway's settings plus `overrides` (e.g. a small budget, a
        REDIS_URL where nothing listens) and a rate-limit prefix of its own.
        The caller stops it (Process.stop)."""
        env = self._gateway_env()
        env["GATEWAY_RATE_LIMIT_PREFIX"] = f"{self.rate_limit_prefix}{name}:{uuid.uuid4().hex}:"
        env.update(overrides)
        return self._launch(name, self._gateway_command, cwd=ROOT / "api_gateway", env=env)

    def _gateway_env(self) -> dict[str, str]:
        env = dict(self.base_env)
        for spec in SERVICES.values():
            env[spec.url_variable] = NOT_STARTED_URL
        for name, spec in SERVICES.items():
            if name in self.processes and self.routed.get(spec.url_variable, name) == name:
                env[spec.url_variable] = self.processes[name].url
        env.update(
            GATEWAY_RATE_LIMIT_PREFIX=self.rate_limit_prefix,
            GATEWAY_ANON_BUDGET_PER_MINUTE=GENEROUS,
            GATEWAY_USER_BUDGET_PER_MINUTE=GENEROUS,
            GATEWAY_UPLOADS_PER_MINUTE=GENEROUS,
            GATEWAY_LOGIN_FAILURES_PER_IP=GENEROUS,
            GATEWAY_LOGIN_FAILURES_PER_ACCOUNT=str(LOGIN_FAILURES_PER_ACCOUNT),
            GATEWAY_LOGIN_WINDOW_SECONDS=str(LOGIN_WINDOW_SECONDS),
            # CORS and WebSocket handshakes: the browser tests' web server too.
            WEB_APP_ORIGIN=f"{self.base_env.get('WEB_APP_ORIGIN', '')},{self.web_url}".lstrip(","),
        )
        return env

    @staticmethod
    def _gateway_command(port: int) -> list[str]:
        # Served exactly as the Procfile serves it.
        return [
            PYTHON,
            "-m",
            "uvicorn",
            GATEWAY_APP,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *GATEWAY_UVICORN_ARGS,
        ]

    def _start_gateway(self) -> None:
        if self.gateway_process is not None:
            self.gateway_process.stop()
            self.gateway_process = None
        self._generation += 1
        name = f"gateway-{self._generation}"
        try:
            self.gateway_process = self._launch_on(
                name,
                self._gateway_command(self.gateway_port),
                cwd=ROOT / "api_gateway",
                env=self._gateway_env(),
                port=self.gateway_port,
                log=self.logs / f"{name}.log",
            )
        except _PortTaken:
            raise RuntimeError(
                f"{name}: port {self.gateway_port} (PUBLIC_BASE_URL) was taken by another process"
            ) from None

    def _launch(
        self, name: str, command: Callable[[int], list[str]], *, cwd: Path, env: dict[str, str]
    ) -> Process:
        """Start `command(port)` on a free port and wait for its /healthz; on a
        lost race for the port (taken between the probe and the bind), again."""
        log = self.logs / f"{name}.log"
        for _ in range(3):
            port = _free_port()
            if port == self.gateway_port:  # reserved for the gateway
                port = _free_port()
            try:
                return self._launch_on(name, command(port), cwd=cwd, env=env, port=port, log=log)
            except _PortTaken:
                with log.open("ab") as out:
                    out.write(
                        f"(tests/conftest.py: port {port} was taken meanwhile, retrying)\n".encode()
                    )
        raise RuntimeError(f"{name}: no free port after 3 attempts:\n{_tail(log)}")

    def _launch_on(
        self, name: str, command: list[str], *, cwd: Path, env: dict[str, str], port: int, log: Path
    ) -> Process:
        offset = log.stat().st_size if log.exists() else 0
        popen = _spawn(command, cwd=cwd, env=env, log=log)
        process = Process(name=name, url=f"http://127.0.0.1:{port}", log=log, popen=popen)
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            if popen.poll() is not None:
                process.stop()
                text = log.read_bytes()[offset:].decode(errors="replace")
                if "Address already in use" in text or "address already in use" in text:
                    raise _PortTaken()
                raise RuntimeError(f"{name} exited with {popen.returncode} at start-up:\n{text}")
            try:
                if (
                    httpx.get(f"{process.url}/healthz", timeout=1, trust_env=False).status_code
                    == 200
                ):
                    return process
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                process.stop()
                raise RuntimeError(f"{name}: /healthz never answered 200:\n{log.read_text()}")
            time.sleep(0.1)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def dev_env() -> dict[str, str]:
    return dict(os.environ)


@pytest.fixture(scope="session")
def _platform_session(tmp_path_factory) -> Iterator[Platform]:
    platform = Platform(root=tmp_path_factory.mktemp("platform"), base_env=dict(os.environ))
    atexit.register(platform.stop)  # should the session end without its teardown
    _SESSION_PLATFORM.append(platform)
    try:
        yield platform
    finally:
        _SESSION_PLATFORM.remove(platform)
        platform.stop()
        platform.remove_session_data()


@pytest.fixture(scope="module")
def platform(request, _platform_session: Platform) -> Platform:
    """The gateway in front of the services the module's `services` marker names."""
    names: list[str] = []
    for marker in request.node.iter_markers("services"):
        names.extend(marker.args)
    _platform_session.require(tuple(names))
    return _platform_session


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _SESSION_PLATFORM and "platform" in getattr(item, "fixturenames", ()):
        report.sections.append(("platform logs", _SESSION_PLATFORM[0].log_report()))


# --- helpers on top of `platform` (the plain functions live in support.py) ------------------


@pytest.fixture
def gw(platform: Platform) -> Iterator[httpx.Client]:
    """An HTTP client on the gateway."""
    with platform.client() as client:
        yield client


@pytest.fixture
def make_account(gw: httpx.Client) -> Callable[..., Account]:
    """`make_account(role="tenant", login=True)`: a fresh account (unique e-mail),
    registered through the gateway and, by default, logged in."""

    def make(role: str = "tenant", *, login: bool = True, password: str = PASSWORD) -> Account:
        return register_account(gw, role=role, login=login, password=password)

    return make
