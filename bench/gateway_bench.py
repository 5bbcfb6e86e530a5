"""api_gateway benchmark: the gateway against the same upstream called
directly, authenticated against anonymous traffic, the latency the gateway
adds, and daphne against uvicorn. One run, side by side, loopback only.

    .venv/bin/python bench/gateway_bench.py [--rounds 3] [--duration 8] [--connections 32] [--workers 1]
        [--servers uvicorn,daphne] [--baseline OTHER_CHECKOUT/api_gateway]

What runs (all on this machine, 127.0.0.1, bounded by --duration per phase):

- upstream: api_gateway's test upstream (tests/upstream_app.py: Django under
  uvicorn, one worker, with the platform's real GatewayTrustMiddleware
  verifying every signature) answering GET with its JSON echo (~1 KB);
- gateway: config.asgi:application with Redis (rate-limit budgets raised out
  of reach but still spent per request, revocation subscriber on), served by
  uvicorn with GATEWAY_UVICORN_ARGS (the Procfile's flags, `--workers N`) and
  by daphne (N processes sharing one socket); both stay up for the whole run;
- load: wrk (installed from Debian when missing), keep-alive connections.

Phases, each a warm-up of --warmup seconds then --duration measured:
1. direct: wrk -> upstream, with the headers the gateway would send (identity
   signed afresh for each phase, which the service verifies as it verifies
   the gateway's, and the forwarding headers), so the upstream does the same
   work and answers the same bytes either way;
2. gateway, anonymous: GET /api/properties/bench (public);
3. gateway, authenticated: GET /api/bookings/bench with a bearer token (the
   validation cache answers; one validation for the whole run);
4. latency at one connection: through each gateway, each run paired with a
   direct run just before it (the added p50 is the difference within a pair).

--baseline runs another copy of api_gateway/ (say, a worktree of the previous
commit) as a third gateway in the same rounds: before/after figures taken
under the same conditions.

The phases of every server run interleaved, --rounds times, so each round
compares figures taken within a minute of each other; the summary gives the
median over rounds (ratios: the median of each round's ratio) and the range.
CPU per request of the gateway, the upstream and wrk itself comes from
/proc and getrusage: it holds when other work on the machine steals cycles
from the throughput figures, and wrk's share shows it is not the bottleneck.

Goals: gateway >= 0.5x direct; authenticated >= 0.9x anonymous; p50 added
<= 2 ms. Writes bench/results/gateway.json and prints a summary. Needs Redis
(`bash scripts/infra/up.sh redis`). On 2 cores wrk, the gateway and the
upstream share the CPUs: the ratios, not the absolute numbers, are the point.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import runpy
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from stats import machine, write_results  # bench/ is the script folder: on sys.path

REPO_ROOT = Path(__file__).resolve().parents[1]
GATEWAY_DIR = REPO_ROOT / "api_gateway"
RESULTS = REPO_ROOT / "bench" / "results" / "gateway.json"
PYTHON = sys.executable
SIGNING_KEY = "bench-gateway-signing-key-" + "x" * 32

# The gateway's uvicorn flags, as the Procfile serves it: defined once in
# api_gateway/config/server.py (loaded by path: every service's package is
# called `config`).
GATEWAY_UVICORN_ARGS = runpy.run_path(str(GATEWAY_DIR / "config" / "server.py"))["UVICORN_ARGS"]
# Every service's uvicorn trusts no forwarding headers (rentezy_platform.servers).
UNTRUSTING_UVICORN = runpy.run_path(
    str(
        GATEWAY_DIR.parent / "libs" / "rentezy_platform" / "src" / "rentezy_platform" / "servers.py"
    )
)["UNTRUSTING_UVICORN"]


GOAL_GATEWAY_VS_DIRECT = 0.5
GOAL_AUTH_VS_ANON = 0.9
GOAL_ADDED_P50_MS = 2.0
# Against what a new user would put there instead: nginx as a plain reverse
# proxy (no token check, no rate limit, no signing) in front of the same upstream.
GOAL_GATEWAY_VS_NGINX = 0.8
GOAL_ADDED_P50_MS_STRICT = 1.0

NGINX_CONF = """
worker_processes {workers};
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream app {{ server {upstream}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("==> installing wrk (Debian package)", flush=True)
    apt_install("wrk")
    return shutil.which("wrk") or "wrk"


def ensure_nginx() -> str:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).exists():
            return candidate
    print("==> installing nginx (Debian package)", flush=True)
    apt_install("nginx-light")
    return shutil.which("nginx") or "/usr/sbin/nginx"


def apt_install(package: str) -> None:
    """apt-get install, refreshing the package lists first if they are stale."""
    command = ["apt-get", "install", "-y", "-q", package]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(command, stdout=subprocess.DEVNULL, env=env).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)


