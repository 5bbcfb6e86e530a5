"""The real Celery worker and Beat of this service (config/celery.py) against
real Redis, the test's PostgreSQL database and localstripe: no eager mode,
no mocks. Beat sends the billing run, the worker runs it and the autopay
charges it sends; a worker killed mid-charge leaves the charge to the
redelivered task, which charges once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from rent import payments, services, stripe_api
from rent.models import Invoice, InvoiceStatus, Lease, Payment, PaymentStatus, StripeCustomer
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.trust import Actor

from tests.conftest import rental_confirmed_data

SERVICE_DIR = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).with_name("celery"))
WORKER = ["worker", "--concurrency", "1", "--without-gossip", "--without-mingle"]

pytestmark = pytest.mark.django_db(transaction=True)


def _celery_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # pytest-django runs on `test_<name>`: the subprocesses resolve the same one.
    env["POSTGRES_DB_PREFIX"] = "test_" + os.environ.get("POSTGRES_DB_PREFIX", "")
    assert connection.settings_dict["NAME"] == env["POSTGRES_DB_PREFIX"] + "rentezy_rent"
    # A queue of this test only: no other worker takes its tasks.
    env["CELERY_QUEUE_PREFIX"] = f"t{uuid.uuid4().hex[:12]}-"
    env.update(extra)
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


def _stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def _wait(condition, *, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never {what}:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


def _autopay_lease_due_today(tenant, landlord) -> tuple[Lease, Invoice]:
    """A lease with autopay and a saved card whose first invoice is due today."""
    today = services.today()
    data = rental_confirmed_data(
        tenant,
        landlord,
        start_date=str(today),
        end_date=str(today + timedelta(days=400)),
    )
    lease = services.lease_create_from_reservation(data=data, on=today)
    Lease.objects.filter(pk=lease.pk).update(autopay=True)
    actor = Actor(user_id=uuid.UUID(tenant.user_id), role="tenant")
    payments.payment_method_attach(actor=actor, stripe_payment_method_id="pm_card_visa")
    invoice = Invoice.objects.get(lease=lease, is_first=True)
    assert invoice.due_date == today
    return lease, invoice


def _succeeded_intents(tenant) -> list[str]:
    customer = StripeCustomer.objects.get(tenant_id=tenant.user_id).stripe_customer_id
    listed = stripe_api.client().v1.payment_intents.list(params={"limit": 100})
    return [
        i.id
        for i in listed.auto_paging_iter()
        if i.customer == customer and i.status == "succeeded"
    ]


def test_beat_sends_the_billing_run_and_the_worker_charges_autopay_once(tenant, landlord, tmp_path):
    lease, invoice = _autopay_lease_due_today(tenant, landlord)
    env = _celery_env(RENT_BILLING_BEAT_SECONDS="1")
    log = tmp_path / "celery.log"
    processes = [
        _start(WORKER, env=env, log=log),
        _start(["beat", "--scheduler", "rentezy_platform.tasks:HeartbeatScheduler"], env=env, log=log),
    ]
    try:

        def paid() -> bool:
            invoice.refresh_from_db()
            return invoice.status == InvoiceStatus.PAID

        _wait(paid, seconds=60, what="paid by autopay", log=log)
        time.sleep(3)  # more runs from Beat: none may charge again
    finally:
        for process in processes:
            _stop(process)
    text = log.read_text()
    assert text.count("rent.billing_run[") >= 2, text[-3000:]
    assert "rent.charge_autopay_invoice[" in text
    assert Payment.objects.filter(invoice=invoice, status=PaymentStatus.SUCCEEDED).count() == 1
    assert len(_succeeded_intents(tenant)) == 1
    assert OutboxMessage.objects.filter(type="rentezy.payment.payment_succeeded.v1").count() == 1


def test_a_worker_killed_mid_charge_leaves_it_to_the_redelivered_task_once(
    tenant, landlord, tmp_path
):
    from rent import tasks

    lease, invoice = _autopay_lease_due_today(tenant, landlord)
    env = _celery_env(CELERY_VISIBILITY_TIMEOUT="5")
    queue = env["CELERY_QUEUE_PREFIX"] + "rent_service"
    log = tmp_path / "worker.log"
    db = connection.settings_dict
    params = dict(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"],
    )
    locker = psycopg.connect(**params)
    watcher = psycopg.connect(**params, autocommit=True)

    def blocked() -> bool:
        row = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
            # (the locking SELECT's text: its FOR UPDATE is past the 1 kB kept here)
            " AND query LIKE 'SELECT \"rent_invoice\".%%'"
        ).fetchone()
        return row[0] == 1

    first = _start(WORKER, env=env, log=log)
    second = None
    try:
        # The test holds the invoice row: the charge waits on it, before claiming the day.
        locker.execute("SELECT id FROM rent_invoice WHERE id = %s FOR UPDATE", [invoice.pk])
        tasks.charge_autopay_invoice.apply_async(
            args=[str(invoice.pk), invoice.due_date.isoformat()], queue=queue
        )
        _wait(blocked, seconds=30, what="blocked on the row lock", log=log)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        locker.rollback()
        invoice.refresh_from_db()
        assert (invoice.status, invoice.autopay_attempts) == (InvoiceStatus.OPEN, 0)
        # kombu redelivers an unacknowledged message past the visibility
        # timeout when a worker connects: start the new one after it.
        time.sleep(6)
        second = _start(WORKER, env=env, log=log)

        def paid() -> bool:
            invoice.refresh_from_db()
            return invoice.status == InvoiceStatus.PAID

        _wait(paid, seconds=40, what="paid by the redelivered task", log=log)
    finally:
        for process in (first, second):
            _stop(process)
        locker.close()
        watcher.close()
    assert invoice.autopay_attempts == 1
    assert Payment.objects.filter(invoice=invoice, status=PaymentStatus.SUCCEEDED).count() == 1
    assert len(_succeeded_intents(tenant)) == 1
    text = log.read_text()
    assert text.count("rent.charge_autopay_invoice[") >= 2, text[-3000:]
