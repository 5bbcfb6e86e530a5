"""Load: a realistic mix through the REAL gateway in front of every service,
stepping the number of concurrent users up until throughput stops growing.

    .venv/bin/python bench/load_bench.py [--steps 4,8,16,32,64] [--step-seconds 20]

What runs: the cross-service fixture of tests/conftest.py outside pytest (the
gateway and auth, property, booking, rent, chat, notification and search with
their relays, consumers and Celery workers, on `bench_*` databases and topics
of their own); set-up through the API: 40 properties of 4 landlords with
viewing slots, 40 tenants each with a conversation, a lease and its invoice.
Then locust (tools/locust, its own locked environment) runs bench/locustfile.py
headless: 4 tenants for each landlord; tenants search (the most frequent),
view properties, list slots, book and cancel viewings, read notifications and
invoices, read and send chat messages; landlords read their bookings,
conversations and properties. Each user waits 50-300 ms (tenants) or
100-500 ms (landlords) between requests, like a busy client.

Per step: requests/s, p50/p95/p99 and the error rate (5xx and refused
connections; a 409 for a full slot is an answer, not an error), per endpoint
too; the step where throughput stops growing by 10 % is the saturation point.
Written to bench/results/load.json; bench/report.py plots it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests"))

from conftest import Platform  # noqa: E402
from stats import machine, write_results  # noqa: E402
from support import property_body, register_account, retry_until  # noqa: E402

RESULTS = REPO_ROOT / "bench" / "results" / "load.json"
TOOLS = Path(os.environ.get("RENTEZY_DATA_DIR", REPO_ROOT / ".data")) / "tools"
LOCUST_ENV = TOOLS / "locust"


def ensure_locust() -> Path:
    """locust from tools/locust/uv.lock, in .data/tools/locust (idempotent)."""
    binary = LOCUST_ENV / "bin" / "locust"
    subprocess.run(
        ["python3", "-m", "uv", "sync",
         "--frozen", "--quiet", "--project", str(REPO_ROOT / "tools" / "locust")],
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(LOCUST_ENV)},
        check=True,
    )  # fmt: skip
    return binary


def set_up(gw, *, landlords: int = 4, per_landlord: int = 10, tenants: int = 40) -> dict:
    owners = [register_account(gw, role="landlord") for _ in range(landlords)]
    renters = [register_account(gw, role="tenant") for _ in range(tenants)]
    properties, slot_properties, slots = [], [], []
    start = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=10)
    for n, owner in enumerate(owners):
        for _ in range(per_landlord):
            created = gw.post("/api/properties", json=property_body(), headers=owner.headers)
            assert created.status_code == 201, created.text
            properties.append(created.json()["id"])
        for i in range(3):
            begins = start + timedelta(days=n, hours=2 * i)
            body = {"property_id": properties[-1 - i], "capacity": 500,
                    "starts_at": begins.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "ends_at": (begins + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
            slot = retry_until(
                lambda b=body, o=owner: gw.post(
                    "/api/bookings/slots", json=b, headers=o.headers
                ),  # fmt: skip
                lambda r: r.status_code != 404,
            )
            assert slot.status_code == 201, slot.text
            slots.append(slot.json()["id"])
            slot_properties.append(body["property_id"])
    tenant_rows = []
    for k, renter in enumerate(renters):
        owner = owners[(k // per_landlord) % len(owners)]  # the owner of properties[k]
        conversation = retry_until(
            lambda r=renter, o=owner: gw.post("/api/chat/conversations",
                                              json={"participant_id": o.id}, headers=r.headers),
            lambda r: r.status_code in (200, 201),
        )  # fmt: skip
        assert conversation.status_code in (200, 201), conversation.text
        first = date.today() + timedelta(days=40 + k)
        lease = retry_until(
            lambda r=renter, o=owner, f=first, p=properties[k]: gw.post(
                "/api/rent/leases", headers=o.headers,
                json={"property_id": p, "tenant_id": r.id, "start_date": str(f),
                      "end_date": str(f + timedelta(days=365))}),
            lambda r: r.status_code not in (400, 404),
        )  # fmt: skip
        assert lease.status_code == 201, lease.text
        tenant_rows.append({"id": renter.id, "access": renter.access,
                            "conversation": conversation.json()["id"]})  # fmt: skip
    return {
        "tenants": tenant_rows,
        "landlords": [{"id": o.id, "access": o.access} for o in owners],
        "properties": properties,
        "slot_properties": slot_properties,
        "slots": slots,
    }


def steps_from_history(path: Path, steps: list[int], step_seconds: float) -> list[dict]:
    """locust's per-second history (the `Aggregated` rows), cut into steps; the
    first quarter of each step (users arriving, caches warming) is left out."""
    rows = [r for r in csv.DictReader(path.open()) if r["Name"] == "Aggregated"]
    if not rows:
        return []
    t0 = int(rows[0]["Timestamp"])
    out = []
    for index, users in enumerate(steps):
        lo = t0 + index * step_seconds + step_seconds / 4
        hi = t0 + (index + 1) * step_seconds
        window = [r for r in rows if lo <= int(r["Timestamp"]) < hi]
        if len(window) < 2:
            continue
        first, last = window[0], window[-1]
        seconds = int(last["Timestamp"]) - int(first["Timestamp"]) or 1
        requests = int(last["Total Request Count"]) - int(first["Total Request Count"])
        failures = int(last["Total Failure Count"]) - int(first["Total Failure Count"])

        def pct(name: str, window=window) -> float:
            values = sorted(float(r[name]) for r in window if r[name] not in ("N/A", ""))
            return round(values[len(values) // 2], 1) if values else 0.0

        out.append({
            "users": users,
            "requests_per_second": round(requests / seconds, 1),
            "p50_ms": pct("50%"),
            "p95_ms": pct("95%"),
            "p99_ms": pct("99%"),
            "error_rate": round(failures / max(1, requests), 4),
            "seconds": seconds,
        })  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", default="4,8,16,32,64")
    parser.add_argument("--step-seconds", type=float, default=20.0)
    args = parser.parse_args()
    steps = [int(n) for n in args.steps.split(",")]

    locust = ensure_locust()
    workdir = Path(tempfile.mkdtemp(prefix="load-bench-"))
    bench = Platform(root=workdir, base_env=dict(os.environ), database_prefix="bench_")
    results: dict = {
        "machine": {**machine(), "load_average": [round(x, 2) for x in os.getloadavg()]},
        "steps_users": steps,
        "step_seconds": args.step_seconds,
    }
    try:
        print(f"load bench: starting the platform (logs in {workdir.name}) ...", flush=True)
        bench.require(("auth", "property", "booking", "rent", "chat", "notification", "search"))
        with bench.client() as gw:
            print("set-up through the API ...", flush=True)
            accounts = set_up(gw)
        accounts_file = workdir / "accounts.json"
        accounts_file.write_text(json.dumps(accounts))
        results["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
        print(f"locust: steps {steps} users, {args.step_seconds:.0f} s each", flush=True)
        prefix = workdir / "locust"
        run = subprocess.run(
            [str(locust), "-f", str(REPO_ROOT / "bench" / "locustfile.py"), "--headless",
             "--host", bench.gateway, "--csv", str(prefix), "--csv-full-history",
             "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"],
            env={**os.environ, "RENTEZY_LOAD_ACCOUNTS": str(accounts_file),
                 "RENTEZY_LOAD_STEPS": args.steps,
                 "RENTEZY_LOAD_STEP_SECONDS": str(args.step_seconds)},
            capture_output=True, text=True, timeout=len(steps) * args.step_seconds + 300,
        )  # fmt: skip
        if run.returncode != 0:
            raise RuntimeError(f"locust failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        results["steps"] = steps_from_history(
            Path(f"{prefix}_stats_history.csv"), steps, args.step_seconds
        )
        endpoints = []
        for row in csv.DictReader(Path(f"{prefix}_stats.csv").open()):
            if row["Name"] == "Aggregated":
                continue
            endpoints.append({
                "name": row["Name"], "method": row["Type"],
                "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
            })  # fmt: skip
        results["endpoints"] = sorted(endpoints, key=lambda e: -e["requests"])
        saturation = None
        for before, after in zip(results["steps"], results["steps"][1:], strict=False):
            if after["requests_per_second"] < before["requests_per_second"] * 1.10:
                saturation = before["users"]
                break
        results["saturation_users"] = saturation
        results["peak_requests_per_second"] = max(
            (s["requests_per_second"] for s in results["steps"]), default=0
        )
    finally:
        bench.stop()
        bench.remove_session_data()
    write_results(RESULTS, results)
    print(f"\nload average: before {results['machine']['load_average']}, "
          f"after {results.get('load_average_after')}")  # fmt: skip
    print(f"{'users':>6} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'errors':>7}")
    for s in results["steps"]:
        print(f"{s['users']:>6} {s['requests_per_second']:>8.1f} {s['p50_ms']:>7.1f} "
              f"{s['p95_ms']:>7.1f} {s['p99_ms']:>7.1f} {s['error_rate']:>7.2%}")  # fmt: skip
    print(f"saturation: {results['saturation_users']} users; peak "
          f"{results['peak_requests_per_second']} req/s; results: {RESULTS.relative_to(REPO_ROOT)}")  # fmt: skip


if __name__ == "__main__":
    main()
