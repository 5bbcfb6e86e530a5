"""`make dev-up` brings up all eight services and their workers healthy, a
crashed worker is restarted without taking the stack down, and `make dev-down`
leaves no process of the stack behind.

Runs the real scripts against the real infrastructure (already started by
`make test`); `dev-down` here is `scripts/dev/down.sh` without `--all`, so the
infrastructure the rest of the suite needs keeps running.
"""

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

SERVICES = {
    "api_gateway": "API_GATEWAY_PORT",
    "auth_service": "AUTH_SERVICE_PORT",
    "property_service": "PROPERTY_SERVICE_PORT",
    "booking_service": "BOOKING_SERVICE_PORT",
    "rent_service": "RENT_SERVICE_PORT",
    "chat_service": "CHAT_SERVICE_PORT",
    "notification_service": "NOTIFICATION_SERVICE_PORT",
    "search_service": "SEARCH_SERVICE_PORT",
}
RELAYS = ["auth", "property", "booking", "rent", "chat"]
CONSUMERS = ["search", "booking", "rent", "chat", "notification"]
# Celery worker and Beat of the services that run tasks (`celery -A config ...`).
CELERY = ["booking", "rent"]
# Celery workers without a Beat (nothing periodic).
CELERY_WORKER_ONLY = ["notification"]


def stack_processes(repo_root: Path) -> dict[int, str]:
    """pid -> command line of every live process carrying this checkout's marker."""
    marker = f"RENTEZY_DEV_STACK={repo_root}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # exited meanwhile, or not ours to read
            continue
        found[int(entry.name)] = cmdline
    return found


def worker_pid(
    repo_root: Path, service_dir: str, command: str, *, program: str = "manage.py"
) -> int | None:
    """The pid of `<program> <command>` (`manage.py outbox_relay`, `celery -A
    config beat`) run from `service_dir` (the respawned child, not its respawn
    supervisor; for a Celery worker its main process)."""
    for pid, cmdline in sorted(stack_processes(repo_root).items()):
        if f"{program} {command}" in cmdline and "rentezy_platform.respawn" not in cmdline:
            try:
                cwd = os.readlink(f"/proc/{pid}/cwd")
            except OSError:
                continue
            if Path(cwd).name == service_dir:
                return pid
    return None


def healthz(port: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        assert response.status == 200
        return json.load(response)


def wait_for(predicate, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(message)


@pytest.fixture
def dev_stack(repo_root):
    up = subprocess.run(
        ["bash", "scripts/dev/up.sh"], cwd=repo_root, capture_output=True, text=True, timeout=420
    )
    try:
        assert up.returncode == 0, up.stdout[-4000:] + up.stderr[-4000:]
        yield
    finally:
        down = subprocess.run(
            ["bash", "scripts/dev/down.sh"],
            cwd=repo_root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert down.returncode == 0, down.stdout[-4000:] + down.stderr[-4000:]


def test_dev_up_runs_every_service_and_worker_and_dev_down_leaves_nothing(repo_root, dev_stack):
    for service, port_var in SERVICES.items():
        assert healthz(os.environ[port_var]) == {"status": "ok"}, service

    # The web app's dev server: the page, and the API through its proxy.
    web = f"http://127.0.0.1:{os.environ['WEB_APP_PORT']}"
    with urllib.request.urlopen(f"{web}/", timeout=10) as response:
        assert "<title>RentEzy</title>" in response.read().decode()
    with urllib.request.urlopen(f"{web}/api/schema/", timeout=30) as response:
        assert json.load(response)["openapi"].startswith("3.")

    for name in RELAYS:
        assert worker_pid(repo_root, f"{name}_service", "outbox_relay"), f"{name} relay"
    for name in CONSUMERS:
        assert worker_pid(repo_root, f"{name}_service", "consume"), f"{name} consumer"
    for name in CELERY:
        for kind in ("worker", "beat"):
            assert worker_pid(
                repo_root, f"{name}_service", f"-A config {kind}", program="celery"
            ), f"{name} celery {kind}"
    for name in CELERY_WORKER_ONLY:
        assert worker_pid(repo_root, f"{name}_service", "-A config worker", program="celery"), (
            f"{name} celery worker"
        )

    # A relay killed outright is started again by its respawn supervisor, and
    # the rest of the stack is untouched.
    victim = worker_pid(repo_root, "chat_service", "outbox_relay")
    others = {pid for pid in stack_processes(repo_root) if pid != victim}
    os.kill(victim, signal.SIGKILL)
    replacement = wait_for(
        lambda: (pid := worker_pid(repo_root, "chat_service", "outbox_relay")) != victim and pid,
        timeout=30,
        message="the killed chat relay was not restarted",
    )
    assert replacement != victim
    assert others <= set(stack_processes(repo_root)), "other processes died with the relay"
    for port_var in SERVICES.values():
        assert healthz(os.environ[port_var]) == {"status": "ok"}

    down = subprocess.run(
        ["bash", "scripts/dev/down.sh"], cwd=repo_root, capture_output=True, text=True, timeout=120
    )
    assert down.returncode == 0, down.stdout + down.stderr
    assert stack_processes(repo_root) == {}
    for port_var in SERVICES.values():
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{os.environ[port_var]}/healthz", timeout=2)
