"""A pipelined Redis connection for the one call every request makes.

redis-py spends ~150-200 µs of CPU per command on its connection pool, retry
and timeout machinery; the request budget (gateway.ratelimit) is one EVALSHA
per request, so that was a sixth of the gateway's own cost. This connection
is one socket per process on which calls are written as they come (those of
one event-loop turn in one write) and replies are matched to callers in
order, as RESP guarantees: ~50 µs a call, and no pool.

Deliberately small: RESP2 replies, plain TCP or a Unix socket with AUTH and
SELECT from the URL. `supports(url)` says whether a URL is such; anything else
(TLS, ...) stays with redis-py. Failures surface as RedisError subclasses
(ConnectionError, TimeoutError, ResponseError, NoScriptError), as redis-py's
would, and a connection that timed out or failed is dropped: the next call
opens a new one.
"""

from __future__ import annotations

import asyncio
import collections
from urllib.parse import urlsplit

import redis.exceptions as rx
from redis.asyncio.connection import parse_url

_CRLF = b"\r\n"


def supports(url: str) -> bool:
    return urlsplit(url).scheme in ("redis", "unix")


def pack(*args: bytes | str | int) -> bytes:
    """A command in RESP (an array of bulk strings)."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, int):
            arg = b"%d" % arg
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


class _Incomplete(Exception):
    pass


def _parse(buffer: bytearray, pos: int):
    """(reply, next position) of the RESP2 reply at `pos`; _Incomplete when
    the buffer does not hold all of it yet. An error reply is returned, not
    raised: it belongs to one caller."""
    end = buffer.find(_CRLF, pos)
    if end < 0:
        raise _Incomplete
    kind = buffer[pos]
    line = buffer[pos + 1 : end]
    pos = end + 2
    if kind == 0x3A:  # ':'
        return int(line), pos
    if kind == 0x2B:  # '+'
        return bytes(line), pos
    if kind == 0x2D:  # '-'
        message = line.decode("utf-8", "replace")
        if message.startswith("NOSCRIPT"):
            return rx.NoScriptError(message), pos
        return rx.ResponseError(message), pos
    if kind == 0x24:  # '$'
        size = int(line)
        if size < 0:
            return None, pos
        if len(buffer) < pos + size + 2:
            raise _Incomplete
        return bytes(buffer[pos : pos + size]), pos + size + 2
    if kind == 0x2A:  # '*'
        count = int(line)
        if count < 0:
            return None, pos
        items = []
        for _ in range(count):
            item, pos = _parse(buffer, pos)
            items.append(item)
        return items, pos
    raise rx.ConnectionError(f"Protocol error: unexpected reply type {chr(kind)!r}")


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiters: collections.deque[asyncio.Future] = collections.deque()
        self.buffer = bytearray()
        self.pending: list[bytes] = []
        self.flush_scheduled = False
        self.closed = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def call(self, command: bytes) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self.waiters.append(waiter)
        self.pending.append(command)
        if not self.flush_scheduled:
            # Everything this loop turn asks for goes out in one write.
            self.flush_scheduled = True
            loop.call_soon(self._flush)
        return waiter

    def _flush(self) -> None:
        self.flush_scheduled = False
        if self.pending and not self.closed:
            data = b"".join(self.pending) if len(self.pending) > 1 else self.pending[0]
            self.pending.clear()
            self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        pos = 0
        try:
            while pos < len(buffer):
                reply, pos = _parse(buffer, pos)
                waiter = self.waiters.popleft()
                if not waiter.done():  # a caller that gave up (timeout) is skipped
                    waiter.set_result(reply)
        except _Incomplete:
            pass
        except (rx.ConnectionError, ValueError, IndexError) as exc:
            # Garbage, or a reply nobody asked for: nothing after it can be trusted.
            self.fail(rx.ConnectionError(f"Protocol error: {exc}"))
            return
        del buffer[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(rx.ConnectionError(f"Connection lost: {exc}" if exc else "Connection closed by server."))

    def fail(self, exc: Exception) -> None:
        self.closed = True
        self.pending.clear()
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()


class PipelinedRedis:
    """One pipelined connection (see the module docstring); opened on first use."""

    def __init__(self, url: str, *, timeout: float, connect_timeout: float) -> None:
        options = parse_url(url)
        self._path: str | None = options.get("path")
        self._host: str = options.get("host", "localhost")
        self._port: int = int(options.get("port", 6379))
        self._handshake: list[bytes] = []
        password, username = options.get("password"), options.get("username")
        if password:
            self._handshake.append(
                pack("AUTH", username, password) if username else pack("AUTH", password)
            )
        if int(options.get("db") or 0):
            self._handshake.append(pack("SELECT", int(options["db"])))
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Future[_Protocol] | None = None

    async def call(self, command: bytes):
        """The reply to one packed command; raises RedisError subclasses."""
        protocol = self._protocol
        if protocol is None or protocol.closed:
            protocol = await self._connect()
        try:
            async with asyncio.timeout(self._timeout):
                reply = await protocol.call(command)
        except TimeoutError as exc:
            # Redis is stuck or gone: a new connection for whoever comes next.
            protocol.fail(rx.TimeoutError("Timeout reading from Redis."))
            raise rx.TimeoutError("Timeout reading from Redis.") from exc
        if isinstance(reply, rx.ResponseError):
            raise reply
        return reply

    async def _connect(self) -> _Protocol:
        # One connection attempt at a time; every caller waits for it.
        if self._connecting is None:
            self._connecting = asyncio.get_running_loop().create_task(self._open())
            # Retrieved even when every caller went away meanwhile.
            self._connecting.add_done_callback(lambda t: t.cancelled() or t.exception())
        connecting = self._connecting
        try:
            return await asyncio.shield(connecting)
        finally:
            if connecting.done() and self._connecting is connecting:
                self._connecting = None

    async def _open(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._connect_timeout):
                if self._path:
                    _, protocol = await loop.create_unix_connection(_Protocol, self._path)
                else:
                    _, protocol = await loop.create_connection(_Protocol, self._host, self._port)
                replies = [protocol.call(command) for command in self._handshake]
                for reply in replies:
                    result = await reply
                    if isinstance(result, rx.ResponseError):
                        protocol.fail(rx.ConnectionError(str(result)))
                        raise rx.ConnectionError(f"Redis refused the connection set-up: {result}")
        except TimeoutError as exc:
            raise rx.TimeoutError("Timeout connecting to Redis.") from exc
        except OSError as exc:
            raise rx.ConnectionError(f"Error connecting to Redis: {exc}") from exc
        self._protocol = protocol
        return protocol

    async def aclose(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            self._connecting = None
        if self._protocol is not None:
            self._protocol.fail(rx.ConnectionError("Closed."))
            self._protocol = None
