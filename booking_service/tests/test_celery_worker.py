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
from django.db import connection, transaction
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
    # As in the container images: each process beats a heartbeat file of its
    # own, which the liveness probe (python -m rentezy_platform.heartbeat) reads.
    beats = {role: tmp_path / f"{role}.heartbeat" for role in ("worker", "beat")}
    processes = [
        _start(
            ["worker", "--concurrency", "1", "--without-gossip", "--without-mingle"],
            env={**env, "RENTEZY_HEARTBEAT_FILE": str(beats["worker"])},
            log=log,
        ),
        _start(
            ["beat", "--scheduler", "rentezy_platform.tasks:HeartbeatScheduler"],
            env={**env, "RENTEZY_HEARTBEAT_FILE": str(beats["beat"])},
            log=log,
        ),
    ]
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            reservation.refresh_from_db()
            if reservation.status != ReservationStatus.PENDING:
                break
            time.sleep(0.5)
        time.sleep(3)  # a few more Beat sweeps: none may expire it again
        for role, path in beats.items():
            probe = subprocess.run(
                [sys.executable, "-m", "rentezy_platform.heartbeat", "--max-age", "30"],
                env={**env, "RENTEZY_HEARTBEAT_FILE": str(path)},
                capture_output=True,
                text=True,
                check=False,
            )
            assert probe.returncode == 0, (role, probe.stderr, log.read_text()[-3000:])
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


def _wait(condition, *, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never {what}:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_release_leaves_it_to_the_redelivered_task_once(
    tenant, landlord, tmp_path, settings
):
    import psycopg
    from bookings import tasks

    settings.RESERVATION_PAYMENT_GRACE_SECONDS = 2
    prop = listed_property(landlord)
    today = timezone.now().date()
    reservation = services.reservation_create(
        actor=actor(tenant),
        property_id=prop.pk,
        start_date=today + timedelta(days=10),
        end_date=today + timedelta(days=100),
    )
    services.reservation_approve(actor=actor(landlord), reservation_id=reservation.pk)
    with transaction.atomic():
        services.reservation_first_payment_failed(
            data={"reservation_id": str(reservation.pk), "is_first_invoice": True}
        )
    reservation.refresh_from_db()
    assert reservation.release_after is not None

    # No Beat here: only the task itself can release it.
    env = _celery_env()
    env["CELERY_VISIBILITY_TIMEOUT"] = "5"
    queue = env["CELERY_QUEUE_PREFIX"] + "booking_service"
    log = tmp_path / "worker.log"
    worker_args = ["worker", "--concurrency", "1", "--without-gossip", "--without-mingle"]
    db = connection.settings_dict
    locker = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"],
    )
    watcher = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"],
        autocommit=True,
    )

    def blocked() -> bool:
        row = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE 'UPDATE%%'"
        ).fetchone()
        return row[0] == 1

    first = _start(worker_args, env=env, log=log)
    second = None
    try:
        # The test holds the row: the task's conditional UPDATE waits on it.
        locker.execute(
            "SELECT id FROM bookings_rentalreservation WHERE id = %s FOR UPDATE", [reservation.pk]
        )
        tasks.release_unpaid_reservation.apply_async(
            args=[str(reservation.pk)], eta=reservation.release_after, queue=queue
        )
        _wait(blocked, seconds=30, what="blocked on the row lock", log=log)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        locker.rollback()
        reservation.refresh_from_db()
        assert reservation.status == ReservationStatus.CONFIRMED
        # kombu scans for unacknowledged messages past the visibility timeout
        # when a worker connects (then only every few minutes): start the new
        # worker once the killed one's delivery is older than that timeout.
        time.sleep(6)
        second = _start(worker_args, env=env, log=log)

        def released() -> bool:
            reservation.refresh_from_db()
            return reservation.status == ReservationStatus.CANCELLED

        _wait(released, seconds=40, what="released by the redelivered task", log=log)
        time.sleep(2)
    finally:
        for process in (first, second):
            if process is not None:
                _stop(process)
        locker.close()
        watcher.close()
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CANCELLED
    assert reservation.reason == "first_payment_failed"
    assert (
        OutboxMessage.objects.filter(
            type="rentezy.booking.rental_cancelled.v1", key=str(reservation.pk)
        ).count()
        == 1
    )
    text = log.read_text()
    # Received by the killed worker, then delivered again to the new one.
    assert text.count("bookings.release_unpaid_reservation[") >= 2, text[-3000:]
    assert f"release of reservation {reservation.pk}: released" in text


@pytest.mark.django_db(transaction=True)
def test_a_later_payment_succeeded_prevents_the_release_and_a_second_run_changes_nothing(
    tenant, other_tenant, landlord, tmp_path, settings
):
    from bookings import tasks

    settings.RESERVATION_PAYMENT_GRACE_SECONDS = 2
    today = timezone.now().date()
    paid, unpaid = (
        services.reservation_create(
            actor=actor(who),
            property_id=listed_property(landlord).pk,
            start_date=today + timedelta(days=10),
            end_date=today + timedelta(days=100),
        )
        for who in (tenant, other_tenant)
    )
    for reservation in (paid, unpaid):
        services.reservation_approve(actor=actor(landlord), reservation_id=reservation.pk)
        for _ in range(2):  # a duplicated failure keeps the first deadline
            with transaction.atomic():
                services.reservation_first_payment_failed(
                    data={"reservation_id": str(reservation.pk), "is_first_invoice": True}
                )
        reservation.refresh_from_db()
    services.reservation_first_payment_succeeded(
        data={"reservation_id": str(paid.pk), "is_first_invoice": True}
    )

    env = _celery_env()  # Beat every second: release_due_reservations every 5 s
    queue = env["CELERY_QUEUE_PREFIX"] + "booking_service"
    log = tmp_path / "celery.log"
    for reservation in (paid, unpaid, unpaid):  # the unpaid one's task sent twice
        tasks.release_unpaid_reservation.apply_async(
            args=[str(reservation.pk)], eta=unpaid.release_after, queue=queue
        )
    processes = [
        _start(
            ["worker", "--concurrency", "1", "--without-gossip", "--without-mingle"],
            env=env,
            log=log,
        ),
        _start(
            ["beat", "--scheduler", "rentezy_platform.tasks:HeartbeatScheduler"], env=env, log=log
        ),
    ]
    try:
        _wait(
            lambda: (
                log.read_text().count("bookings.release_due_reservations[") >= 2
                and log.read_text().count(": nothing to do") >= 2
            ),
            seconds=40,
            what="ran every task and a Beat sweep",
            log=log,
        )
    finally:
        for process in processes:
            _stop(process)
    paid.refresh_from_db()
    unpaid.refresh_from_db()
    assert (paid.status, paid.first_invoice_paid) == (ReservationStatus.CONFIRMED, True)
    assert (unpaid.status, unpaid.reason) == (ReservationStatus.CANCELLED, "first_payment_failed")
    cancelled = OutboxMessage.objects.filter(type="rentezy.booking.rental_cancelled.v1")
    assert list(cancelled.values_list("key", flat=True)) == [str(unpaid.pk)]
    text = log.read_text()
    assert text.count(f"release of reservation {unpaid.pk}: released") == 1
    assert text.count(f"release of reservation {unpaid.pk}: nothing to do") == 1
    assert text.count(f"release of reservation {paid.pk}: nothing to do") == 1
