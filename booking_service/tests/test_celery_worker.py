"""The real Celery worker and Beat of this service (config/celery.py) against
real Redis and the test's PostgreSQL database: no eager mode, no mocks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from bookings import services
from bookings.models import RentalReservation, ReservationStatus
from django.db import connection
from django.utils import timezone
from rentezy_platform.outbox.models import OutboxMessage

from tests.conftest import actor, listed_property

SERVICE_DIR = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).with_name("celery"))


def _celery_env() -> dict[str, str]:
    env = dict(os.environ)
    # pytest-django runs on `test_<name>`: the subprocesses resolve the same one.
    env["POSTGRES_DB_PREFIX"] = "test_" + os.environ.get("POSTGRES_DB_PREFIX", "")
    assert connection.settings_dict["NAME"] == env["POSTGRES_DB_PREFIX"] + "rentezy_booking"
    # A queue of this test only: no other worker takes its tasks.
    env["CELERY_QUEUE_PREFIX"] = f"t{uuid.uuid4().hex[:12]}-"
    env["BOOKING_BEAT_INTERVAL_SECONDS"] = "1"
    return env


def _start(args: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [CELERY, "-A", "config", *args, "--loglevel", "INFO"],
            cwd=SERVICE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: prefork children die with it
        )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


@pytest.mark.django_db(transaction=True)
def test_beat_expires_a_pending_reservation_past_its_response_time_once(tenant, landlord, tmp_path):
    prop = listed_property(landlord)
    today = timezone.now().date()
    reservation = services.reservation_create(
        actor=actor(tenant),
        property_id=prop.pk,
        start_date=today + timedelta(days=10),
        end_date=today + timedelta(days=100),
    )
    # Due: its landlord's response time ran out a minute ago.
    RentalReservation.objects.filter(pk=reservation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    env = _celery_env()
    log = tmp_path / "celery.log"
    processes = [
        _start(
            ["worker", "--concurrency", "1", "--without-gossip", "--without-mingle"],
            env=env,
            log=log,
        ),
        _start(["beat", "--scheduler", "celery.beat:Scheduler"], env=env, log=log),
    ]
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            reservation.refresh_from_db()
            if reservation.status != ReservationStatus.PENDING:
                break
            time.sleep(0.5)
        time.sleep(3)  # a few more Beat sweeps: none may expire it again
    finally:
        for process in processes:
            _stop(process)
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.EXPIRED, log.read_text()[-3000:]
    assert (
        OutboxMessage.objects.filter(
            type="rentezy.booking.rental_expired.v1", key=str(reservation.pk)
        ).count()
        == 1
    )
    assert "bookings.expire_pending_reservations" in log.read_text()
