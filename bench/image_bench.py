"""Image upload memory benchmark: property_service's peak memory while
worst-case image uploads arrive in parallel through the real gateway.

    .venv/bin/python bench/image_bench.py [--parallel 8] [--rounds 2]

What runs: the cross-service fixture of tests/conftest.py outside pytest (the
real gateway in front of auth_service and property_service, gunicorn 2
workers x 4 threads as the Procfile runs it) on `bench_img_` databases,
against the infrastructure of `make infra-up`. Twice, with property_service
configured two ways:

- `bounded`: the shipped settings (24 MP cap for PNG/WebP/progressive JPEG,
  52 MP for baseline JPEG, 2 decodes + 1 waiting upload per process, 503
  `busy` beyond). The load: --parallel uploads at once of the largest PNG the
  cap accepts (4898x4898 RGBA, ~100 KB) plus the 7000x7000 PNG of issue 8
  (refused from its header).
- `unbounded`: the limits before issue 8 (50 MP cap, every gunicorn thread
  decoding: PROPERTY_IMAGE_DECODE_CONCURRENCY=8, no queue) with the same
  decoding code. The load: --parallel uploads at once of the 7000x7000 PNG
  (~200 KB, 49 MP), as the issue measured.

Per round: the RSS of the gunicorn master and workers summed, sampled every
10 ms from /proc (baseline before, peak during), the uploads' statuses and
duration, and GET /api/properties/{id} latency through the gateway meanwhile.
Written to bench/results/images.json with the load average before and after.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "bench" / "results" / "images.json"
sys.path.insert(0, str(REPO_ROOT / "tests"))

from conftest import Platform  # noqa: E402
from stats import machine, percentile, write_results  # noqa: E402
from support import property_body, register_account  # noqa: E402

LARGEST_ACCEPTED_SIDE = 4898  # 23.99 MP
UNBOUNDED_ENV = {
    "PROPERTY_IMAGE_MAX_PIXELS": "50000000",
    "PROPERTY_IMAGE_MAX_JPEG_PIXELS": "50000000",
    "PROPERTY_IMAGE_DECODE_CONCURRENCY": "8",
    "PROPERTY_IMAGE_DECODE_QUEUE": "0",
}


def png(side: int, mode: str) -> bytes:
    image = Image.linear_gradient("L").resize((side, side)).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0])
        except (FileNotFoundError, IndexError):
            pass
    return total / 1024


def gunicorn_pids(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children.extend(int(c) for c in (task / "children").read_text().split())
    return [pid, *children]


def round_of_uploads(bench: Platform, owner, property_ids, uploads: list[bytes]) -> dict:
    pids = gunicorn_pids(bench.processes["property"].popen.pid)
    baseline = rss_mib(pids)
    peak = [baseline]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mib(pids))
            done.wait(0.01)

    statuses: list[int] = []
    lock = threading.Lock()

    def upload(index: int, data: bytes) -> None:
        with httpx.Client(base_url=bench.gateway, timeout=120, trust_env=False) as client:
            response = client.post(
                f"/api/properties/{property_ids[index % len(property_ids)]}/images",
                files={"image": ("bench.png", data, "image/png")},
                headers=owner.headers,
            )
        with lock:
            statuses.append(response.status_code)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    threads = [threading.Thread(target=upload, args=(i, d)) for i, d in enumerate(uploads)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    reads: list[float] = []
    with bench.client() as client:
        while any(t.is_alive() for t in threads):
            t0 = time.monotonic()
            client.get(f"/api/properties/{property_ids[0]}").raise_for_status()
            reads.append((time.monotonic() - t0) * 1000)
            time.sleep(0.05)
    for thread in threads:
        thread.join()
    duration = time.monotonic() - started
    done.set()
    sampler.join()
    return {
        "rss_baseline_mib": round(baseline),
        "rss_peak_mib": round(peak[0]),
        "rss_growth_mib": round(peak[0] - baseline),
        "uploads_seconds": round(duration, 2),
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "reads_during": len(reads),
        "read_p50_ms": round(percentile(reads, 50), 1) if reads else None,
        "read_max_ms": round(max(reads), 1) if reads else None,
    }


def run(name: str, env: dict[str, str], uploads: list[bytes], rounds: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"image-bench-{name}-"))
    bench = Platform(root=workdir, base_env={**os.environ, **env}, database_prefix="bench_img_")
    try:
        print(f"image bench [{name}]: starting the platform ...", flush=True)
        bench.require(("auth", "property"))
        with bench.client() as client:
            owner = register_account(client, role="landlord")
            property_ids = []
            for _ in range(rounds * 2):
                response = client.post("/api/properties", json=property_body(title="Bench flat"), headers=owner.headers)
                response.raise_for_status()
                property_ids.append(response.json()["id"])
        results = []
        for r in range(rounds):
            figures = round_of_uploads(bench, owner, property_ids[2 * r : 2 * r + 2], uploads)
            print(f"  round {r + 1}: {figures}", flush=True)
            results.append(figures)
        return {
            "env": env,
            "rounds": results,
            "rss_peak_mib_max": max(r["rss_peak_mib"] for r in results),
            "rss_growth_mib_max": max(r["rss_growth_mib"] for r in results),
        }
    finally:
        bench.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    largest, png_7000 = png(LARGEST_ACCEPTED_SIDE, "RGBA"), png(7000, "RGB")
    results: dict = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
    try:
        results["bounded"] = run("bounded", {}, [largest] * args.parallel + [png_7000], args.rounds)
        results["unbounded"] = run(
            "unbounded", UNBOUNDED_ENV, [png_7000] * args.parallel, args.rounds
        )
    finally:
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    results["setup"] = {
        "parallel_uploads": args.parallel,
        "largest_accepted_png": f"{LARGEST_ACCEPTED_SIDE}x{LARGEST_ACCEPTED_SIDE} RGBA, "
        f"{len(largest)} bytes",
        "png_7000": f"7000x7000 RGB, {len(png_7000)} bytes",
        "services": "gateway (uvicorn), auth/property (gunicorn 2x4)",
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_results(RESULTS, results)
    b, u = results["bounded"], results["unbounded"]
    print(
        f"image bench ({os.cpu_count()} CPUs, load average {results['load_average_before'][0]} "
        f"before, {results['load_average_after'][0]} after)"
    )
    print(
        f"  bounded    peak RSS {b['rss_peak_mib_max']} MiB (+{b['rss_growth_mib_max']}); "
        f"{args.parallel} x largest accepted + the 7000x7000 PNG"
    )
    print(
        f"  unbounded  peak RSS {u['rss_peak_mib_max']} MiB (+{u['rss_growth_mib_max']}); "
        f"{args.parallel} x 7000x7000 PNG, limits before issue 8"
    )


if __name__ == "__main__":
    main()
