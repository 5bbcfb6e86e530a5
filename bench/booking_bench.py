"""Booking benchmark: viewing bookings through the real gateway with 64
concurrent tenants, beside the raw SQL decrement rate, in one run.

    .venv/bin/python bench/booking_bench.py [--clients 64] [--per-client 50]
        [--raw-seconds 6] [--no-relay] [--idempotency-key]

What runs: the cross-service fixture of tests/conftest.py outside pytest (the
real gateway under uvicorn in front of auth_service and booking_service,
gunicorn with rentezy_platform.servers' flags, 2 workers x 4 threads), plus
booking_service's outbox relay (as in production: every booking enqueues an
event whose NOTIFY wakes it), on databases of its own (`bench_` after any
POSTGRES_DB_PREFIX, recreated empty), with Kafka topics of its own.

Set-up: one landlord and --clients tenants registered and logged in through
the gateway (each client its own bearer token, validated by the gateway
against auth_service once, then from its cache); the landlord's properties
enter booking_service's projection through services.property_projection_apply
(what the consumer of rentezy.property calls), and the slots are created
through the gateway (1 h each, capacity 500, two days ahead).

Phases (--clients concurrent clients each; a client is one keep-alive
connection of aiohttp in one asyncio loop, so the load generator costs little
CPU; its own CPU time is reported):

1. gateway.hot: POST /api/bookings through the gateway, every client walking
   the same slots in the same order (one booking per client per slot, then
   the next): all clients race for one hot slot row at a time, the issue's
   scenario. --per-client bookings each after 2 unmeasured ones.
2. gateway.spread: the same, each client starting at another slot, so they
   rarely meet on one row: the difference with `hot` is the row lock's cost.
   (gateway.hot_idempotency_key: like 1, each booking with its own key.)
2b. gateway.paced: like 1, but the 64 clients together OFFER a fixed rate
   (--rate, default the goal's 250 bookings/s): client c sends its k-th
   booking at t0 + (k + c/64) * 64/rate, each latency counted from that
   planned moment, not from when the client got round to sending it (so a
   slow answer that delays the next request is charged to it too: no
   coordinated omission, as wrk2 measures).
3. direct.hot: like 1 straight to booking_service with the headers the
   gateway would add (signed the same way): the difference is the gateway's.
4. raw SQL, --clients psycopg connections straight at PostgreSQL, each for
   --raw-seconds on hot slot rows (all connections on one row until it is
   empty, then the next):
   - decrement: the service's conditional UPDATE (autocommit);
   - booking_tx: INSERT the booking row + that UPDATE, one transaction;
   - booking_outbox_tx: plus an INSERT into the outbox table (its trigger
     NOTIFYs the relay): the transaction booking_service used to make;
   - booking_statement: the same three writes as the one statement
     booking_service now sends (autocommit, no BEGIN/COMMIT round trips).

Only 201s count as bookings; every other answer is counted by status and
code. Per phase: bookings/s, p50/p95/p99/max latency, CPU per booking of the
gateway, booking_service, auth_service, the database's backends and the
client, the machine's idle share (/proc/stat), and what the database's
backends were doing (pg_stat_activity sampled every 20 ms: running, waiting
on a lock, idle in a transaction while the service works).

Goals (issue 9): >= 250 bookings/s and p99 < 200 ms through the gateway
with 64 concurrent clients. Printed met / NOT met, never asserted. The
throughput is gateway.hot's (64 clients as fast as they can: the most the
stack sustains); the p99 is gateway.paced's (64 clients offering 250/s).
gateway.hot's own p99 is printed too, but it measures the queue: 64 clients
that each send again the moment they are answered keep 64 bookings in flight,
so their mean latency is 64 / throughput (Little's law: 220 ms at 290/s)
whatever the service does; p99 < 200 ms at that concurrency would take
~450 bookings/s of capacity. Writes bench/results/booking.json with the load
average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import psycopg
import uvloop

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "bench" / "results" / "booking.json"
sys.path.insert(0, str(REPO_ROOT / "tests"))

from conftest import PYTHON, Platform  # noqa: E402
from gateway_bench import tree_cpu_seconds  # noqa: E402
from stats import machine, percentile, write_results  # noqa: E402
from support import register_account  # noqa: E402

GOAL_BOOKINGS_PER_SECOND = 250.0
GOAL_P99_MS = 200.0
WARMUP_PER_CLIENT = 2
CAPACITY = 500
SAMPLE_SECONDS = 0.02


# --- set-up ------------------------------------------------------------------------


def register_many(bench: Platform, count: int, role: str) -> list:
    """`count` accounts registered and logged in through the gateway (argon2
    hashing makes this the slow part: four at a time)."""

    def one(_: int):
        with bench.client() as client:
            return register_account(client, role=role)

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


def project_properties(bench: Platform, owner_id: str, count: int) -> list[str]:
    """Listed properties of `owner_id` in booking_service's projection,
    applied by the service function the rentezy.property consumer calls."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    script = (
        "import json, sys\n"
        "from bookings import services\n"
        "for pid in json.loads(sys.argv[1]):\n"
        "    services.property_projection_apply(data={'property_id': pid, 'version': 1,"
        f" 'owner_id': '{owner_id}', 'status': 'listed', 'title': 'Benchmark flat',"
        " 'monthly_rent_minor': 150000, 'deposit_minor': 300000, 'currency': 'EUR'})\n"
    )
    run = subprocess.run(
        [PYTHON, "-c", f"import django; django.setup(); exec({script!r})", json.dumps(ids)],
        cwd=REPO_ROOT / "booking_service",
        env={**bench.env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if run.returncode != 0:
        raise RuntimeError(f"projection failed:\n{run.stdout}\n{run.stderr}")
    return ids


def create_slots(bench: Platform, landlord, property_id: str, count: int) -> list[str]:
    """`count` consecutive 1-hour slots of capacity CAPACITY, from two days ahead."""
    first = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    ids = []
    with bench.client() as client:
        for n in range(count):
            starts = first + timedelta(hours=n)
            response = client.post(
                "/api/bookings/slots",
                headers=landlord.headers,
                json={
                    "property_id": property_id,
                    "starts_at": starts.isoformat(),
                    "ends_at": (starts + timedelta(hours=1)).isoformat(),
                    "capacity": CAPACITY,
                },
            )
            if response.status_code != 201:
                raise RuntimeError(f"slot: {response.status_code} {response.text}")
            ids.append(response.json()["id"])
    return ids


# --- what the machine and the database do meanwhile ---------------------------------


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class DatabaseSampler:
    """pg_stat_activity of one database every SAMPLE_SECONDS, on a thread:
    how many backends run, wait on a lock, or sit idle in a transaction
    (waiting for the service's next statement), on average."""

    def __init__(self, conninfo: dict, dbname: str) -> None:
        self.conninfo, self.dbname = conninfo, dbname
        self.counts: Counter = Counter()
        self.samples = 0
        self.pids: set[int] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> DatabaseSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        with psycopg.connect(**self.conninfo, dbname="postgres", autocommit=True) as conn:
            while not self._stop.wait(SAMPLE_SECONDS):
                rows = conn.execute(
                    "SELECT pid, state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                    (self.dbname,),
                ).fetchall()
                self.samples += 1
                for pid, state, wait_type, wait_event in rows:
                    self.pids.add(pid)
                    if state == "active":
                        if wait_type == "Lock":
                            self.counts[f"lock_wait:{wait_event}"] += 1
                        elif wait_type in (None, "CPU"):
                            self.counts["running"] += 1
                        else:
                            self.counts[f"active:{wait_type}:{wait_event}"] += 1
                    elif state == "idle in transaction":
                        self.counts["idle_in_transaction"] += 1

    def averages(self) -> dict[str, float]:
        return {
            key: round(value / max(1, self.samples), 2) for key, value in self.counts.most_common()
        }


def backend_cpu(pids: set[int]) -> dict[int, float]:
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


class Meter:
    """CPU per booking of each part, machine idle share and database activity
    over one phase."""

    def __init__(self, bench: Platform, conninfo: dict, dbname: str) -> None:
        self.parts = {
            "gateway": [bench.gateway_process.popen.pid],
            "booking_service": [bench.processes["booking"].popen.pid],
            "auth_service": [bench.processes["auth"].popen.pid],
        }
        if "booking-outbox_relay" in bench.workers:
            self.parts["booking_relay"] = [bench.workers["booking-outbox_relay"].popen.pid]
        self.sampler = DatabaseSampler(conninfo, dbname)

    def __enter__(self) -> Meter:
        self.cpu = {name: tree_cpu_seconds(pids) for name, pids in self.parts.items()}
        self.client_cpu = time.process_time()
        self.machine = cpu_times()
        self.sampler.__enter__()
        self.backends_before = backend_cpu(self.sampler.pids)
        return self

    def __exit__(self, *exc) -> None:
        self.sampler.__exit__()
        self.client_cpu = time.process_time() - self.client_cpu
        busy, total = cpu_times()
        self.machine_busy = (busy - self.machine[0]) / max(1, total - self.machine[1])
        # Every CPU of the machine, whoever used it (Kafka, other work): beside
        # the parts above, what they leave unexplained.
        self.machine_cpu = (busy - self.machine[0]) / os.sysconf("SC_CLK_TCK")
        self.cpu = {
            name: tree_cpu_seconds(pids) - self.cpu[name] for name, pids in self.parts.items()
        }
        after = backend_cpu(self.sampler.pids)
        self.cpu["postgres_backends"] = sum(
            seconds - self.backends_before.get(pid, 0.0) for pid, seconds in after.items()
        )

    def figures(self, done: int) -> dict:
        per = max(1, done)
        return {
            "cpu_ms_per_booking": {
                **{name: round(s * 1000 / per, 3) for name, s in self.cpu.items()},
                "client": round(self.client_cpu * 1000 / per, 3),
            },
            "machine_busy_share": round(self.machine_busy, 3),
            "machine_cpu_ms_per_booking": round(self.machine_cpu * 1000 / per, 3),
            "db_backends_avg": self.sampler.averages(),
        }


# --- load: bookings over HTTP ---------------------------------------------------------


async def _client_loop(
    *,
    base_url: str,
    headers_for,
    slots: list[str],
    start: int,
    warmup: int,
    count: int,
    idempotency: bool,
    latencies: list[float],
    statuses: Counter,
    started: asyncio.Event,
    ready: list[int],
    clients: int,
    origin: list[float],
    interval: float | None,
    offset: float,
) -> None:
    connector = aiohttp.TCPConnector(limit=1, force_close=False)
    async with aiohttp.ClientSession(
        base_url, connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        position = start
        for n in range(warmup + count):
            if n == warmup:
                ready[0] += 1
                if ready[0] == clients:
                    origin.append(time.perf_counter())
                    started.set()
                await started.wait()
            body = {"slot_id": slots[position % len(slots)]}
            headers = headers_for()
            if idempotency:
                headers["Idempotency-Key"] = uuid.uuid4().hex
            t0 = time.perf_counter()
            if interval is not None and n >= warmup:
                # Open loop: this booking's planned moment; late or not, its
                # latency counts from there.
                planned = origin[0] + offset + (n - warmup) * interval
                if planned > t0:
                    await asyncio.sleep(planned - t0)
                t0 = planned
            async with session.post("/api/bookings", json=body, headers=headers) as response:
                payload = await response.read()
                status = response.status
            elapsed = (time.perf_counter() - t0) * 1000
            position += 1
            if n < warmup:
                if status != 201:
                    raise RuntimeError(f"warm-up booking: {status} {payload[:300]!r}")
                continue
            latencies.append(elapsed)
            if status == 201:
                statuses["201"] += 1
            else:
                try:
                    code = json.loads(payload).get("code", "")
                except ValueError:
                    code = ""
                statuses[f"{status} {code}".strip()] += 1


def run_bookings(
    *,
    base_url: str,
    headers_for_client,
    slots: list[str],
    clients: int,
    per_client: int,
    spread: bool,
    idempotency: bool,
    rate: float | None = None,
) -> dict:
    """The bookings of `clients` clients, as fast as each is answered, or
    (`rate`) together offering `rate` bookings/s at evenly spaced moments."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    interval = clients / rate if rate else None

    async def main() -> float:
        started = asyncio.Event()
        ready = [0]
        origin: list[float] = []
        tasks = [
            asyncio.create_task(
                _client_loop(
                    base_url=base_url,
                    headers_for=headers_for_client(c),
                    slots=slots,
                    start=(c * len(slots) // clients) if spread else 0,
                    warmup=WARMUP_PER_CLIENT,
                    count=per_client,
                    idempotency=idempotency,
                    latencies=latencies,
                    statuses=statuses,
                    started=started,
                    ready=ready,
                    clients=clients,
                    origin=origin,
                    interval=interval,
                    offset=(c / clients) * interval if interval else 0.0,
                )
            )
            for c in range(clients)
        ]
        await started.wait()
        await asyncio.gather(*tasks)
        return time.perf_counter() - origin[0]

    # uvloop, as the gateway runs: the load generator's own CPU is part of
    # what this machine spends per booking.
    seconds = uvloop.run(main())
    booked = statuses["201"]
    return {
        **({"offered_per_second": rate} if rate else {}),
        "requests": len(latencies),
        "bookings": booked,
        "seconds": round(seconds, 2),
        "bookings_per_second": round(booked / seconds, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "statuses": dict(statuses),
    }


# --- raw SQL ------------------------------------------------------------------------------

DECREMENT = (
    "UPDATE bookings_viewingslot SET available_slots = available_slots - 1 "
    "WHERE id = %s AND status = 'open' AND starts_at > %s AND available_slots > 0"
)
INSERT_BOOKING = (
    "INSERT INTO bookings_viewingbooking (id, slot_id, property_id, tenant_id, landlord_id, "
    "status, created_at, cancelled_by) VALUES (%s, %s, %s, %s, %s, 'confirmed', now(), '')"
)
# What booking_service sends: the three writes as one statement, autocommit.
BOOKING_STATEMENT = (
    "WITH taken AS (UPDATE bookings_viewingslot SET available_slots = available_slots - 1 "
    "WHERE id = %s AND status = 'open' AND starts_at > %s AND available_slots > 0 "
    "RETURNING id), booking AS (INSERT INTO bookings_viewingbooking (id, slot_id, property_id, "
    "tenant_id, landlord_id, status, created_at, cancelled_by) SELECT %s, id, %s, %s, %s, "
    "'confirmed', now(), '' FROM taken RETURNING id) "
    "INSERT INTO outbox_outboxmessage (event_id, topic, key, type, payload, headers, attempts, "
    "last_error) SELECT %s, 'rawbench.none', %s, 'rentezy.booking.viewing_booked.v1', %s, "
    "'{}', 0, '' FROM booking"
)
INSERT_OUTBOX = (
    "INSERT INTO outbox_outboxmessage (event_id, topic, key, type, payload, headers, attempts, "
    "last_error) VALUES (%s, 'rawbench.none', %s, 'rentezy.booking.viewing_booked.v1', %s, "
    "'{}', 0, '')"
)


def raw_slots(
    conninfo: dict, dbname: str, *, property_id: str, landlord_id: str, first_hour: int, count: int
) -> list:
    """`count` fresh 1-hour slots of CAPACITY on a property of their own, a
    year ahead plus `first_hour` hours (so no two calls overlap)."""
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=365)
    rows = [
        (uuid.uuid4(), property_id, landlord_id, base + timedelta(hours=first_hour + n))
        for n in range(count)
    ]
    with psycopg.connect(**conninfo, dbname=dbname, autocommit=True) as conn:
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO bookings_viewingslot (id, property_id, landlord_id, starts_at, "
                "ends_at, capacity, available_slots, status, created_at) "
                f"VALUES (%s, %s, %s, %s, %s + interval '1 hour', {CAPACITY}, {CAPACITY}, "
                "'open', now())",
                [(*row, row[-1]) for row in rows],
            )
    return [row[0] for row in rows]


def run_raw(
    *,
    conninfo: dict,
    dbname: str,
    mode: str,
    slots: list,
    property_id: str,
    landlord_id: str,
    clients: int,
    seconds: float,
) -> dict:
    """`clients` threads, one connection each, on hot rows: all on slot i
    until it is empty, then slot i+1. psycopg releases the GIL while it
    waits for the server, so the threads do not serialize the load."""
    current = [0]
    lock = threading.Lock()
    stop = threading.Event()
    counts = [0] * clients
    latencies: list[list[float]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    # About the size of a viewing_booked envelope.
    payload = json.dumps({"bench": "raw", "padding": "x" * 600})
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            with psycopg.connect(**conninfo, dbname=dbname, autocommit=True) as conn:
                conn.execute("SELECT 1")
                barrier.wait()
                while not stop.is_set():
                    slot_index = current[0]
                    if slot_index >= len(slots):
                        return
                    slot = slots[slot_index]
                    now = datetime.now(UTC)
                    t0 = time.perf_counter()
                    if mode == "decrement":
                        taken = conn.execute(DECREMENT, (slot, now)).rowcount
                    elif mode == "booking_statement":
                        taken = conn.execute(
                            BOOKING_STATEMENT,
                            (slot, now, uuid.uuid4(), property_id, uuid.uuid4(), landlord_id,
                             uuid.uuid4(), str(slot), payload),
                        ).rowcount  # fmt: skip
                    else:
                        # The service's earlier shape: the booking row, its
                        # event, the decrement last, in one transaction.
                        conn.execute("BEGIN")
                        conn.execute(
                            INSERT_BOOKING,
                            (uuid.uuid4(), slot, property_id, uuid.uuid4(), landlord_id),
                        )
                        if mode == "booking_outbox_tx":
                            conn.execute(INSERT_OUTBOX, (uuid.uuid4(), str(slot), payload))
                        taken = conn.execute(DECREMENT, (slot, now)).rowcount
                        conn.execute("COMMIT" if taken == 1 else "ROLLBACK")
                    if taken == 1:
                        counts[index] += 1
                        latencies[index].append((time.perf_counter() - t0) * 1000)
                    else:
                        with lock:
                            if current[0] == slot_index:
                                current[0] += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    cpu0, t0 = time.process_time(), time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if errors:
        raise RuntimeError(f"raw {mode}: {errors[0]!r}")
    if current[0] >= len(slots):
        raise RuntimeError(f"raw {mode}: ran out of slots; raise the slot count")
    done = sum(counts)
    merged = [x for sub in latencies for x in sub]
    return {
        "operations": done,
        "seconds": round(elapsed, 2),
        "per_second": round(done / elapsed, 1),
        "p50_ms": round(percentile(merged, 50), 2),
        "p99_ms": round(percentile(merged, 99), 2),
        "client_cpu_ms_per_operation": round(cpu * 1000 / max(1, done), 3),
    }


# --- the run ------------------------------------------------------------------------------

HTTP_PHASES = {
    # name: (through the gateway, spread over slots, Idempotency-Key, paced at --rate)
    "gateway.hot": (True, False, False, False),
    "gateway.paced": (True, False, False, True),
    "gateway.spread": (True, True, False, False),
    "gateway.hot_idempotency_key": (True, False, True, False),
    "direct.hot": (False, False, False, False),
}
RAW_MODES = ("decrement", "booking_tx", "booking_outbox_tx", "booking_statement")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument(
        "--per-client", type=int, default=50, help="measured bookings per client and phase"
    )
    parser.add_argument("--raw-seconds", type=float, default=6.0)
    parser.add_argument(
        "--rate",
        type=float,
        default=GOAL_BOOKINGS_PER_SECOND,
        help="bookings/s the clients offer together in gateway.paced",
    )
    parser.add_argument(
        "--phases",
        default=",".join([*HTTP_PHASES, *(f"raw.{m}" for m in RAW_MODES)]),
        help="comma list (default: all)",
    )
    parser.add_argument(
        "--no-relay", action="store_true", help="without booking_service's outbox relay"
    )
    parser.add_argument(
        "--gunicorn-extra",
        default="",
        help="extra gunicorn flags for this run only, after the shared ones (a later flag "
        "wins), e.g. '--threads 8' to try another thread count without changing "
        "rentezy_platform.servers",
    )
    args = parser.parse_args()
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(phases) - set(HTTP_PHASES) - {f"raw.{m}" for m in RAW_MODES}
    if unknown:
        parser.error(f"unknown phases {sorted(unknown)}")

    import conftest

    # booking_service's relay runs beside it, as in the Procfile (a booking
    # commits an outbox row whose NOTIFY wakes it).
    conftest.WORKERS = {
        **conftest.WORKERS,
        "booking": () if args.no_relay else (("outbox_relay",),),
    }
    if args.gunicorn_extra:
        conftest._GUNICORN = [*conftest._GUNICORN, *shlex.split(args.gunicorn_extra)]
    run_id = uuid.uuid4().hex[:8]
    workdir = Path(tempfile.mkdtemp(prefix="booking-bench-"))
    env = {**os.environ, "CELERY_QUEUE_PREFIX": f"bench-{run_id}-"}
    bench = Platform(
        root=workdir,
        base_env=env,
        database_prefix=os.environ.get("POSTGRES_DB_PREFIX", "") + "bench_",
    )
    conninfo = {
        "host": bench.env["POSTGRES_HOST"],
        "port": int(bench.env.get("POSTGRES_PORT", "5432")),
        "user": bench.env["POSTGRES_USER"],
        "password": bench.env["POSTGRES_PASSWORD"],
    }
    dbname = bench.database_prefix + "rentezy_booking"
    results: dict = {
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "settings": vars(args),
        "phases": {},
    }
    try:
        print(f"booking bench: starting the platform (logs in {workdir}) ...", flush=True)
        bench.require(("auth", "booking"))
        print(f"registering 1 landlord and {args.clients} tenants ...", flush=True)
        landlord = register_many(bench, 1, "landlord")[0]
        tenants = register_many(bench, args.clients, "tenant")
        http = [p for p in phases if p in HTTP_PHASES]
        raw = [p.removeprefix("raw.") for p in phases if p.startswith("raw.")]
        properties = project_properties(bench, landlord.id, len(http) + 1)
        raw_property = properties[-1]
        signing_key = bench.env["GATEWAY_SIGNING_KEY"]
        from rentezy_platform.trust import gateway_headers

        def gateway_auth(c: int):
            headers = {"Authorization": f"Bearer {tenants[c].access}"}
            return lambda: dict(headers)

        def direct_auth(c: int):
            tenant = tenants[c]
            return lambda: gateway_headers(
                key=signing_key,
                method="POST",
                path_with_query="/api/bookings",
                user_id=tenant.id,
                role="tenant",
                email=tenant.email,
            )

        for name, property_id in zip(http, properties, strict=False):
            through_gateway, spread, idempotency, paced = HTTP_PHASES[name]
            count = WARMUP_PER_CLIENT + args.per_client
            if spread:
                count = max(count, args.clients)
            slots = create_slots(bench, landlord, property_id, count)
            print(f"{name}: {args.clients} clients x {args.per_client} bookings ...", flush=True)
            load = os.getloadavg()[0]
            with Meter(bench, conninfo, dbname) as meter:
                figures = run_bookings(
                    base_url=bench.gateway if through_gateway else bench.url("booking"),
                    headers_for_client=gateway_auth if through_gateway else direct_auth,
                    slots=slots,
                    clients=args.clients,
                    per_client=args.per_client,
                    spread=spread,
                    idempotency=idempotency,
                    rate=args.rate if paced else None,
                )
            results["phases"][name] = {
                "load_average_1m": round(load, 2),
                **figures,
                **meter.figures(figures["requests"]),
            }
            print(f"  {_line(name, results['phases'][name])}", flush=True)

        for number, mode in enumerate(raw):
            slots = raw_slots(
                conninfo,
                dbname,
                property_id=raw_property,
                landlord_id=landlord.id,
                first_hour=number * 10_000,
                count=400,
            )
            print(
                f"raw.{mode}: {args.clients} connections for {args.raw_seconds} s ...", flush=True
            )
            load = os.getloadavg()[0]
            with Meter(bench, conninfo, dbname) as meter:
                figures = run_raw(
                    conninfo=conninfo,
                    dbname=dbname,
                    mode=mode,
                    slots=slots,
                    property_id=raw_property,
                    landlord_id=landlord.id,
                    clients=args.clients,
                    seconds=args.raw_seconds,
                )
            extra = meter.figures(figures["operations"])
            results["phases"][f"raw.{mode}"] = {
                "load_average_1m": round(load, 2),
                **figures,
                "machine_busy_share": extra["machine_busy_share"],
                "db_backends_avg": extra["db_backends_avg"],
                "postgres_cpu_ms_per_operation": extra["cpu_ms_per_booking"]["postgres_backends"],
            }
            print(f"  {_line('raw.' + mode, results['phases']['raw.' + mode])}", flush=True)
    finally:
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        bench.stop()
        bench.remove_session_data()

    p = results["phases"]
    goals: dict = {}
    if "gateway.hot" in p:
        hot = p["gateway.hot"]
        goals = {
            "bookings_per_second": {
                "phase": "gateway.hot",
                "goal": GOAL_BOOKINGS_PER_SECOND,
                "value": hot["bookings_per_second"],
                "met": hot["bookings_per_second"] >= GOAL_BOOKINGS_PER_SECOND,
            },
        }
        paced = p.get("gateway.paced")
        # The latency goal at the goal's rate; only a run offering it says so.
        if paced and paced["offered_per_second"] >= GOAL_BOOKINGS_PER_SECOND:
            goals["p99_ms"] = {
                "phase": f"gateway.paced ({paced['offered_per_second']:g} bookings/s offered)",
                "goal": GOAL_P99_MS,
                "value": paced["p99_ms"],
                "met": paced["p99_ms"] < GOAL_P99_MS
                and paced["statuses"] == {"201": paced["requests"]},
            }
        ratios = {
            f"gateway_hot_vs_raw_{mode}": round(
                hot["bookings_per_second"] / p[f"raw.{mode}"]["per_second"], 4
            )
            for mode in raw
            if p[f"raw.{mode}"]["per_second"]
        }
        if "direct.hot" in p:
            ratios["gateway_hot_vs_direct_hot"] = round(
                hot["bookings_per_second"] / max(0.1, p["direct.hot"]["bookings_per_second"]), 3
            )
        results["ratios"] = ratios
    results["goals"] = goals
    results["setup"] = {
        "services": "gateway (uvicorn, Procfile flags), auth and booking (gunicorn, "
        "rentezy_platform.servers: 2 workers x 4 gthreads), booking outbox relay"
        + (" (off)" if args.no_relay else "")
        + (f"; gunicorn extra flags {args.gunicorn_extra!r}" if args.gunicorn_extra else ""),
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_results(RESULTS, results)

    print()
    print(
        f"booking bench ({os.cpu_count()} CPUs; load average before {results['load_average_before']}, "
        f"after {results['load_average_after']})"
    )
    for name, figures in p.items():
        print(f"  {_line(name, figures)}")
    for name, ratio in results.get("ratios", {}).items():
        print(f"  ratio {name}: {ratio}")
    for name, goal in goals.items():
        print(
            f"  goal {name} ({goal['phase']}, {args.clients} clients): {goal['value']} "
            f"(goal {'>=' if name == 'bookings_per_second' else '<'} {goal['goal']}) "
            f"{'met' if goal['met'] else 'NOT met'}"
        )
    print(f"  results {RESULTS.relative_to(REPO_ROOT)}")


def _line(name: str, f: dict) -> str:
    if name.startswith("raw."):
        return (
            f"{name:<30} {f['per_second']:>8.1f} ops/s  p50 {f['p50_ms']:.2f} ms  "
            f"p99 {f['p99_ms']:.2f} ms  machine busy {f['machine_busy_share']:.0%}  "
            f"db backends {f['db_backends_avg']}  (load {f['load_average_1m']})"
        )
    cpu = f["cpu_ms_per_booking"]
    errors = {k: v for k, v in f["statuses"].items() if k != "201"}
    offered = f" (offered {f['offered_per_second']:g})" if "offered_per_second" in f else ""
    return (
        f"{name:<30} {f['bookings_per_second']:>8.1f} bookings/s{offered}  p50 {f['p50_ms']} ms  "
        f"p95 {f['p95_ms']} ms  p99 {f['p99_ms']} ms  max {f['max_ms']} ms  "
        f"errors {errors or 'none'}  (load {f['load_average_1m']})\n"
        f"{'':<32}CPU ms/booking {cpu}\n"
        f"{'':<32}machine: busy {f['machine_busy_share']:.0%}, "
        f"{f['machine_cpu_ms_per_booking']} CPU ms per booking (all processes)\n"
        f"{'':<32}db backends {f['db_backends_avg']}"
    )


if __name__ == "__main__":
    main()
