"""Search benchmark: 10,000 seeded properties behind the real gateway.

    .venv/bin/python bench/search_bench.py [--properties 10000] [--queries 600]
        [--clients 4] [--writes 60]

What runs: the cross-service fixture of tests/conftest.py outside pytest (the
real gateway in front of auth_service, property_service and search_service,
property_service's outbox relay and search_service's Kafka consumer), on
databases, Kafka topics and a search alias of its own (`bench_` databases,
recreated empty), against the infrastructure of `make infra-up`.

1. Seed: `manage.py seed --count N --no-images` in property_service (the same
   path as every write: rows + outbox events), then the time until the search
   index holds all N documents (the consumer's indexing throughput).
2. Query latency through the gateway, one client, a mixed workload drawn from
   a fixed random seed: full text (some with typos), filters (city, type,
   rent range, bedrooms, amenities, availability), geo radius, every sort,
   deep-ish pages; every answer carries the four facets. The same queries
   are then sent to search_service directly (signed like the gateway signs),
   side by side, so the gateway's share is visible. Then --clients concurrent
   clients for throughput (queries/s) and their latency.
3. Indexing lag: --writes properties created one by one through the gateway
   (a unique word in each title), each polled through the search API every
   10 ms from the moment its 201 arrives until it is found.

Goals (issue 4): query p95 <= 50 ms through the gateway; indexing lag p95
<= 1 s. Writes bench/results/search.json and prints a summary. The machine's
load average is recorded with the figures: on 2 shared cores it matters.
"""

from __future__ import annotations

import argparse
import os
import random
import string
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "bench" / "results" / "search.json"
sys.path.insert(0, str(REPO_ROOT / "tests"))

from conftest import PYTHON, Platform  # noqa: E402
from stats import machine, percentile, write_results  # noqa: E402
from support import register_account  # noqa: E402

QUERY_P95_GOAL_MS = 50.0
LAG_P95_GOAL_MS = 1000.0

WORDS = ["balcony", "garden", "loft", "quiet", "bright", "renovated", "spacious", "cozy", "view"]
TYPOS = ["balcny", "gardn", "spacous", "renovted", "apartmnet"]
TYPES = ["apartment", "house", "studio", "room", "condo", "townhouse"]
AMENITIES = ["parking", "gym", "balcony", "elevator", "washer", "dishwasher", "furnished"]
SORTS = ["relevance", "price_asc", "price_desc", "newest"]


def summary(values_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(values_ms),
        "p50_ms": round(percentile(values_ms, 50), 2),
        "p95_ms": round(percentile(values_ms, 95), 2),
        "p99_ms": round(percentile(values_ms, 99), 2),
        "max_ms": round(max(values_ms), 2),
    }


def engine_count(alias: str) -> int:
    response = httpx.post(
        f"{os.environ['SEARCH_URL']}/{alias}/_count", json={}, timeout=30, trust_env=False
    )
    return response.json().get("count", 0) if response.status_code == 200 else 0


def cities_of_the_seed(client: httpx.Client) -> list[tuple[str, float, float]]:
    """(city, lat, lng) of listed properties, from the API itself."""
    body = client.get("/api/properties", params={"page_size": 100}).json()
    seen: dict[str, tuple[float, float]] = {}
    for item in body["results"]:
        if item.get("latitude") is not None:
            seen.setdefault(item["city"], (float(item["latitude"]), float(item["longitude"])))
    return [(city, lat, lng) for city, (lat, lng) in seen.items()]


def workload(count: int, cities: list[tuple[str, float, float]], rng: random.Random) -> list[dict]:
    queries = []
    for n in range(count):
        kind = n % 6
        params: dict[str, str] = {}
        if kind == 0:
            params["q"] = rng.choice(WORDS)
        elif kind == 1:
            params["q"] = rng.choice(TYPOS)
            params["sort"] = "relevance"
        elif kind == 2:
            params["city"] = rng.choice(cities)[0]
            params["property_type"] = rng.choice(TYPES)
            params["min_bedrooms"] = str(rng.randint(0, 3))
        elif kind == 3:
            low = rng.randrange(500, 2500, 100)
            params.update(min_rent=str(low), max_rent=str(low + rng.randrange(300, 2000, 100)))
            params["amenities"] = ",".join(rng.sample(AMENITIES, rng.randint(1, 2)))
            params["sort"] = rng.choice(["price_asc", "price_desc"])
        elif kind == 4:
            _city, lat, lng = rng.choice(cities)
            params.update(lat=f"{lat:.5f}", lng=f"{lng:.5f}", radius_km=str(rng.choice([2, 5, 10])))
            params["q"] = rng.choice(WORDS)
        else:
            params["sort"] = rng.choice(SORTS)
            params["available_from"] = f"2027-0{rng.randint(1, 9)}-01"
            params["page"] = str(rng.randint(1, 5))
        params["page_size"] = str(rng.choice([10, 20, 50]))
        queries.append(params)
    return queries


