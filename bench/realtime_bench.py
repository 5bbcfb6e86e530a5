"""Realtime benchmark: notification latency with many connected clients, and
chat round trips, through the real gateway.

    .venv/bin/python bench/realtime_bench.py [--clients 200] [--events 400]
        [--rate 20] [--pairs 10] [--messages 500]

What runs: the cross-service fixture of tests/conftest.py outside pytest (the
real gateway under uvicorn in front of auth_service, chat_service and
notification_service, with the auth and chat outbox relays and the chat and
notification Kafka consumers, notification_service's Celery worker), on
`bench_` databases and Kafka topics of its own, the Redis channel layer under
a prefix of its own.

Set-up (not measured): --clients tenants and one landlord register and log in
through the gateway; the landlord opens a conversation with each tenant.

1. notification latency: every tenant holds /ws/notifications open through
   the gateway. The landlord sends --events chat messages over REST at --rate
   per second, round robin over the tenants. Each message's `created_at`
   (chat_service's clock, at the insert, just before its commit) is the
   start; the end is when the tenant's socket receives the
   `message.received` notification: the whole path (outbox relay, Kafka,
   notification consumer, PostgreSQL, channel layer, gateway proxy). The
   first --warmup-events (2 s at the default rate) go through the same path
   unmeasured: a cold path (first Kafka fetches of the new topics, first
   requests of each worker) took up to a second there, and only there; their
   worst is reported as `warmup_max_ms`, the worst of each later second as
   `max_ms_per_second`. Goal: p95 <= 250 ms.
2. chat round trip: --pairs tenant/landlord pairs each hold their
   conversation's /ws/chat socket open; each pair in turn sends one message
   frame and waits: round trip = until the sender's own socket gets the stored
   message back; delivery = until the other participant's socket gets it.
   --messages in all. Goal: p95 <= 100 ms.

Figures: p50/p95/p99/max in milliseconds, how many were measured and how many
never arrived (a missing one is a failure, exit 1), the load average before
and after. Written to bench/results/realtime.json. Nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "bench" / "results" / "realtime.json"


def summary(values_ms: list[float], expected: int) -> dict:
    from stats import percentile

    if not values_ms:
        return {"measured": 0, "missing": expected}
    return {
        "measured": len(values_ms),
        "missing": expected - len(values_ms),
        "p50_ms": round(percentile(values_ms, 50), 1),
        "p95_ms": round(percentile(values_ms, 95), 1),
        "p99_ms": round(percentile(values_ms, 99), 1),
        "max_ms": round(max(values_ms), 1),
    }


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def notification_latency(gw_url, origin, tenants, landlord, conversations, args) -> dict:
    import httpx
    from websockets.asyncio.client import connect

    base = gw_url.replace("http://", "ws://", 1)
    sockets = await asyncio.gather(
        *[
            connect(f"{base}/ws/notifications?token={t.access}", origin=origin, proxy=None)
            for t in tenants
        ]
    )
    sent_at: dict[str, float] = {}  # message id -> created_at (epoch seconds)
    index: dict[str, int] = {}  # message id -> its place in the sequence
    latencies: list[float] = []
    by_index: dict[int, float] = {}
    done = asyncio.Event()

    async def listen(socket) -> None:
        async for raw in socket:
            frame = json.loads(raw)
            if frame.get("type") != "notification":
                continue
            received = time.time()
            notification = frame["notification"]
            if notification["type"] != "message.received":
                continue
            message_id = notification["data"]["message_id"]
            while message_id not in sent_at:  # the POST's answer may be a moment behind
                await asyncio.sleep(0.001)
            latency = (received - sent_at[message_id]) * 1000
            by_index[index[message_id]] = round(latency, 1)
            if index[message_id] >= args.warmup_events:
                latencies.append(latency)
            if len(by_index) == total:
                done.set()

    total = args.warmup_events + args.events
    listeners = [asyncio.create_task(listen(s)) for s in sockets]
    await asyncio.sleep(1.0)
    async with httpx.AsyncClient(base_url=gw_url, timeout=20, trust_env=False) as client:
        interval = 1.0 / args.rate
        start = time.monotonic()
        for n in range(total):
            await asyncio.sleep(max(0.0, start + n * interval - time.monotonic()))
            cid = conversations[n % len(conversations)]
            response = await client.post(
                f"/api/chat/conversations/{cid}/messages",
                json={"body": f"benchmark message {n}"},
                headers=landlord.headers,
            )
            assert response.status_code == 201, response.text
            message = response.json()
            index[message["id"]] = n
            sent_at[message["id"]] = parse_time(message["created_at"])
    try:
        await asyncio.wait_for(done.wait(), 60)
    except TimeoutError:
        pass
    for task in listeners:
        task.cancel()
    await asyncio.gather(*[s.close() for s in sockets], return_exceptions=True)
    # Per second of the run: where the slow ones were (warm-up, a stall).
    step = max(1, round(args.rate))
    per_second = [
        max((by_index[n] for n in range(s, s + step) if n in by_index), default=None)
        for s in range(args.warmup_events, total, step)
    ]
    warmup = [by_index[n] for n in range(args.warmup_events) if n in by_index]
    return {
        **summary(latencies, args.events),
        "max_ms_per_second": per_second,
        "warmup_events": args.warmup_events,
        "warmup_max_ms": max(warmup, default=None),
    }


async def chat_round_trip(gw_url, origin, pairs, args) -> dict:
    from websockets.asyncio.client import connect

    base = gw_url.replace("http://", "ws://", 1)
    opened = []
    for tenant, landlord, cid in pairs:
        mine = await connect(
            f"{base}/ws/chat/{cid}?token={tenant.access}", origin=origin, proxy=None
        )
        theirs = await connect(
            f"{base}/ws/chat/{cid}?token={landlord.access}", origin=origin, proxy=None
        )
        opened.append((mine, theirs))
    round_trips: list[float] = []
    deliveries: list[float] = []

    async def until_message(socket, client_id: str) -> float:
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
            if frame.get("type") == "message" and frame["message"]["client_id"] == client_id:
                return time.perf_counter()

    for n in range(args.messages):
        mine, theirs = opened[n % len(opened)]
        client_id = f"rt-{n}"
        started = time.perf_counter()
        await mine.send(
            json.dumps({"type": "message", "body": f"ping {n}", "client_id": client_id})
        )
        try:
            back, there = await asyncio.gather(
                until_message(mine, client_id), until_message(theirs, client_id)
            )
        except TimeoutError:
            continue
        round_trips.append((back - started) * 1000)
        deliveries.append((there - started) * 1000)
        await asyncio.sleep(0.05)  # under the socket's rate limit (5/s per socket, bursts of 20)
    for mine, theirs in opened:
        await mine.close()
        await theirs.close()
    return {
        "round_trip": summary(round_trips, args.messages),
        "delivery": summary(deliveries, args.messages),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument(
        "--warmup-events",
        type=int,
        default=40,
        help="sent first at the same rate and not measured (their worst is reported)",
    )
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second")
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--messages", type=int, default=500)
    args = parser.parse_args()

    sys.path.insert(0, str(REPO_ROOT / "tests"))
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    from concurrent.futures import ThreadPoolExecutor

    from conftest import Platform
    from stats import machine, write_results
    from support import register_account

    workdir = Path(tempfile.mkdtemp(prefix="realtime-bench-"))
    bench = Platform(
        root=workdir,
        base_env=dict(os.environ),
        database_prefix=os.environ.get("POSTGRES_DB_PREFIX", "") + "bench_",
    )
    origin = bench.env["WEB_APP_ORIGIN"].split(",")[0]
    results: dict = {
        "machine": machine(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "settings": vars(args),
    }
    failed = False
    try:
        print(f"realtime bench: starting the platform (logs in {workdir}) ...", flush=True)
        bench.require(("auth", "chat", "notification"))
        with bench.client() as gw:
            landlord = register_account(gw, role="landlord")
            with ThreadPoolExecutor(4) as pool:

                def tenant(_: int):
                    with bench.client() as own:
                        return register_account(own, role="tenant")

                tenants = list(pool.map(tenant, range(args.clients)))
            print(f"set-up: {len(tenants)} tenants and a landlord registered", flush=True)

            def open_with(account) -> str:
                deadline = time.monotonic() + 60
                while True:  # until chat_service's directory has the tenant
                    response = gw.post(
                        "/api/chat/conversations",
                        json={"participant_id": account.id},
                        headers=landlord.headers,
                    )
                    if response.status_code in (200, 201):
                        return response.json()["id"]
                    assert time.monotonic() < deadline, response.text
                    time.sleep(0.2)

            conversations = [open_with(t) for t in tenants]
            pair_landlords = [register_account(gw, role="landlord") for _ in range(args.pairs)]
            pairs = [
                (tenants[i], pair_landlords[i], None) for i in range(min(args.pairs, len(tenants)))
            ]
            pairs = [
                (t, owner, gw.post(
                    "/api/chat/conversations",
                    json={"participant_id": t.id},
                    headers=owner.headers,
                ).json()["id"])
                for t, owner, _ in pairs
            ]  # fmt: skip
        print(f"==> notification latency: {args.clients} sockets, {args.events} events", flush=True)
        load0 = os.getloadavg()
        results["notification_latency"] = {
            **asyncio.run(
                notification_latency(bench.gateway, origin, tenants, landlord, conversations, args)
            ),
            "load_average_at_start": [round(x, 2) for x in load0],
        }
        print(f"    {json.dumps(results['notification_latency'])}", flush=True)
        print(f"==> chat round trip: {args.pairs} pairs, {args.messages} messages", flush=True)
        load0 = os.getloadavg()
        results["chat"] = {
            **asyncio.run(chat_round_trip(bench.gateway, origin, pairs, args)),
            "load_average_at_start": [round(x, 2) for x in load0],
        }
        print(f"    {json.dumps(results['chat'])}", flush=True)
        failed = bool(
            results["notification_latency"].get("missing")
            or results["chat"]["round_trip"].get("missing")
        )
    finally:
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        bench.stop()
        bench.remove_session_data()
    write_results(RESULTS, results)
    n, c = results["notification_latency"], results["chat"]
    print(
        f"\nrealtime bench (load average before {results['load_average_before']}, "
        f"after {results['load_average_after']}):\n"
        f"  notification latency  p50 {n.get('p50_ms')} ms  p95 {n.get('p95_ms')} ms  "
        f"({n['measured']} measured, {n['missing']} missing; goal p95 <= 250)\n"
        f"  chat round trip       p50 {c['round_trip'].get('p50_ms')} ms  "
        f"p95 {c['round_trip'].get('p95_ms')} ms; delivery p95 {c['delivery'].get('p95_ms')} ms "
        f"(goal p95 <= 100)\n"
        f"  written to {RESULTS.relative_to(REPO_ROOT)}"
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