def start_nginx(
    binary: str, upstream_url: str, workdir: Path, workers: str = "1"
) -> tuple[str, list[subprocess.Popen]]:
    """nginx as a plain keep-alive reverse proxy to the upstream: one worker
    process by default (like the gateway's one uvicorn worker), `auto` (one
    per core) as Debian's own configuration has it."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            dir=workdir, upstream=upstream_url.removeprefix("http://"), port=port, workers=workers
        )
    )
    process = subprocess.Popen(
        [binary, "-c", str(conf), "-p", str(workdir), "-e", str(workdir / "error.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_healthy(f"{url}/healthz", [process])
    return url, [process]


def wait_healthy(url: str, processes: list[subprocess.Popen], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError(f"a server for {url} exited early")
        try:
            if httpx.get(url, timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy")


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def start_upstream(env: dict[str, str]) -> tuple[str, list[subprocess.Popen]]:
    port = free_port()
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "uvicorn",
            "tests.upstream_app:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--http",
            "httptools",
            "--loop",
            "uvloop",
            "--no-access-log",
            # As every service runs: no forwarding headers believed.
            *UNTRUSTING_UVICORN,
            "--log-level",
            "warning",
        ],
        cwd=GATEWAY_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_healthy(f"{url}/healthz", [process])
    return url, [process]


def start_gateway(
    server: str, workers: int, env: dict[str, str], folder: Path = GATEWAY_DIR
) -> tuple[str, list[subprocess.Popen]]:
    if server == "uvicorn":
        port = free_port()
        processes = [
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "uvicorn",
                    "config.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                    *GATEWAY_UVICORN_ARGS,
                    "--log-level",
                    "warning",
                ],
                cwd=folder,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        ]
    else:
        # daphne has no worker option: N processes share one listening socket.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)
        port = sock.getsockname()[1]
        sock.set_inheritable(True)
        processes = [
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "daphne",
                    "--fd",
                    str(sock.fileno()),
                    "--verbosity",
                    "0",
                    "config.asgi:application",
                ],
                cwd=folder,
                env=env,
                pass_fds=(sock.fileno(),),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        sock.close()
    url = f"http://127.0.0.1:{port}"
    wait_healthy(f"{url}/healthz", processes)
    return url, processes


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def tree_cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) used so far by these processes and their children."""
    tick = os.sysconf("SC_CLK_TCK")
    total, stack, seen = 0.0, list(pids), set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
        stack += _children(pid)
    return total


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * _UNITS[unit]


def wrk(
    binary: str,
    url: str,
    *,
    duration: float,
    connections: int,
    threads: int,
    headers: dict[str, str],
) -> dict:
    seconds = max(1, round(duration))
    command = [
        binary,
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run(command + [url], capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0:
        raise RuntimeError(f"wrk failed: {run.stderr or run.stdout}")
    output = run.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    latency = {
        f"p{p}_ms": round(_ms(re.search(rf"^\s+{p}%\s+(\S+)", output, re.M).group(1)), 3)
        for p in (50, 75, 90, 99)
    }
    # wrk is the only child that ends in between: its own CPU time.
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "requests_per_second": rps,
        "requests": total,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(g) for g in errors.groups()) if errors else 0,
        **latency,
        "wrk_cpu_ms_per_request": round(wrk_cpu * 1000 / max(1, total), 3),
        # Busy share of wrk's threads: near 1.0 would make wrk the bottleneck.
        "wrk_busy": round(wrk_cpu / (seconds * threads), 3),
    }


