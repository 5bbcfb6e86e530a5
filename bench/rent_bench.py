"""Rent benchmark: the monthly billing run for 10,000 leases, end to end,
against localstripe.

    .venv/bin/python bench/rent_bench.py [--leases 10000] [--tenants 10000]
        [--concurrency 2]

What runs: the cross-service fixture of tests/conftest.py outside pytest (the
real gateway under uvicorn in front of rent_service under gunicorn, with
rent_service's outbox relay and Kafka consumer), on a database of its own
(`bench_` after any POSTGRES_DB_PREFIX, recreated empty) with Kafka topics of
its own; rent_service's real Celery worker (prefork, --concurrency as in the
Procfile: 2) on a Redis queue of its own (the run's prefix); localstripe (make infra-up) as
Stripe, its signed webhooks registered to this run's gateway.

Set-up (not measured): --tenants tenants each get a Stripe customer and a
saved `pm_card_visa` (rent.payments.payment_method_attach, as the API does);
--leases leases are created with rent.services.lease_create_from_reservation
(what the rental_confirmed consumer calls), spread over the tenants,
starting on the 1st of next month (due day 1, autopay on), and their first
invoice (deposit + first month) is marked paid, so the run below is an
ordinary month's.

Measured, each by sending the Celery task `rent.billing_run` with its date
(what Beat sends once a day) to the worker and polling the database every
50 ms:

1. issue: the run on the day the next month's invoices are due to be issued
   (14 days ahead of the 1st): from the send until every lease has its
   invoice: invoices issued per second. Then until the relay has published
   every `invoice_issued` event to Kafka.
2. charge: the run on the 1st: it sends one `rent.charge_autopay_invoice`
   task per invoice (and the due-today reminders); from the send until every
   invoice is `paid`: invoices charged per second (a PaymentIntent created and
   confirmed at localstripe, the payment applied, `payment_succeeded` in the
   outbox), then until localstripe's signed `payment_intent.succeeded`
   webhooks have all been verified and recorded by rent_service through the
   gateway (localstripe waits 1 s before each).

Afterwards the figures are checked, not trusted: exactly one succeeded
payment per invoice, the amounts summing to leases x rent, no late fee, one
PaymentIntent per payment. Per phase: CPU seconds of the Celery worker,
localstripe, rent_service (web), its relay, and the machine's busy share.
Written to bench/results/rent.json with the load average before and after.
Nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "bench" / "results" / "rent.json"
RENT_DIR = REPO_ROOT / "rent_service"
RENT_MINOR = 150_000
DEPOSIT_MINOR = 300_000
POLL = 0.05


def month_first(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# --- the set-up, run inside rent_service's Django (a subprocess) ----------------------


def django_setup(leases: int, tenants: int, start: str) -> None:
    """Runs with cwd=rent_service: customers, cards, leases, first invoices paid."""
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from django.db.models import F
    from rent import payments, services
    from rent.models import Invoice, InvoiceStatus
    from rentezy_platform.trust import Actor

    tenant_ids = [uuid.uuid4() for _ in range(tenants)]

    def card(tenant_id: uuid.UUID) -> None:
        try:
            payments.payment_method_attach(
                actor=Actor(user_id=tenant_id, role="tenant"),
                stripe_payment_method_id="pm_card_visa",
            )
        finally:
            connection.close()

    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        for n, _ in enumerate(pool.map(card, tenant_ids), 1):
            if n % 1000 == 0:
                print(f"  cards saved: {n}/{tenants}", flush=True)
    print(f"  {tenants} customers with a card in {time.monotonic() - started:.1f}s", flush=True)

    landlords = [uuid.uuid4() for _ in range(max(1, leases // 20))]
    begins = date.fromisoformat(start)
    started = time.monotonic()
    for n in range(leases):
        services.lease_create_from_reservation(
            data={
                "reservation_id": str(uuid.uuid4()),
                "property_id": str(uuid.uuid4()),
                "property_title": f"Benchmark flat {n}",
                "tenant_id": str(tenant_ids[n % tenants]),
                "landlord_id": str(landlords[n % len(landlords)]),
                "start_date": str(begins),
                "end_date": str(begins.replace(year=begins.year + 1)),
                "monthly_rent_minor": RENT_MINOR,
                "deposit_minor": DEPOSIT_MINOR,
                "currency": "EUR",
            },
            on=begins - timedelta(days=20),
        )
        if (n + 1) % 1000 == 0:
            print(f"  leases: {n + 1}/{leases}", flush=True)
    print(f"  {leases} leases in {time.monotonic() - started:.1f}s", flush=True)
    from rent.models import Lease

    Lease.objects.update(autopay=True)
    Invoice.objects.filter(is_first=True).update(
        status=InvoiceStatus.PAID, amount_paid_minor=F("amount_minor") + F("late_fee_minor")
    )


# --- the measuring side ----------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leases", type=int, default=10_000)
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument(
        "--concurrency", type=int, default=2, help="Celery worker processes (Procfile: 2)"
    )
    parser.add_argument("--django-setup", metavar="START", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.django_setup:
        django_setup(args.leases, min(args.tenants, args.leases), args.django_setup)
        return

    import psycopg
    from celery import Celery

    sys.path.insert(0, str(REPO_ROOT / "tests"))
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    from booking_bench import cpu_times
    from conftest import PYTHON, Platform
    from gateway_bench import tree_cpu_seconds
    from stats import machine, write_results

    workdir = Path(tempfile.mkdtemp(prefix="rent-bench-"))
    bench = Platform(
        root=workdir,
        base_env=dict(os.environ),
        database_prefix=os.environ.get("POSTGRES_DB_PREFIX", "") + "bench_",
    )
    env = bench.env
    conninfo = {
        "host": env["POSTGRES_HOST"],
        "port": int(env.get("POSTGRES_PORT", "5432")),
        "user": env["POSTGRES_USER"],
        "password": env["POSTGRES_PASSWORD"],
        "dbname": bench.database_prefix + "rentezy_rent",
        "autocommit": True,
    }
    today = date.today()
    start = month_first(today, 1)
    second = month_first(today, 2)
    issue_day = second - timedelta(days=int(env.get("RENT_INVOICE_LEAD_DAYS", "14")))
    period = second.isoformat()  # the month's first day
    results: dict = {
        "machine": machine(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "settings": {**vars(args), "lease_start": str(start), "billed_period": period},
        "phases": {},
    }
    celery = Celery(broker=env.get("CELERY_BROKER_URL", env["REDIS_URL"]))
    queue = env["CELERY_QUEUE_PREFIX"] + "rent_service"  # the Platform's own prefix
    localstripe_pid = int((REPO_ROOT / ".data" / "run" / "localstripe.pid").read_text().split()[0])

    def one(conn, sql: str, *params) -> int:
        return int(conn.execute(sql, params).fetchone()[0])

    try:
        print(f"rent bench: starting the platform (logs in {workdir}) ...", flush=True)
        bench.require(("auth", "rent"))
        bench._start_worker(
            "rent-celery-worker",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                str(args.concurrency),
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=RENT_DIR,
            env=env,
        )
        worker = bench.workers["rent-celery-worker"]
        print(f"set-up: {args.tenants} cards, {args.leases} leases ...", flush=True)
        subprocess.run(
            [
                PYTHON,
                str(Path(__file__).resolve()),
                "--leases",
                str(args.leases),
                "--tenants",
                str(args.tenants),
                "--django-setup",
                str(start),
            ],
            cwd=RENT_DIR,
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING"},
            check=True,
            timeout=3600,
        )
        pids = {
            "celery_worker": [worker.popen.pid],
            "localstripe": [localstripe_pid],
            "rent_web": [bench.processes["rent"].popen.pid],
            "rent_relay": [bench.workers["rent-outbox_relay"].popen.pid],
        }

        def cpu() -> dict[str, float]:
            return {name: tree_cpu_seconds(p) for name, p in pids.items()}

        with psycopg.connect(**conninfo) as conn:
            n = args.leases
            assert one(conn, "SELECT count(*) FROM rent_lease") == n

            def phase(name: str, on: date, done_sql: str, then: dict[str, str]) -> None:
                print(f"==> {name}: rent.billing_run(on={on}) ...", flush=True)
                cpu0, busy0, load0 = cpu(), cpu_times(), os.getloadavg()
                t0 = time.monotonic()
                celery.send_task("rent.billing_run", kwargs={"on": str(on)}, queue=queue)
                marks: dict[str, float] = {}
                deadline = t0 + 3600
                for mark, sql in {"done": done_sql, **then}.items():
                    while one(conn, sql) < n:
                        if time.monotonic() > deadline or worker.popen.poll() is not None:
                            raise RuntimeError(f"{name}: {mark} never reached")
                        time.sleep(POLL)
                    marks[mark] = time.monotonic() - t0
                cpu1, busy1 = cpu(), cpu_times()
                figures = {
                    "seconds": round(marks["done"], 2),
                    "per_second": round(n / marks["done"], 1),
                    **{f"{m}_seconds": round(s, 2) for m, s in marks.items() if m != "done"},
                    **{f"{m}_per_second": round(n / s, 1) for m, s in marks.items() if m != "done"},
                    "cpu_ms_per_invoice": {
                        k: round((cpu1[k] - cpu0[k]) * 1000 / n, 2) for k in cpu0
                    },
                    "machine_busy_share": round(
                        (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]), 2
                    ),
                    "load_average_at_start": [round(x, 2) for x in load0],
                }
                results["phases"][name] = figures
                print(f"    {json.dumps(figures)}", flush=True)

            phase(
                "issue",
                issue_day,
                f"SELECT count(*) FROM rent_invoice WHERE period = '{period}'",
                {
                    "published": f"SELECT {n} - count(*) FROM outbox_outboxmessage "
                    "WHERE sent_at IS NULL"
                },
            )
            phase(
                "charge",
                second,
                f"SELECT count(*) FROM rent_invoice WHERE period = '{period}' AND status = 'paid'",
                {
                    "webhooks": "SELECT count(*) FROM rent_stripeevent "
                    "WHERE type = 'payment_intent.succeeded'"
                },
            )

            checks = {
                "invoices_in_period": one(
                    conn, "SELECT count(*) FROM rent_invoice WHERE period = %s", period
                ),
                "succeeded_payments": one(
                    conn,
                    "SELECT count(*) FROM rent_payment p JOIN rent_invoice i ON i.id = p.invoice_id "
                    "WHERE i.period = %s AND p.status = 'succeeded'",
                    period,
                ),
                "invoices_with_two_successes": one(
                    conn,
                    "SELECT count(*) FROM (SELECT invoice_id FROM rent_payment "
                    "WHERE status = 'succeeded' GROUP BY invoice_id HAVING count(*) > 1) x",
                ),
                "charged_minor": one(
                    conn,
                    "SELECT coalesce(sum(p.amount_minor), 0) FROM rent_payment p "
                    "JOIN rent_invoice i ON i.id = p.invoice_id "
                    "WHERE i.period = %s AND p.status = 'succeeded'",
                    period,
                ),
                "late_fee_minor": one(
                    conn, "SELECT coalesce(sum(late_fee_minor), 0) FROM rent_invoice"
                ),
                "distinct_payment_intents": one(
                    conn,
                    "SELECT count(DISTINCT stripe_payment_intent_id) FROM rent_payment p "
                    "JOIN rent_invoice i ON i.id = p.invoice_id WHERE i.period = %s",
                    period,
                ),
            }
            expected = {
                "invoices_in_period": n,
                "succeeded_payments": n,
                "invoices_with_two_successes": 0,
                "charged_minor": n * RENT_MINOR,
                "late_fee_minor": 0,
                "distinct_payment_intents": n,
            }
            results["checks"] = {
                k: {"found": v, "expected": expected[k], "ok": v == expected[k]}
                for k, v in checks.items()
            }
    finally:
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        bench.stop()
        bench.remove_session_data()
    write_results(RESULTS, results)
    print(
        f"\nrent bench ({args.leases} leases, load average before "
        f"{results['load_average_before']}, after {results['load_average_after']}):"
    )
    for name, f in results["phases"].items():
        extra = ", ".join(
            f"{k.removesuffix('_per_second')} {v}/s"
            for k, v in f.items()
            if k.endswith("_per_second")
        )
        print(f"  {name:7} {f['per_second']:8.1f} invoices/s ({f['seconds']} s; then {extra})")
    bad = [k for k, v in results.get("checks", {}).items() if not v["ok"]]
    print("  checks: " + ("all hold" if not bad else f"WRONG: {bad}"))
    print(f"  written to {RESULTS.relative_to(REPO_ROOT)}")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
