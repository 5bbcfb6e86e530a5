"""The gateway as a new user meets it, on the dev stack: in front of the real
property_service, beside nginx (Debian's, `worker_processes auto` as its own
configuration has it) in front of the same service, and the service called
directly. Then a py-spy profile of the gateway under the same load: where
its time goes.

    .venv/bin/python bench/gateway_stack_bench.py [--rounds 3] [--duration 8] [--connections 32]

What runs: the cross-service fixture of tests/conftest.py outside pytest, as
the Procfile serves the stack (the gateway: uvicorn, one worker, with the
Procfile's flags and Redis; auth_service and property_service: gunicorn, 2
workers x 4 threads), on databases of their own (`bench_`), one listed
property created through the gateway. Every check of the gateway stays on:
token validation (from its cache after the first request), the request
budget spent in Redis on every request (budgets raised out of reach), the
identity signed for the service.

Phases, interleaved --rounds times (each a 2 s warm-up, then --duration),
all `GET /api/properties/{id}` (the property from PostgreSQL, ~1 KB):
- direct: wrk -> property_service, with the headers the gateway would add,
  signed afresh for each run (the service verifies them as it verifies the
  gateway's);
- nginx: wrk -> nginx -> property_service, the same signed headers passed on;
- gateway.anonymous, gateway.authenticated (a tenant's bearer token);
- latency at one connection: direct, nginx, gateway, each paired run after run.

Figures: requests/s, p50/p99, CPU per request of the gateway, nginx and the
service (/proc), the ratios within each round and their medians. On 2 cores
wrk, the proxy and the service share the CPUs: what the proxy burns per
request is taken from the service, so the throughput ratio is the proxy's
CPU cost made visible.

Profile: one more authenticated run with py-spy (tools/locust's environment,
synced by scripts/bench.sh) recording the gateway process at 250 Hz: the
share of its samples under each part of the request path (uvicorn and
httptools, the gateway's own code, the upstream client, Redis, signing,
logging) and the top functions by own time. py-spy slows what it samples: the
profiled run's throughput is not a figure.

Goals (issue 14): gateway >= 0.8x nginx, added p50 at one connection <= 1 ms.
Writes bench/results/gateway_stack.json with the load average per round.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "bench" / "results" / "gateway_stack.json"
sys.path.insert(0, str(REPO_ROOT / "tests"))

from conftest import Platform  # noqa: E402
from gateway_bench import (  # noqa: E402
    _median,
    _span,
    ensure_nginx,
    ensure_wrk,
    measured_run,
    median_of,
    start_nginx,
    stop,
    wrk,
)
from stats import machine, write_results  # noqa: E402
from support import property_body, register_account  # noqa: E402

GOAL_GATEWAY_VS_NGINX = 0.8
GOAL_ADDED_P50_MS = 1.0
PY_SPY = Path(os.environ.get("RENTEZY_DATA_DIR", REPO_ROOT / ".data")) / "tools/locust/bin/py-spy"

# Where a sample's time goes: the first group of this list (most specific
# first) with a frame anywhere in its stack. A sample whose innermost frame is
# the event loop's own run() is uvloop's C code (polling, socket reads and
# writes, callbacks' scheduling): py-spy cannot see inside it.
PROFILE_GROUPS = [
    ("logging", ("logging/__init__.py", "rentezy_platform/logging.py", "gateway/logs.py")),
    ("signing", ("rentezy_platform/trust.py", "hmac.py")),
    ("redis (rate limit, token cache)", ("redis/", "gateway/ratelimit.py")),
    ("token check", ("gateway/tokens.py",)),
    ("upstream client (aiohttp)", ("aiohttp/", "multidict/", "yarl/")),
    ("gateway code", ("gateway/",)),
    ("uvicorn + httptools", ("uvicorn/",)),
]
EVENT_LOOP = "event loop (uvloop, C)"


def profile_groups(raw: str) -> dict:
    """py-spy's raw (collapsed) stacks -> the share of samples per group and
    the top functions by own time."""
    groups: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        own[frames[-1]] += samples
        if "asyncio/runners.py" in frames[-1]:
            group = EVENT_LOOP
        else:
            group = next(
                (g for g, marks in PROFILE_GROUPS if any(m in f for f in frames for m in marks)),
                "other (asyncio, stdlib)",
            )
        groups[group] += samples
    total = max(1, total)
    return {
        "samples": total,
        "share_by_part": {g: round(n / total, 3) for g, n in groups.most_common()},
        "top_own_time": [
            {"function": f, "share": round(n / total, 3)} for f, n in own.most_common(15)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--profile-seconds", type=float, default=10.0)
    args = parser.parse_args()

    binary = ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="gateway-stack-bench-"))
    bench = Platform(
        root=workdir,
        base_env=dict(os.environ),
        database_prefix=os.environ.get("POSTGRES_DB_PREFIX", "") + "bench_",
    )
    results: dict = {
        "machine": {**machine(), "load_average": [round(x, 2) for x in os.getloadavg()]},
        "settings": vars(args),
    }
    nginx: list[subprocess.Popen] = []
    try:
        print(f"gateway stack bench: starting the platform (logs in {workdir}) ...", flush=True)
        bench.require(("auth", "property"))
        with bench.client() as gw:
            landlord = register_account(gw, role="landlord")
            tenant = register_account(gw, role="tenant")
            created = gw.post("/api/properties", json=property_body(), headers=landlord.headers)
            created.raise_for_status()
        path = f"/api/properties/{created.json()['id']}"
        service_url = bench.url("property")
        nginx_url, nginx = start_nginx(
            ensure_nginx(), service_url, workdir / "nginx", workers="auto"
        )
        print(f"==> nginx (worker_processes auto): {nginx_url}", flush=True)
        from rentezy_platform.trust import gateway_headers

        key = bench.env["GATEWAY_SIGNING_KEY"]

        def signed() -> dict[str, str]:
            """What the gateway sends the service for an anonymous GET, signed now."""
            return {
                **gateway_headers(key=key, method="GET", path_with_query=path,
                                  request_id=uuid.uuid4().hex),
                "X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1",
                "X-Forwarded-Proto": "http",
            }  # fmt: skip

        bearer = {"Authorization": f"Bearer {tenant.access}"}
        gateway_pids = [bench.gateway_process.popen.pid]
        nginx_pids = [p.pid for p in nginx]
        service_pids = [bench.processes["property"].popen.pid]

        def measure(url: str, headers, pids: list[int], connections: int) -> dict:
            return measured_run(
                binary, url, headers=headers, connections=connections, threads=1,
                warmup=args.warmup, duration=args.duration,
                cpu_of={"proxy": pids, "service": service_pids},
            )  # fmt: skip

        c = args.connections
        phases = [
            ("direct", f"{service_url}{path}", signed, [], c),
            ("nginx", f"{nginx_url}{path}", signed, nginx_pids, c),
            ("gateway.anonymous", f"{bench.gateway}{path}", dict, gateway_pids, c),
            ("gateway.authenticated", f"{bench.gateway}{path}", lambda: bearer, gateway_pids, c),
            ("direct_c1", f"{service_url}{path}", signed, [], 1),
            ("nginx_c1", f"{nginx_url}{path}", signed, nginx_pids, 1),
            ("gateway_c1", f"{bench.gateway}{path}", lambda: bearer, gateway_pids, 1),
        ]
        rounds = []
        for number in range(1, args.rounds + 1):
            print(f"==> round {number}/{args.rounds}", flush=True)
            figures: dict = {"load_average": [round(x, 2) for x in os.getloadavg()]}
            for name, url, headers, pids, connections in phases:
                figures[name] = measure(url, headers, pids, connections)
                print(f"    {name:<22} {figures[name]['requests_per_second']:>8.0f} req/s  "
                      f"p50 {figures[name]['p50_ms']:.2f} ms", flush=True)  # fmt: skip
            rounds.append(figures)
        results["rounds"] = rounds
        results["medians"] = {name: median_of([r[name] for r in rounds]) for name, *_ in phases}

        def ratio(a: str, b: str) -> list[float]:
            return [r[a]["requests_per_second"] / r[b]["requests_per_second"] for r in rounds]

        def added(a: str) -> list[float]:
            return [r[a]["p50_ms"] - r["direct_c1"]["p50_ms"] for r in rounds]

        ratios = {
            "nginx_vs_direct": ratio("nginx", "direct"),
            "gateway_vs_direct": ratio("gateway.authenticated", "direct"),
            "gateway_vs_nginx": ratio("gateway.authenticated", "nginx"),
            "gateway_anonymous_vs_nginx": ratio("gateway.anonymous", "nginx"),
            "nginx_added_p50_ms": added("nginx_c1"),
            "gateway_added_p50_ms": added("gateway_c1"),
        }
        results["summary"] = {
            **{k: _median(v) for k, v in ratios.items()},
            **{f"{k}_range": _span(v) for k, v in ratios.items()},
        }
        s = results["summary"]
        results["goals"] = {
            "gateway_vs_nginx": {"goal": GOAL_GATEWAY_VS_NGINX, "value": s["gateway_vs_nginx"],
                                 "met": s["gateway_vs_nginx"] >= GOAL_GATEWAY_VS_NGINX},
            "added_p50_ms": {"goal": GOAL_ADDED_P50_MS, "value": s["gateway_added_p50_ms"],
                             "met": s["gateway_added_p50_ms"] <= GOAL_ADDED_P50_MS},
        }  # fmt: skip

        if PY_SPY.exists():
            print(f"==> py-spy: the gateway for {args.profile_seconds:.0f} s", flush=True)
            out = workdir / "gateway.spy.txt"
            spy = subprocess.Popen(
                [str(PY_SPY), "record", "--format", "raw", "--rate", "250", "--nonblocking",
                 "--duration", str(int(args.profile_seconds)), "--output", str(out),
                 "--pid", str(gateway_pids[0])],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(0.5)
            wrk(binary, f"{bench.gateway}{path}", duration=args.profile_seconds, connections=c,
                threads=1, headers=bearer)  # fmt: skip
            spy.wait(60)
            if out.exists():
                results["profile"] = profile_groups(out.read_text())
        else:
            print(f"(no py-spy at {PY_SPY}: run scripts/bench.sh, which syncs it)", flush=True)
    finally:
        stop(nginx)
        bench.stop()
    write_results(RESULTS, results)

    m, s = results["medians"], results["summary"]
    print()
    print(f"load average per round: {[r['load_average'][0] for r in rounds]}")
    for name in ("direct", "nginx", "gateway.anonymous", "gateway.authenticated"):
        print(f"{name:<22} {m[name]['requests_per_second']:>8.0f} req/s  p50 {m[name]['p50_ms']:.2f}"
              f" ms  p99 {m[name]['p99_ms']:.2f} ms  proxy CPU {m[name]['proxy_cpu_ms_per_request']:.3f}"
              f" ms/req  service CPU {m[name]['service_cpu_ms_per_request']:.3f} ms/req")  # fmt: skip
    print(
        f"nginx   {s['nginx_vs_direct']:.2f}x direct, +{s['nginx_added_p50_ms']:.2f} ms p50 at c1"
    )
    print(f"gateway {s['gateway_vs_direct']:.2f}x direct, {s['gateway_vs_nginx']:.2f}x nginx "
          f"(rounds {s['gateway_vs_nginx_range']}), +{s['gateway_added_p50_ms']:.2f} ms p50 at c1")  # fmt: skip
    for name, goal in results["goals"].items():
        print(f"goal {name}: {goal['value']} (goal {goal['goal']}) "
              f"{'met' if goal['met'] else 'NOT met'}")  # fmt: skip
    if "profile" in results:
        p = results["profile"]
        print(f"gateway profile ({p['samples']} samples): " + ", ".join(
            f"{g} {share:.0%}" for g, share in p["share_by_part"].items()))  # fmt: skip
        for row in p["top_own_time"][:8]:
            print(f"    {row['share']:>5.1%}  {row['function']}")


if __name__ == "__main__":
    main()