def measured_run(
    binary: str,
    url: str,
    *,
    headers,
    connections: int,
    threads: int,
    warmup: float,
    duration: float,
    cpu_of: dict[str, list[int]],
) -> dict:
    """One phase: a warm-up, then the measured wrk run, with the CPU per
    request of each named group of processes (`<name>_cpu_ms_per_request`):
    meaningful even when other work on the machine steals cycles from the
    throughput figures. `headers` is called for each run (fresh signatures)."""
    wrk(binary, url, duration=warmup, connections=connections, threads=threads, headers=headers())
    before = {name: tree_cpu_seconds(pids) for name, pids in cpu_of.items()}
    result = wrk(
        binary, url, duration=duration, connections=connections, threads=threads, headers=headers()
    )
    requests = max(1, result["requests"])
    for name, pids in cpu_of.items():
        used = tree_cpu_seconds(pids) - before[name]
        result[f"{name}_cpu_ms_per_request"] = round(used * 1000 / requests, 3)
    return result


def direct_headers(path: str) -> dict[str, str]:
    """What the gateway sends the service for an anonymous GET of `path`
    from 127.0.0.1, signed now (the signature is good for 60 s)."""
    sys.path.insert(0, str(REPO_ROOT / "libs" / "rentezy_platform" / "src"))
    from rentezy_platform.trust import gateway_headers

    return {
        **gateway_headers(
            key=SIGNING_KEY, method="GET", path_with_query=path, request_id=uuid.uuid4().hex
        ),
        "X-Forwarded-For": "127.0.0.1",
        "X-Real-IP": "127.0.0.1",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Host": "127.0.0.1:8000",
    }


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def _span(values: list[float]) -> list[float]:
    return [round(min(values), 3), round(max(values), 3)]


