"""The pipelined Redis connection of the request budget (gateway.redis_pipe)
and both budget paths of the rate limiter, against the real Redis."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid

import pytest
import redis.exceptions as rx

from gateway import redis_pipe
from gateway.ratelimit import Limited, RateLimiter

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def _url_with_db(db: int) -> str:
    return REDIS_URL.rsplit("/", 1)[0] + f"/{db}"


def test_replies_reach_their_callers_under_concurrency(redis_client):
    prefix = f"rentezy:gateway:test:pipe:{uuid.uuid4().hex}:"

    async def main():
        pipe = redis_pipe.PipelinedRedis(REDIS_URL, timeout=2, connect_timeout=2)
        try:
            # 200 calls in flight at once, each with its own expected reply.
            replies = await asyncio.gather(
                *(pipe.call(redis_pipe.pack("INCRBY", f"{prefix}{n}", n)) for n in range(200))
            )
            echoed = await pipe.call(redis_pipe.pack("ECHO", "bin\r\n\x00ary"))
            array = await pipe.call(redis_pipe.pack("MGET", f"{prefix}1", f"{prefix}none"))
            return replies, echoed, array
        finally:
            await pipe.aclose()

    replies, echoed, array = asyncio.run(main())
    assert replies == list(range(200))
    assert echoed == b"bin\r\n\x00ary"
    assert array == [b"1", None]
    redis_client.delete(*(f"{prefix}{n}" for n in range(200)))


def test_error_replies_belong_to_one_caller():
    async def main():
        pipe = redis_pipe.PipelinedRedis(REDIS_URL, timeout=2, connect_timeout=2)
        try:
            bad = pipe.call(redis_pipe.pack("NOSUCHCOMMAND"))
            good = pipe.call(redis_pipe.pack("PING"))
            results = await asyncio.gather(bad, good, return_exceptions=True)
            missing = await asyncio.gather(
                pipe.call(redis_pipe.pack("EVALSHA", "0" * 40, 0)), return_exceptions=True
            )
            return results, missing
        finally:
            await pipe.aclose()

    (bad, good), (missing,) = asyncio.run(main())
    assert isinstance(bad, rx.ResponseError) and good == b"PONG"
    assert isinstance(missing, rx.NoScriptError)


def test_the_url_selects_the_database():
    key = f"rentezy:gateway:test:pipe:{uuid.uuid4().hex}"

    async def main():
        pipe = redis_pipe.PipelinedRedis(_url_with_db(3), timeout=2, connect_timeout=2)
        try:
            await pipe.call(redis_pipe.pack("SET", key, "x", "EX", 60))
        finally:
            await pipe.aclose()

    asyncio.run(main())
    import redis

    db3 = redis.Redis.from_url(_url_with_db(3))
    db0 = redis.Redis.from_url(_url_with_db(0))
    try:
        assert db3.get(key) == b"x" and db0.get(key) is None
    finally:
        db3.delete(key)
        db3.close()
        db0.close()


def test_a_refused_handshake_and_nothing_listening_are_connection_errors():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    host_port = REDIS_URL.split("://", 1)[1].split("/", 1)[0]

    async def main():
        wrong = redis_pipe.PipelinedRedis(
            f"redis://:not-the-password@{host_port}/0", timeout=2, connect_timeout=2
        )
        nobody = redis_pipe.PipelinedRedis(
            f"redis://127.0.0.1:{closed_port}/0", timeout=2, connect_timeout=2
        )
        return await asyncio.gather(
            wrong.call(redis_pipe.pack("PING")),
            nobody.call(redis_pipe.pack("PING")),
            return_exceptions=True,
        )

    refused, unreachable = asyncio.run(main())
    assert isinstance(refused, rx.ConnectionError), refused
    assert isinstance(unreachable, rx.ConnectionError), unreachable


def test_a_killed_connection_fails_its_callers_then_reconnects(redis_client):
    async def main():
        pipe = redis_pipe.PipelinedRedis(REDIS_URL, timeout=2, connect_timeout=2)
        try:
            client_id = await pipe.call(redis_pipe.pack("CLIENT", "ID"))
            redis_client.client_kill_filter(_id=client_id)
            await asyncio.sleep(0.1)  # the close reaches the connection
            lost = await asyncio.gather(pipe.call(redis_pipe.pack("PING")), return_exceptions=True)
            again = await pipe.call(redis_pipe.pack("CLIENT", "ID"))
            return client_id, lost[0], again
        finally:
            await pipe.aclose()

    first, lost, again = asyncio.run(main())
    # The kill either surfaced (the call failed) or was seen before the call
    # was made (it went out on a new connection): never a wrong reply.
    assert lost == b"PONG" or isinstance(lost, rx.ConnectionError)
    assert isinstance(again, int) and again != first


class _SilentServer:
    """Accepts connections and never answers: a stuck Redis."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def test_a_stuck_server_times_out_and_the_connection_is_dropped():
    server = _SilentServer()

    async def main():
        pipe = redis_pipe.PipelinedRedis(
            f"redis://127.0.0.1:{server.port}/0", timeout=0.3, connect_timeout=0.3
        )
        try:
            started = time.monotonic()
            results = await asyncio.gather(
                pipe.call(redis_pipe.pack("PING")),
                pipe.call(redis_pipe.pack("PING")),
                return_exceptions=True,
            )
            elapsed = time.monotonic() - started
            await asyncio.gather(pipe.call(redis_pipe.pack("PING")), return_exceptions=True)
            return results, elapsed
        finally:
            await pipe.aclose()

    try:
        results, elapsed = asyncio.run(main())
        deadline = time.monotonic() + 2
        while len(server.accepted) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        server.close()
    assert all(isinstance(r, (rx.TimeoutError, rx.ConnectionError)) for r in results), results
    assert elapsed < 1.0
    # The stuck connection was given up: the third call opened a new one.
    assert len(server.accepted) == 2


@pytest.mark.parametrize("pipelined", [True, False])
def test_both_budget_paths_count_and_refuse_alike(redis_client, pipelined):
    prefix = f"rentezy:gateway:test:budget:{uuid.uuid4().hex}:"

    async def main():
        limiter = RateLimiter(
            redis_url=REDIS_URL,
            prefix=prefix,
            user_budget=3,
            anon_budget=2,
            login_window=60,
            login_per_account=10,
            login_per_ip=30,
            pipelined=pipelined,
        )
        assert (limiter._pipe is not None) is pipelined
        try:
            anon = [await limiter.spend_budget(user_id=None, client_ip="10.9.8.7") for _ in range(3)]
            user = [await limiter.spend_budget(user_id="u-1", client_ip="10.9.8.7") for _ in range(4)]
            return anon, user
        finally:
            await limiter.aclose()

    # The script is not cached yet on the first call of the run (EVAL path).
    redis_client.script_flush()
    anon, user = asyncio.run(main())
    assert anon[:2] == [None, None] and isinstance(anon[2], Limited)
    assert user[:3] == [None, None, None] and isinstance(user[3], Limited)
    assert 1 <= anon[2].retry_after <= 60
    assert 0 < redis_client.pttl(f"{prefix}budget:ip:10.9.8.7") <= 60_000
    redis_client.delete(f"{prefix}budget:ip:10.9.8.7", f"{prefix}budget:user:u-1")


def test_only_plain_urls_are_pipelined():
    assert redis_pipe.supports("redis://127.0.0.1:6379/0")
    assert redis_pipe.supports("unix:///run/redis.sock?db=1")
    assert not redis_pipe.supports("rediss://redis.example:6380/0")
