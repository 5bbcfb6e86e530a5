"""bench/REPORT.md, bench/results/latest.json and bench/load_steps.png from
the results every benchmark of `make bench` wrote (bench/results/*.json).

    .data/tools/locust/bin/python bench/report.py   # scripts/bench.sh runs it last

Each benchmark's figures appear with the machine and the load average it ran
at; every goal a benchmark states (`{goal, value, met}`, `goal_*`/`goal_met`)
is listed beside its figure; the load steps are plotted. Nothing here
measures anything: it only reads what the benchmarks measured, side by side
in their own runs."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
REPORT = ROOT / "bench" / "REPORT.md"
PLOT = ROOT / "bench" / "load_steps.png"
ORDER = ["gateway", "gateway_stack", "booking", "outbox", "search", "realtime", "rent", "images", "load"]
TITLES = {
    "gateway": "API gateway vs direct, vs nginx (gateway_bench.py)",
    "gateway_stack": "The gateway on the dev stack vs nginx, with its py-spy profile "
    "(gateway_stack_bench.py)",
    "booking": "Bookings through the gateway, 64 clients (booking_bench.py)",
    "outbox": "Outbox relay and consumer (outbox_bench.py)",
    "search": "Search through the gateway (search_bench.py)",
    "realtime": "Notifications and chat over WebSockets (realtime_bench.py)",
    "rent": "Rent billing and card charges, 10,000 leases (rent_bench.py)",
    "images": "Image uploads under memory bounds (image_bench.py)",
    "load": "Realistic mix, stepped load (load_bench.py)",
}
# Goals stated by an issue but not written into a benchmark's own results.
EXTRA_GOALS = {
    "realtime": [
        ("notification_latency.p95_ms", "<=", 250),
        ("chat.round_trip.p95_ms", "<=", 100),
    ],
}
METRIC_HINTS = ("per_second", "_ms", "vs_", "ratio", "rate", "p50", "p95", "p99")


def dig(data, path: str):
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def goals(data, prefix: str = "") -> list[tuple[str, str, object, object, bool]]:
    """(path, comparison, goal, value, met) for every goal in a result."""
    found = []
    if isinstance(data, dict):
        if {"goal", "value", "met"} <= set(data):
            found.append((prefix, "", data["goal"], data["value"], bool(data["met"])))
        elif "goal_met" in data:
            for key, goal in data.items():
                if key.startswith("goal_") and key != "goal_met":
                    metric = key.removeprefix("goal_")
                    # The figure sits beside the goal, or in the one sub-result
                    # it is about (search: the gateway at one client).
                    where = metric
                    value = data.get(metric)
                    if value is None:
                        for name, sub in data.items():
                            if isinstance(sub, dict) and metric in sub and "gateway" in name:
                                where, value = f"{name}.{metric}", sub[metric]
                                break
                    found.append((f"{prefix}.{where}".strip("."), "", goal, value,
                                  bool(data["goal_met"])))  # fmt: skip
        for key, value in data.items():
            if key != "goals" or not found:
                found += goals(value, f"{prefix}.{key}".strip("."))
    return found


def headline(data, prefix: str = "", depth: int = 0) -> list[tuple[str, object]]:
    """The figures worth reading: throughputs, latencies, ratios (3 levels deep)."""
    rows = []
    if isinstance(data, dict) and depth <= 3:
        for key, value in data.items():
            path = f"{prefix}.{key}".strip(".")
            if key in ("machine", "settings", "rounds", "goals", "endpoints", "steps"):
                continue
            if isinstance(value, dict):
                rows += headline(value, path, depth + 1)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                if any(h in key for h in METRIC_HINTS):
                    rows.append((path, value))
    return rows


def load_of(data: dict) -> str:
    for path in ("machine.load_average", "load_average_before", "load_average_at_start"):
        value = dig(data, path)
        if value:
            after = data.get("load_average_after")
            return f"{value}" + (f" → after {after}" if after else "")
    return "not recorded"


def plot(load: dict) -> bool:
    steps = load.get("steps") or []
    if not steps:
        return False
    users = [s["users"] for s in steps]
    fig, left = plt.subplots(figsize=(8, 4.5), dpi=110)
    left.plot(users, [s["requests_per_second"] for s in steps], "o-", color="#1f6feb",
              label="requests/s")  # fmt: skip
    left.set_xlabel("concurrent users")
    left.set_ylabel("requests / s", color="#1f6feb")
    left.set_xscale("log", base=2)
    left.set_xticks(users, [str(u) for u in users])
    right = left.twinx()
    for key, style in (("p50_ms", "s--"), ("p95_ms", "^--"), ("p99_ms", "v--")):
        right.plot(users, [s[key] for s in steps], style, label=key.replace("_ms", ""))
    right.set_ylabel("latency (ms)")
    saturation = load.get("saturation_users")
    if saturation:
        left.axvline(saturation, color="grey", linestyle=":", label="saturation")
    lines = left.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    left.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize=8)
    left.set_title("RentEzy through the gateway: stepped load (bench/load_bench.py)")
    fig.tight_layout()
    fig.savefig(PLOT)
    return True


def main() -> int:
    results = {p.stem: json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))
               if p.stem != "latest"}  # fmt: skip
    if not results:
        print("no results in bench/results/: run `make bench` first", file=sys.stderr)
        return 1
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()  # fmt: skip
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = {"cpus": os.cpu_count(), "platform": platform.platform(),
               "python": platform.python_version()}  # fmt: skip
    latest = {"generated": generated, "commit": commit, "machine": machine, "results": results}
    (RESULTS / "latest.json").write_text(json.dumps(latest, indent=2) + "\n")

    lines = [
        "# RentEzy benchmark report",
        "",
        f"Generated {generated} by `make bench` (bench/report.py) from commit `{commit}`, "
        f"on {machine['cpus']} CPUs ({machine['platform']}, Python {machine['python']}). "
        "Every figure below comes from that run; ratios were measured side by side in the "
        "same run. The machine is shared and noisy: each benchmark's load average is given "
        "beside it. Raw figures: `bench/results/latest.json`.",
        "",
        "## Goals",
        "",
        "| benchmark | figure | goal | measured | met |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in [n for n in ORDER if n in results] + [n for n in results if n not in ORDER]:
        data = results[name]
        for path, _, goal, value, met in goals(data):
            lines.append(f"| {name} | `{path}` | {goal} | {value} | {'yes' if met else '**no**'} |")
        for path, comparison, goal in EXTRA_GOALS.get(name, []):
            value = dig(data, path)
            if value is None:
                continue
            met = value <= goal if comparison == "<=" else value >= goal
            lines.append(f"| {name} | `{path}` | {comparison} {goal} | {value} | "
                         f"{'yes' if met else '**no**'} |")  # fmt: skip
    if "load" in results and plot(results["load"]):
        lines += ["", "## Stepped load", "", f"![load steps]({PLOT.name})", ""]
        lines += ["| users | requests/s | p50 ms | p95 ms | p99 ms | errors |",
                  "| ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
        for s in results["load"]["steps"]:
            lines.append(f"| {s['users']} | {s['requests_per_second']} | {s['p50_ms']} | "
                         f"{s['p95_ms']} | {s['p99_ms']} | {s['error_rate']:.2%} |")  # fmt: skip
        saturation = results["load"].get("saturation_users")
        lines += ["", (f"Saturation at {saturation} users (throughput grew by less than 10 % "
                       "at the next step)" if saturation else
                       "Saturation not reached within these steps") +
                  f"; peak {results['load'].get('peak_requests_per_second')} requests/s."]  # fmt: skip
    for name in [n for n in ORDER if n in results] + [n for n in results if n not in ORDER]:
        data = results[name]
        lines += ["", f"## {TITLES.get(name, name)}", "", f"Load average: {load_of(data)}.", ""]
        rows = headline(data)[:40]
        if rows:
            lines += ["| figure | value |", "| --- | ---: |"]
            lines += [f"| `{path}` | {value} |" for path, value in rows]
        profile = data.get("profile")
        if profile:
            lines += ["", f"Where the gateway's CPU goes (py-spy, {profile['samples']} samples "
                      "of the gateway process under the authenticated load):", "",
                      "| part of the request path | share |", "| --- | ---: |"]  # fmt: skip
            lines += [f"| {part} | {share:.1%} |" for part, share in profile["share_by_part"].items()]
            lines += ["", "| function (own time) | share |", "| --- | ---: |"]
            lines += [f"| `{row['function']}` | {row['share']:.1%} |"
                      for row in profile["top_own_time"][:10]]  # fmt: skip
    REPORT.write_text("\n".join(lines) + "\n")
    print(
        f"wrote {REPORT.relative_to(ROOT)}, {PLOT.relative_to(ROOT)} and bench/results/latest.json"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