def median_of(samples: list[dict]) -> dict:
    """Each figure's median over the rounds (counts summed)."""
    out: dict = {}
    for key in samples[0]:
        values = [sample[key] for sample in samples]
        if key in ("requests", "non_2xx", "socket_errors"):
            out[key] = sum(values)
        else:
            out[key] = _median(values)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measured phase")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--workers", type=int, default=1, help="gateway worker processes (both servers)"
    )
    parser.add_argument(
        "--servers", default="uvicorn,daphne", help="comma list of gateway servers to compare"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another copy of api_gateway/ (an older checkout) to run beside the current one "
        "under uvicorn, as server `baseline`, in the same rounds; never the winner",
    )
    args = parser.parse_args()
    servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    contenders = [(name, name, GATEWAY_DIR) for name in servers]
    if args.baseline:
        contenders.append(("baseline", "uvicorn", args.baseline.resolve()))

    binary = ensure_wrk()
    base_env = {
        **os.environ,
        "GATEWAY_SIGNING_KEY": SIGNING_KEY,
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "0",
    }
    upstream_url, upstream = start_upstream(base_env)
    results: dict = {
        "machine": {
            **machine(),
            # Other work on the machine (other suites) skews the throughput figures.
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "gateway_uvicorn_args": GATEWAY_UVICORN_ARGS,
        "upstream": "tests/upstream_app.py echo view (Django + GatewayTrustMiddleware) under uvicorn, 1 worker",
    }
    gateways: dict[str, tuple[str, list[subprocess.Popen]]] = {}
    nginx: list[subprocess.Popen] = []
    try:
        token = f"bench-{uuid.uuid4().hex}"
        user_id = str(uuid.uuid4())
        httpx.post(
            f"{upstream_url}/_control/tokens",
            trust_env=False,
            json={
                "token": token,
                "user_id": user_id,
                "role": "tenant",
                "email": "bench@example.com",
                "jti": uuid.uuid4().hex,
                "expires_at": int(time.time()) + 3600,
            },
        ).raise_for_status()
        gateway_env = {
            **base_env,
            **{
                f"{n}_SERVICE_URL": upstream_url
                for n in ("AUTH", "PROPERTY", "BOOKING", "RENT", "CHAT", "NOTIFICATION", "SEARCH")
            },
            "GATEWAY_USER_BUDGET_PER_MINUTE": "1000000000",
            "GATEWAY_ANON_BUDGET_PER_MINUTE": "1000000000",
            "GATEWAY_RATE_LIMIT_PREFIX": f"rentezy:gateway:bench:{uuid.uuid4().hex}:",
        }
        for name, server, folder in contenders:
            gateways[name] = start_gateway(server, args.workers, gateway_env, folder)
            print(
                f"==> {name} ({server} x{args.workers}, {folder}): {gateways[name][0]}", flush=True
            )
        nginx_url, nginx = start_nginx(
            ensure_nginx(), upstream_url, Path(tempfile.mkdtemp(prefix="rentezy-nginx-"))
        )
        print(f"==> nginx (reverse proxy, 1 worker): {nginx_url}", flush=True)
        upstream_pids = [p.pid for p in upstream]

        def measure(url: str, headers, pids: list[int], connections: int) -> dict:
            return measured_run(
                binary, url, headers=headers, connections=connections, threads=args.threads,
                warmup=args.warmup, duration=args.duration,
                cpu_of={"gateway": pids, "upstream": upstream_pids},
            )  # fmt: skip

        anon_path, auth_path = "/api/properties/bench", "/api/bookings/bench"
        direct_url = f"{upstream_url}{anon_path}"
        phases: list[tuple[str, str, object, list[int], int]] = [
            ("direct", direct_url, lambda: direct_headers(anon_path), [], args.connections)
        ]
        for server, (url, processes) in gateways.items():
            pids = [p.pid for p in processes]
            phases += [
                (f"{server}.anonymous", f"{url}{anon_path}", dict, pids, args.connections),
                (
                    f"{server}.authenticated",
                    f"{url}{auth_path}",
                    lambda: {"Authorization": f"Bearer {token}"},
                    pids,
                    args.connections,
                ),
            ]
        # nginx forwards the client's headers: wrk sends it the same signed
        # headers as the direct phase, so the upstream does the same work.
        nginx_pids = [p.pid for p in nginx]
        phases.append(("nginx.anonymous", f"{nginx_url}{anon_path}",
                       lambda: direct_headers(anon_path), nginx_pids, args.connections))  # fmt: skip
        # Latency at one connection moves with whatever else the machine runs:
        # each gateway's run is paired with a direct run right before it.
        phases += [
            ("direct_c1.nginx", direct_url, lambda: direct_headers(anon_path), [], 1),
            ("nginx.anonymous_c1", f"{nginx_url}{anon_path}", lambda: direct_headers(anon_path),
             nginx_pids, 1),
        ]  # fmt: skip
        for server, (url, processes) in gateways.items():
            phases += [
                (f"direct_c1.{server}", direct_url, lambda: direct_headers(anon_path), [], 1),
                (
                    f"{server}.anonymous_c1",
                    f"{url}{anon_path}",
                    dict,
                    [p.pid for p in processes],
                    1,
                ),
            ]

        rounds: list[dict] = []
        for number in range(1, args.rounds + 1):
            print(f"==> round {number}/{args.rounds}", flush=True)
            figures: dict = {"load_average": [round(x, 2) for x in os.getloadavg()]}
            for name, url, headers, pids, connections in phases:
                figures[name] = measure(url, headers, pids, connections)
            rounds.append(figures)
        results["rounds"] = rounds

        def phase(name: str) -> list[dict]:
            return [figures[name] for figures in rounds]

        results["direct"] = median_of(phase("direct"))
        results["direct_c1"] = median_of(
            [figures[f"direct_c1.{server}"] for figures in rounds for server in gateways]
        )
        results["servers"] = {
            server: {
                kind: median_of(phase(f"{server}.{kind}"))
                for kind in ("anonymous", "authenticated", "anonymous_c1")
            }
            for server in gateways
        }

        results["nginx"] = {
            kind: median_of(phase(f"nginx.{kind}")) for kind in ("anonymous", "anonymous_c1")
        }
        nginx_vs_direct = [
            r["nginx.anonymous"]["requests_per_second"] / r["direct"]["requests_per_second"]
            for r in rounds
        ]
        nginx_added = [
            r["nginx.anonymous_c1"]["p50_ms"] - r["direct_c1.nginx"]["p50_ms"] for r in rounds
        ]
        results["nginx_summary"] = {
            "nginx_vs_direct": _median(nginx_vs_direct),
            "nginx_vs_direct_range": _span(nginx_vs_direct),
            "added_p50_ms_c1": _median(nginx_added),
            "added_p50_ms_c1_range": _span(nginx_added),
        }
        summary = {}
        for server in gateways:
            # Ratios within each round (figures taken a minute apart), then the median.
            vs_direct = [
                r[f"{server}.anonymous"]["requests_per_second"] / r["direct"]["requests_per_second"]
                for r in rounds
            ]
            auth_vs_anon = [
                r[f"{server}.authenticated"]["requests_per_second"]
                / r[f"{server}.anonymous"]["requests_per_second"]
                for r in rounds
            ]
            added = [
                r[f"{server}.anonymous_c1"]["p50_ms"] - r[f"direct_c1.{server}"]["p50_ms"]
                for r in rounds
            ]
            vs_nginx = [
                r[f"{server}.anonymous"]["requests_per_second"]
                / r["nginx.anonymous"]["requests_per_second"]
                for r in rounds
            ]
            # The same comparison by cost, which noise on the machine barely moves.
            cpu = results["servers"][server]
            summary[server] = {
                "gateway_vs_nginx": _median(vs_nginx),
                "gateway_vs_nginx_range": _span(vs_nginx),
                "authenticated_cpu_vs_anonymous": round(
                    cpu["authenticated"]["gateway_cpu_ms_per_request"]
                    / max(0.001, cpu["anonymous"]["gateway_cpu_ms_per_request"]),
                    3,
                ),
                "gateway_vs_direct": _median(vs_direct),
                "gateway_vs_direct_range": _span(vs_direct),
                "authenticated_vs_anonymous": _median(auth_vs_anon),
                "authenticated_vs_anonymous_range": _span(auth_vs_anon),
                "added_p50_ms_c1": _median(added),
                "added_p50_ms_c1_range": _span(added),
            }
        # Both servers are held to the upstream's pace at --connections (the
        # one Django worker is the bottleneck): throughput cannot tell them
        # apart, the gateway's CPU per request can, and it holds under noise.
        winner = min(
            servers,
            key=lambda s: results["servers"][s]["anonymous"]["gateway_cpu_ms_per_request"],
        )
        results["summary"] = summary
        results["winner"] = winner
        results["goals"] = {
            "gateway_vs_direct": {
                "goal": GOAL_GATEWAY_VS_DIRECT,
                "value": summary[winner]["gateway_vs_direct"],
                "met": summary[winner]["gateway_vs_direct"] >= GOAL_GATEWAY_VS_DIRECT,
            },
            "authenticated_vs_anonymous": {
                "goal": GOAL_AUTH_VS_ANON,
                "value": summary[winner]["authenticated_vs_anonymous"],
                "met": summary[winner]["authenticated_vs_anonymous"] >= GOAL_AUTH_VS_ANON,
            },
            "added_p50_ms": {
                "goal": GOAL_ADDED_P50_MS,
                "value": summary[winner]["added_p50_ms_c1"],
                "met": summary[winner]["added_p50_ms_c1"] <= GOAL_ADDED_P50_MS,
            },
            "gateway_vs_nginx": {
                "goal": GOAL_GATEWAY_VS_NGINX,
                "value": summary[winner]["gateway_vs_nginx"],
                "met": summary[winner]["gateway_vs_nginx"] >= GOAL_GATEWAY_VS_NGINX,
            },
            "added_p50_ms_strict": {
                "goal": GOAL_ADDED_P50_MS_STRICT,
                "value": summary[winner]["added_p50_ms_c1"],
                "met": summary[winner]["added_p50_ms_c1"] <= GOAL_ADDED_P50_MS_STRICT,
            },
        }
    finally:
        for _, processes in gateways.values():
            stop(processes)
        stop(nginx)
        stop(upstream)

    write_results(RESULTS, results)

    direct = results["direct"]
    print()
    print(
        f"machine load average: before the run {results['machine']['load_average']}, "
        f"per round {[r['load_average'][0] for r in rounds]}"
    )
    print(f"medians of {args.rounds} interleaved rounds ({args.duration:.0f} s each phase)")
    print(
        f"direct upstream:         {direct['requests_per_second']:>9.0f} req/s  "
        f"p50 {direct['p50_ms']:.2f} ms  (c1 p50 {results['direct_c1']['p50_ms']:.2f} ms)  "
        f"upstream CPU {direct['upstream_cpu_ms_per_request']:.3f} ms/req"
    )
    ns = results["nginx_summary"]
    print(
        f"nginx    anonymous:       {results['nginx']['anonymous']['requests_per_second']:>9.0f} req/s  "
        f"p50 {results['nginx']['anonymous']['p50_ms']:.2f} ms  ({ns['nginx_vs_direct']:.2f}x direct); "
        f"added p50 at c1 {ns['added_p50_ms_c1']:.3f} ms"
    )
    for server, data in results["servers"].items():
        s = summary[server]
        print(f"{server:<8} vs nginx:        {s['gateway_vs_nginx']:.2f}x "
              f"(rounds {s['gateway_vs_nginx_range'][0]:.2f}-{s['gateway_vs_nginx_range'][1]:.2f})")  # fmt: skip
        print(
            f"{server:<8} anonymous:       {data['anonymous']['requests_per_second']:>9.0f} req/s  "
            f"p50 {data['anonymous']['p50_ms']:.2f} ms  ({s['gateway_vs_direct']:.2f}x direct, "
            f"rounds {s['gateway_vs_direct_range'][0]:.2f}-{s['gateway_vs_direct_range'][1]:.2f})"
        )
        print(
            f"{server:<8} authenticated:   {data['authenticated']['requests_per_second']:>9.0f} req/s  "
            f"p50 {data['authenticated']['p50_ms']:.2f} ms  ({s['authenticated_vs_anonymous']:.2f}x anonymous, "
            f"rounds {s['authenticated_vs_anonymous_range'][0]:.2f}-{s['authenticated_vs_anonymous_range'][1]:.2f})"
        )
        print(
            f"{server:<8} added p50 at c1: {s['added_p50_ms_c1']:>9.3f} ms  "
            f"(rounds {s['added_p50_ms_c1_range'][0]:.3f}-{s['added_p50_ms_c1_range'][1]:.3f})"
        )
        print(
            f"{server:<8} CPU per request: gateway {data['anonymous']['gateway_cpu_ms_per_request']:.3f} ms "
            f"(authenticated {data['authenticated']['gateway_cpu_ms_per_request']:.3f} ms, "
            f"{s['authenticated_cpu_vs_anonymous']:.2f}x), "
            f"upstream {data['anonymous']['upstream_cpu_ms_per_request']:.3f} ms"
        )
    busiest = max(
        [direct["wrk_busy"]]
        + [d["wrk_busy"] for data in results["servers"].values() for d in data.values()]
    )
    print(
        f"wrk: at most {busiest:.0%} of its thread busy in any phase (not the bottleneck below ~90%)"
    )
    print(f"winner (least gateway CPU per request): {winner}")
    for name, goal in results["goals"].items():
        print(
            f"goal {name}: {goal['value']} (goal {goal['goal']}) {'met' if goal['met'] else 'NOT met'}"
        )
    errors = [
        (name, d)
        for name, d in [("direct", results["direct"]), ("direct_c1", results["direct_c1"])]
        + [(f"{srv}.{k}", v) for srv, data in results["servers"].items() for k, v in data.items()]
        if d["non_2xx"] or d["socket_errors"]
    ]
    for name, d in errors:
        print(f"WARNING {name}: {d['non_2xx']} non-2xx, {d['socket_errors']} socket errors")
    print(f"results: {RESULTS.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
