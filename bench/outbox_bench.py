"""Outbox -> Kafka -> consumer benchmark against the real native stack.

    uv run python bench/outbox_bench.py [--burst 5000] [--rate 200] [--duration 15] [--warmup 30] [--writers 2]

Three processes, as in a deployed service: this one writes (state + outbox
row per event, like a request would), the relay runs as `manage.py
outbox_relay` and the consumer as `manage.py consume` (ConsumerRunner through
the inbox, one INSERT per event as its effect), all from the rentezy_platform
test project, on the database `rentezy_bench` (dropped, created and migrated
on every run).

1. Throughput: a burst of N events committed in transactions of 100; events/s
   from the first commit to the last handler call.
2. Latency: one event per transaction at a steady rate, after an unmeasured
   warm-up at the same rate (--warmup s: a freshly restarted broker's JIT
   needs thousands of events); per event, handler time minus the commit time
   carried in its data (`committed_at`, taken just before COMMIT, so the
   figure includes the commit itself); p50/p90/p99/max.

Writes bench/results/outbox.json and prints a summary. Needs
`scripts/infra/up.sh postgres kafka`. The machine's load average is recorded
with the figures: on a shared 2-CPU box it dominates them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stats import machine, percentile, write_results  # bench/ is the script folder: on sys.path

REPO_ROOT = Path(__file__).resolve().parents[1]
LIB_DIR = REPO_ROOT / "libs" / "rentezy_platform"
RESULTS = REPO_ROOT / "bench" / "results" / "outbox.json"
BENCH_DB = "rentezy_bench"
P99_GOAL_MS = 100.0


def setup_django(contracts_dir: Path) -> None:
    sys.path.insert(0, str(LIB_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["PLATFORM_TESTS_DB_NAME"] = BENCH_DB
    os.environ["PLATFORM_TESTS_CONTRACTS_DIR"] = str(contracts_dir)
    os.environ.setdefault("PLATFORM_TESTS_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running child process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)


def infrastructure_cpu_seconds() -> dict[str, float]:
    """CPU time so far of the Kafka broker and of all PostgreSQL processes."""
    totals = {"kafka": 0.0, "postgres": 0.0}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            seconds = process_cpu_seconds(int(proc.name))
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile
        if b"kafka.Kafka" in cmdline:
            totals["kafka"] += seconds
        elif cmdline.startswith(b"postgres") or b"/bin/postgres" in cmdline:
            totals["postgres"] += seconds
    return totals


def steady_writer(enqueue, first: int, step: int, total: int, rate: float, t0: float, ids) -> None:
    """One writer process of phase 2: events first, first+step, ... each in
    its own transaction at its scheduled time t0 + n / rate."""
    from django.db import connection, transaction

    written = []
    try:
        for n in range(first, total, step):
            delay = t0 + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            with transaction.atomic():
                written.append(enqueue(n))
    finally:
        ids.put(written)
        connection.close()


def produce_times(topic: str, expected: int) -> dict[str, float]:
    """Event id -> when the relay handed it to the producer (the record's
    CreateTime, Unix seconds), read back from the topic."""
    import uuid as uuid_module

    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
    from rentezy_platform.kafka.config import bootstrap_servers

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers(),
            "group.id": f"bench-reader-{uuid_module.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=15).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        times: dict[str, float] = {}
        deadline = time.monotonic() + 120
        while len(times) < expected and time.monotonic() < deadline:
            for message in consumer.consume(1000, timeout=1.0):
                if message.error() is None:
                    times[json.loads(message.value())["id"]] = message.timestamp()[1] / 1000
        return times
    finally:
        consumer.close()


def steady_phase(enqueue, writers: int, total: int, rate: float) -> tuple[set[str], float]:
    """`total` events at `rate`/s by `writers` processes; (event ids, achieved rate)."""
    context = multiprocessing.get_context("fork")
    id_queue = context.Queue()
    t0 = time.monotonic() + 0.5  # every writer starts on the same schedule
    processes = [
        context.Process(target=steady_writer, args=(enqueue, w, writers, total, rate, t0, id_queue))
        for w in range(writers)
    ]
    for process in processes:
        process.start()
    ids: set[str] = set()
    for _ in range(writers):
        ids.update(id_queue.get(timeout=total / rate * 4 + 120))
    for process in processes:
        process.join()
    return ids, total / (time.monotonic() - t0)


def recreate_database() -> None:
    import psycopg
    from django.db import connection

    params = dict(connection.get_connection_params())
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    params["dbname"] = "postgres"
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument(
        "--warmup", type=float, default=30.0, help="unmeasured seconds at --rate before phase 2"
    )
    # Two, as property_service and the other WSGI services run: gunicorn with
    # two worker processes (Procfile). More processes than cores only adds
    # context switches on this 2-CPU machine.
    parser.add_argument("--writers", type=int, default=2, help="writer processes in phase 2")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="outbox-bench-"))
    from rentezy_platform.testing import unique_event_type, write_contracts

    event_type = unique_event_type("sample_recorded")
    contracts = write_contracts(
        workdir / "contracts",
        {
            event_type: {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": f"https://schemas.rentezy.dev/events/{event_type}.schema.json",
                "type": "object",
                "required": ["widget_id", "n", "committed_at"],
                "properties": {
                    "widget_id": {"$ref": "common.schema.json#/$defs/uuid"},
                    "n": {"type": "integer"},
                    "committed_at": {"type": "number"},
                },
            }
        },
        base_dir=REPO_ROOT / "contracts" / "events",
    )
    setup_django(contracts)

    from django.core.management import call_command
    from django.db import connection, transaction

    recreate_database()
    call_command("migrate", verbosity=0)

    from rentezy_platform.events import topic_for
    from rentezy_platform.kafka.topics import delete_topics, dlq_topic, ensure_topics
    from rentezy_platform.outbox.models import OutboxMessage
    from rentezy_platform.outbox.services import outbox_enqueue
    from rentezy_platform.testing import start_relay_process, wait_until
    from tests.widgets.models import LatencySample, Widget

    topic = topic_for(event_type)
    ensure_topics([topic], partitions=3)

    def enqueue(n: int) -> str:
        widget = Widget.objects.create(name=f"bench-{n}")
        message = outbox_enqueue(
            type=event_type,
            subject=str(widget.id),
            data={"widget_id": widget.id, "n": n, "committed_at": time.time()},
        )
        return str(message.event_id)

    def handled(ids: set[str]) -> dict[str, tuple[float, float]]:
        rows = LatencySample.objects.filter(event_id__in=ids).values_list(
            "event_id", "committed_at", "handled_at"
        )
        return {event_id: (committed, handled) for event_id, committed, handled in rows}

    manage_py = LIB_DIR / "tests" / "manage.py"
    child_env = {"PLATFORM_TESTS_DB_NAME": BENCH_DB, "PLATFORM_TESTS_CONTRACTS_DIR": str(contracts)}
    relay = start_relay_process(manage_py=manage_py, env=child_env, log_path=workdir / "relay.log")
    consumer_conf = {
        "group_id": "outbox-bench",
        "topics": [topic],
        "handlers": "tests.widgets.handlers.BENCH_HANDLERS",
        "batch_size": 500,
    }
    with open(workdir / "consumer.log", "wb") as consumer_log:
        consumer = subprocess.Popen(
            [sys.executable, str(manage_py), "consume"],
            env={
                **os.environ,
                **child_env,
                "PLATFORM_TESTS_KAFKA_CONSUMER": json.dumps(consumer_conf),
            },
            stdout=consumer_log,
            stderr=subprocess.STDOUT,
        )
    results: dict = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
    infra_before = infrastructure_cpu_seconds()
    try:
        # Warm up: connections, metadata, group join.
        with transaction.atomic():
            warm = {enqueue(-1)}
        wait_until(lambda: len(handled(warm)) == 1, timeout=60, message="warm-up event")

        # 1. Throughput of a burst.
        burst_ids: set[str] = set()
        started = time.time()
        for start in range(0, args.burst, 100):
            with transaction.atomic():
                for n in range(start, min(start + 100, args.burst)):
                    burst_ids.add(enqueue(n))
        enqueued = time.time()
        wait_until(
            lambda: LatencySample.objects.count() == args.burst + 1,
            timeout=600,
            interval=0.05,
            message="burst handled",
        )
        finished = max(h for _, h in handled(burst_ids).values())
        results["throughput"] = {
            "events": args.burst,
            "enqueue_seconds": round(enqueued - started, 3),
            "seconds": round(finished - started, 3),
            "events_per_second": round(args.burst / (finished - started), 1),
        }

        # 2. Latency at a steady rate, one event per transaction, written by
        # several processes (a service has several request workers, each its
        # own process: threads of one process would share its GIL). First an
        # unmeasured warm-up at the same rate: right after a broker restart
        # (the test suite restarts Kafka) its JIT needs some thousand events
        # before latencies settle.
        connection.close()  # the children open their own connections
        expected = args.burst + 1
        warmup_total = int(args.rate * args.warmup)
        if warmup_total:
            steady_phase(enqueue, args.writers, warmup_total, args.rate)
            expected += warmup_total
            wait_until(
                lambda: LatencySample.objects.count() == expected,
                timeout=300,
                interval=0.05,
                message="warm-up events handled",
            )
            connection.close()
        total = int(args.rate * args.duration)
        steady_ids, achieved_rate = steady_phase(enqueue, args.writers, total, args.rate)
        writer_cpu = sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])
        expected += total
        wait_until(
            lambda: LatencySample.objects.count() == expected,
            timeout=300,
            interval=0.05,
            message="steady events handled",
        )
        steady = handled(steady_ids)
        latencies = [(h - c) * 1000 for c, h in steady.values()]
        p99 = percentile(latencies, 99)
        # Where the time goes: commit -> relay produce, produce -> handled.
        produced = produce_times(topic, expected)
        relay_stage = [(produced[i] - c) * 1000 for i, (c, _h) in steady.items() if i in produced]
        consumer_stage = [
            (h - produced[i]) * 1000 for i, (_c, h) in steady.items() if i in produced
        ]
        results["latency"] = {
            "target_rate_per_second": args.rate,
            "writer_processes": args.writers,
            "achieved_rate_per_second": round(achieved_rate, 1),
            "duration_seconds": args.duration,
            "warmup_seconds_unmeasured": args.warmup,
            "events": total,
            "p50_ms": round(percentile(latencies, 50), 2),
            "p90_ms": round(percentile(latencies, 90), 2),
            "p99_ms": round(p99, 2),
            "max_ms": round(max(latencies), 2),
            "mean_ms": round(statistics.fmean(latencies), 2),
            "stages_ms": {
                "commit_to_produce": {
                    "p50": round(percentile(relay_stage, 50), 2),
                    "p99": round(percentile(relay_stage, 99), 2),
                },
                "produce_to_handled": {
                    "p50": round(percentile(consumer_stage, 50), 2),
                    "p99": round(percentile(consumer_stage, 99), 2),
                },
            },
            "goal_p99_ms": P99_GOAL_MS,
            "goal_met": p99 < P99_GOAL_MS,
        }
        results["counts"] = {
            "handled": LatencySample.objects.count(),
            "outbox_unsent": OutboxMessage.objects.filter(sent_at__isnull=True).count(),
        }
        results["cpu_seconds"] = {
            "writers (this process: burst; its children: steady)": round(
                sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) + writer_cpu, 2
            ),
            "relay": process_cpu_seconds(relay.pid),
            "consumer": process_cpu_seconds(consumer.pid),
            **{
                f"{name} (whole run, all clients)": round(seconds - infra_before[name], 2)
                for name, seconds in infrastructure_cpu_seconds().items()
            },
            "events": expected,
        }
    finally:
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        for process in (relay, consumer):
            process.send_signal(signal.SIGTERM)
        relay_exit = relay.wait(timeout=30)
        consumer_exit = consumer.wait(timeout=30)
        delete_topics([topic, dlq_topic(topic)])

    results["setup"] = {
        "relay": "manage.py outbox_relay process (batch 500, LISTEN/NOTIFY, 1 s fallback poll)",
        "consumer": "manage.py consume process (ConsumerRunner, inbox_process + one INSERT per event)",
        "exit_codes": {"relay": relay_exit, "consumer": consumer_exit},
        "producer": "idempotent, acks=all, linger.ms=5, lz4",
        "topic_partitions": 3,
        "database": BENCH_DB,
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_results(RESULTS, results)

    t, lat = results["throughput"], results["latency"]
    print(
        f"outbox bench ({os.cpu_count()} CPUs, load average {results['load_average_before'][0]} before)"
    )
    print(
        f"  burst      {t['events']} events: {t['events_per_second']} events/s outbox-to-handler "
        f"({t['seconds']} s; enqueue alone {t['enqueue_seconds']} s)"
    )
    print(
        f"  latency    {lat['events']} events at {lat['achieved_rate_per_second']}/s: "
        f"p50 {lat['p50_ms']} ms, p90 {lat['p90_ms']} ms, p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms "
        f"(goal p99 < {P99_GOAL_MS:.0f} ms: {'met' if lat['goal_met'] else 'NOT met'})"
    )
    stages = lat["stages_ms"]
    print(
        "  stages     commit->relay produce p50/p99 "
        f"{stages['commit_to_produce']['p50']}/{stages['commit_to_produce']['p99']} ms, "
        "produce->handled p50/p99 "
        f"{stages['produce_to_handled']['p50']}/{stages['produce_to_handled']['p99']} ms"
    )
    print(f"  results    {RESULTS.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
