"""Fault injection for the reliability suite: the real infrastructure the
native stack runs (scripts/infra) killed with SIGKILL and started again by
the same scripts, and the platform's workers killed under their respawn
wrapper (tests/conftest.py, as the Procfile runs them)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from rentezy_platform.testing import wait_until
from support import Account, property_body

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("RENTEZY_DATA_DIR", ROOT / ".data"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (not yet reaped by its parent) is dead for our purpose.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        # Reaped meanwhile: the file vanished, or went while being read (ESRCH).
        return False


def sigkill(pid: int, *, group: bool = False, timeout: float = 30.0) -> None:
    """SIGKILL a process (or its whole process group) and wait until it is gone."""
    try:
        if group:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while _alive(pid):
        assert time.monotonic() < deadline, f"pid {pid} survived SIGKILL"
        time.sleep(0.05)
    # Until its parent has reaped it a zombie still "exists" for kill(pid, 0),
    # which is how the infrastructure scripts (pg_ctl) ask whether it runs.
    reaped = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < reaped:
        time.sleep(0.05)


def infra_pid(component: str) -> int:
    return int((DATA / "run" / f"{component}.pid").read_text().strip())


def _postmaster_pid() -> int:
    """PostgreSQL's postmaster: the parent of a backend we ask for its pid
    (pg_ctl keeps its pid file in the cluster's data directory, which the
    infrastructure script may have placed outside .data)."""
    with psycopg.connect(
        host=os.environ["POSTGRES_HOST"], port=os.environ.get("POSTGRES_PORT", "5432"),
        user=os.environ["POSTGRES_USER"], password=os.environ["POSTGRES_PASSWORD"],
        dbname="postgres", connect_timeout=5,
    ) as conn:  # fmt: skip
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    status = Path(f"/proc/{backend}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def kill_infra(component: str) -> None:
    """SIGKILL a piece of the native infrastructure (kafka, postgres, redis):
    no shutdown, no flush, as a crashed machine would."""
    if component == "postgres":
        postmaster = _postmaster_pid()
        processes = [postmaster, *_children(postmaster)]
        for pid in processes:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in processes:
            sigkill(pid)
        return
    sigkill(infra_pid(component), group=True)


def start_infra(component: str) -> float:
    """Start it again with the infrastructure script (idempotent, waits until
    it answers); returns the seconds that took."""
    started = time.monotonic()
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "infra" / "up.sh"), component],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return time.monotonic() - started


def kill_worker(platform, name: str) -> int:
    """SIGKILL a relay, consumer or Celery worker (its whole process tree, as
    an OOM kill of its container would); the respawn wrapper starts a new
    one. Returns the killed pid."""
    pid = platform.worker_pid(name)
    sigkill(pid, group=False)
    # Celery's prefork children die with their parent (PDEATHSIG / pipe EOF).
    return pid


def wait_for_new_worker(platform, name: str, old_pid: int, *, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        pid = platform.worker_pid(name, timeout=timeout)
        if pid != old_pid:
            return pid
        assert time.monotonic() < deadline, f"{name} was not restarted"
        time.sleep(0.1)


def notifications(gw: httpx.Client, account: Account) -> list[dict]:
    """Every notification of `account` (all pages)."""
    out: list[dict] = []
    url: str | None = "/api/notifications?page_size=100"
    while url:
        response = gw.get(url, headers=account.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        out += body["results"]
        url = body.get("next")
    return out


def settle(check: Callable[[], object], *, timeout: float, quiet: float = 3.0) -> object:
    """Wait until `check()` is truthy, then keep checking for `quiet` seconds:
    a duplicate arriving late would change the answer, so exact counts are
    asserted on a result that held still."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            break
        assert time.monotonic() < deadline, "never reached the expected state"
        time.sleep(0.2)
    end = time.monotonic() + quiet
    while time.monotonic() < end:
        again = check()
        assert again == value, f"changed while settling: {value!r} -> {again!r}"
        time.sleep(0.2)
    return value


def open_slot(gw: httpx.Client, landlord: Account, *, capacity: int, days: int = 3) -> dict:
    """A new property of `landlord` with one viewing slot `days` ahead, once
    booking_service's projection knows the property."""
    created = gw.post("/api/properties", json=property_body(), headers=landlord.headers)
    assert created.status_code == 201, created.text
    start = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=days)
    body = {
        "property_id": created.json()["id"],
        "starts_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "capacity": capacity,
    }

    def attempt():
        response = gw.post("/api/bookings/slots", json=body, headers=landlord.headers)
        return response.json() if response.status_code == 201 else None

    return wait_until(attempt, timeout=60, message="booking_service to know the property")


def succeeded_intents(env: dict[str, str]) -> Counter:
    """How many succeeded PaymentIntents Stripe (localstripe) holds per
    invoice id (the metadata rent_service gives each)."""
    import stripe

    client = stripe.StripeClient(
        env["STRIPE_SECRET_KEY"], base_addresses={"api": env["STRIPE_API_BASE"]}
    )
    listed = client.v1.payment_intents.list(params={"limit": 100})
    return Counter(
        intent.metadata["invoice_id"]
        for intent in listed.auto_paging_iter()
        if intent.status == "succeeded" and "invoice_id" in intent.metadata
    )