def run_queries(base_url: str, queries: list[dict], headers_for=None) -> tuple[list[float], int]:
    """Latencies (ms) of `queries` sent one after the other; failures counted."""
    latencies, failures = [], 0
    with httpx.Client(base_url=base_url, timeout=30, trust_env=False) as client:
        for params in queries:
            request = client.build_request("GET", "/api/search/properties", params=params)
            if headers_for is not None:
                request.headers.update(headers_for(request))
            started = time.perf_counter()
            response = client.send(request)
            body = response.content
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200 or b'"facets"' not in body:
                failures += 1
            latencies.append(elapsed)
    return latencies, failures


def signed_headers(signing_key: str):
    from rentezy_platform.trust import gateway_headers

    def headers_for(request: httpx.Request) -> dict[str, str]:
        path = request.url.raw_path.decode()
        return gateway_headers(key=signing_key, method="GET", path_with_query=path)

    return headers_for


def indexing_lag(client: httpx.Client, owner_headers: dict, writes: int) -> list[float]:
    lags = []
    for n in range(writes):
        word = "".join(random.choices(string.ascii_lowercase, k=14))
        body = {
            "title": f"Benchmark {word} flat",
            "description": "Measured from the write's answer to the first search hit.",
            "property_type": "apartment",
            "address_line1": f"{n + 1} Bench Street",
            "city": "Lisbon",
            "state": "Lisboa",
            "postal_code": "1100-001",
            "country": "PT",
            "latitude": "38.7223",
            "longitude": "-9.1393",
            "bedrooms": 2,
            "bathrooms": "1",
            "area_sqft": 700,
            "monthly_rent": "1200.00",
            "currency": "EUR",
            "deposit": "2400.00",
            "amenities": ["balcony"],
            "available_from": "2027-01-01",
            "status": "listed",
        }
        created = client.post("/api/properties", json=body, headers=owner_headers)
        assert created.status_code == 201, created.text
        written = time.perf_counter()
        while True:
            found = client.get("/api/search/properties", params={"q": word})
            if found.status_code == 200 and found.json()["count"] == 1:
                lags.append((time.perf_counter() - written) * 1000)
                break
            if time.perf_counter() - written > 30:
                raise RuntimeError(f"property {word} not searchable after 30 s")
            time.sleep(0.01)
        # Not a burst, and not in step with the engine's periodic refresh
        # (a fixed rhythm would always land at the same point of its cycle).
        time.sleep(random.uniform(0.1, 0.7))
    return lags


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--properties", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=600)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--writes", type=int, default=60)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="search-bench-"))
    bench = Platform(root=workdir, base_env=dict(os.environ), database_prefix="bench_")
    results: dict = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
    try:
        print(f"search bench: starting the platform (logs in {workdir.name}) ...", flush=True)
        bench.require(("auth", "property", "search"))
        client = bench.client()

        print(f"seeding {args.properties} properties ...", flush=True)
        seeded_at = time.monotonic()
        seed = subprocess.run(
            [PYTHON, "manage.py", "seed", "--count", str(args.properties), "--no-images"],
            cwd=REPO_ROOT / "property_service",
            env=bench.env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if seed.returncode != 0:
            raise RuntimeError(f"seed failed:\n{seed.stdout}\n{seed.stderr}")
        seed_seconds = time.monotonic() - seeded_at
        deadline = time.monotonic() + 1800
        last = -1
        while (indexed := engine_count(bench.search_alias)) < args.properties:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {indexed} of {args.properties} indexed")
            if indexed // 1000 != last // 1000:
                print(f"  indexed {indexed}/{args.properties}", flush=True)
            last = indexed
            time.sleep(0.5)
        indexed_seconds = time.monotonic() - seeded_at
        results["seed"] = {
            "properties": args.properties,
            "seed_command_seconds": round(seed_seconds, 1),
            "all_indexed_seconds": round(indexed_seconds, 1),
            "indexing_rate_per_second": round(args.properties / indexed_seconds, 1),
        }
        print(f"  all {args.properties} indexed after {indexed_seconds:.1f} s", flush=True)

        rng = random.Random(20261127)
        cities = cities_of_the_seed(client)
        queries = workload(args.queries, cities, rng)
        run_queries(bench.gateway, queries[:50])  # warm-up: connections, caches, JIT
        print(f"queries: {args.queries} through the gateway and direct, one client ...", flush=True)
        via_gateway, gateway_failures = run_queries(bench.gateway, queries)
        direct, direct_failures = run_queries(
            bench.url("search"), queries, signed_headers(bench.env["GATEWAY_SIGNING_KEY"])
        )

        print(f"queries: {args.clients} concurrent clients ...", flush=True)
        concurrent: list[float] = []
        concurrent_failures = [0]
        lock = threading.Lock()

        def client_loop(offset: int) -> None:
            mine = queries[offset :: args.clients]
            latencies, failed = run_queries(bench.gateway, mine)
            with lock:
                concurrent.extend(latencies)
                concurrent_failures[0] += failed

        started = time.perf_counter()
        threads = [threading.Thread(target=client_loop, args=(c,)) for c in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        concurrent_seconds = time.perf_counter() - started

        gateway_summary = summary(via_gateway)
        results["queries"] = {
            "workload": "1/6 each: text, text with typos, city+type+bedrooms, rent range+"
            "amenities+price sort, geo radius+text, sort+availability+page 1-5; facets always",
            "gateway_one_client": gateway_summary,
            "direct_one_client": summary(direct),
            "gateway_p50_over_direct_p50": round(
                percentile(via_gateway, 50) / percentile(direct, 50), 2
            ),
            "gateway_concurrent": {
                "clients": args.clients,
                "queries_per_second": round(len(concurrent) / concurrent_seconds, 1),
                **summary(concurrent),
            },
            "failures": {
                "gateway": gateway_failures,
                "direct": direct_failures,
                "concurrent": concurrent_failures[0],
            },
            "goal_p95_ms": QUERY_P95_GOAL_MS,
            "goal_met": gateway_summary["p95_ms"] <= QUERY_P95_GOAL_MS,
        }

        print(f"indexing lag: {args.writes} writes through the gateway ...", flush=True)
        landlord = register_account(client, role="landlord")
        lags = indexing_lag(client, landlord.headers, args.writes)
        lag_summary = summary(lags)
        results["indexing_lag"] = {
            **lag_summary,
            "poll_interval_ms": 10,
            "goal_p95_ms": LAG_P95_GOAL_MS,
            "goal_met": lag_summary["p95_ms"] <= LAG_P95_GOAL_MS,
        }
        client.close()
    finally:
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        bench.stop()
        bench.remove_session_data()

    results["setup"] = {
        "services": "gateway (uvicorn), auth/property/search (gunicorn 2x4), property relay, "
        "search consumer; OpenSearch single node",
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_results(RESULTS, results)

    q, lag, s = results["queries"], results["indexing_lag"], results["seed"]
    g, d, c = q["gateway_one_client"], q["direct_one_client"], q["gateway_concurrent"]
    print(
        f"search bench ({os.cpu_count()} CPUs, load average {results['load_average_before'][0]} before)"
    )
    print(
        f"  seed       {s['properties']} properties indexed in {s['all_indexed_seconds']} s "
        f"({s['indexing_rate_per_second']}/s)"
    )
    print(
        f"  queries    gateway p50 {g['p50_ms']} ms, p95 {g['p95_ms']} ms; direct p50 {d['p50_ms']} "
        f"ms, p95 {d['p95_ms']} ms (goal p95 <= {QUERY_P95_GOAL_MS:.0f} ms via gateway: "
        f"{'met' if q['goal_met'] else 'NOT met'})"
    )
    print(
        f"  concurrent {c['clients']} clients: {c['queries_per_second']} queries/s, "
        f"p50 {c['p50_ms']} ms, p95 {c['p95_ms']} ms; failures {q['failures']}"
    )
    print(
        f"  lag        write to searchable p50 {lag['p50_ms']} ms, p95 {lag['p95_ms']} ms "
        f"(goal p95 <= {LAG_P95_GOAL_MS:.0f} ms: {'met' if lag['goal_met'] else 'NOT met'})"
    )
    print(f"  results    {RESULTS.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
