"""Token revocation: the contract between auth_service and the gateway, and the
gateway's subscriber.

Contract (GitHub issue #3; ARCHITECTURE.md "Trust": a logout or revocation is
honoured by the gateway within 2 seconds). When auth_service revokes:

- one access token: `SET rentezy:auth:revoked:<jti> 1 EXAT <exp>` and
  `PUBLISH rentezy:auth:revocations {"jti": "<jti>", "user_id": "<user id>"}`;
- every token of a user issued before an instant (password change, reset,
  deactivation, refresh token reuse): `SET rentezy:auth:not_before:<user id>
  <not_before> EXAT ...` and `PUBLISH rentezy:auth:revocations
  {"user_id": "<user id>", "not_before": <unix seconds>}`.

The names below are the contract; auth_service (users/revocation.py) uses the
same names and strings.

Every gateway process subscribes to the channel and evicts what a message
names from its token cache at once (by jti, or every entry of the user). While
the subscription is not confirmed (start-up, Redis outage, a dead connection
found by the keep-alive ping), the cache is disabled, so every request is
validated by auth_service; on every (re)subscription the cache starts empty, so
a message missed during a gap can never keep a revoked token alive. The keys
are auth_service's durable record (its /internal/validate refuses those tokens
from its database anyway); the gateway relies on the channel plus validation.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time

import redis.asyncio as aioredis

from gateway.tokens import TokenCache

logger = logging.getLogger(__name__)

REVOCATIONS_CHANNEL = "rentezy:auth:revocations"
REVOKED_KEY_PREFIX = "rentezy:auth:revoked:"
NOT_BEFORE_KEY_PREFIX = "rentezy:auth:not_before:"

# Seconds between keep-alive pings on an idle subscription, and how long a
# ping may stay unanswered before the connection counts as dead.
PING_INTERVAL = 1.0
PING_DEADLINE = 3.0
RECONNECT_DELAYS = (0.1, 0.25, 0.5, 1.0)


def revoked_key(jti: str) -> str:
    return f"{REVOKED_KEY_PREFIX}{jti}"


def not_before_key(user_id: str) -> str:
    return f"{NOT_BEFORE_KEY_PREFIX}{user_id}"


def client_name() -> str:
    """The Redis CLIENT SETNAME of this process's subscription (ops and tests
    find it with CLIENT LIST)."""
    return f"rentezy-gateway-revocations-{os.getpid()}"


def apply_revocation(cache: TokenCache, payload: bytes | str) -> None:
    """Evict what one revocation message names; a malformed one is logged and
    changes nothing (there is nothing safe to guess from it)."""
    try:
        message = json.loads(payload)
    except (TypeError, ValueError):
        logger.warning("Ignored a malformed revocation message.")
        return
    if not isinstance(message, dict):
        logger.warning("Ignored a malformed revocation message.")
        return
    jti, user_id = message.get("jti"), message.get("user_id")
    if isinstance(jti, str) and jti:
        cache.evict_jti(jti)
    elif isinstance(user_id, str) and user_id and "not_before" in message:
        not_before = message["not_before"]
        if isinstance(not_before, bool) or not isinstance(not_before, (int, float)):
            not_before = None  # unreadable: evict every token of the user
        cache.evict_user(user_id, not_before=not_before)
    else:
        logger.warning("Ignored a revocation message naming neither a jti nor a user.")


class RevocationSubscriber:
    """Runs for the life of the process (one task); see the module docstring."""

    def __init__(self, *, redis_url: str, cache: TokenCache) -> None:
        self._redis_url = redis_url
        self._cache = cache
        self._task: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="revocations")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                self._cache.disable()
                raise
            except Exception as exc:  # every failure means: bypass, then reconnect
                self._cache.disable()
                self.subscribed.clear()
                delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
                attempt += 1
                log = logger.warning if attempt <= 3 or attempt % 60 == 0 else logger.debug
                log(
                    "Revocation subscription lost (%s); token cache bypassed, retrying in %ss.",
                    exc or type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
            else:
                attempt = 0

    async def _listen(self) -> None:
        client = aioredis.Redis.from_url(
            self._redis_url,
            socket_connect_timeout=2.0,
            socket_keepalive=True,
            client_name=client_name(),
        )
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(REVOCATIONS_CHANNEL)
            last_seen = time.monotonic()
            ping_sent: float | None = None
            while True:
                message = await pubsub.get_message(timeout=PING_INTERVAL)
                now = time.monotonic()
                if message is not None:
                    last_seen, ping_sent = now, None
                    kind = message["type"]
                    if kind == "subscribe":
                        # From here on no revocation can be missed: start clean.
                        self._cache.enable(fresh=True)
                        self.subscribed.set()
                        logger.info("Revocation subscription confirmed; token cache enabled.")
                    elif kind == "message":
                        apply_revocation(self._cache, message["data"])
                    continue
                if ping_sent is not None and now - ping_sent > PING_DEADLINE:
                    raise ConnectionError("keep-alive ping unanswered")
                if ping_sent is None and now - last_seen >= PING_INTERVAL:
                    await pubsub.ping()
                    ping_sent = now
        finally:
            self._cache.disable()
            self.subscribed.clear()
            try:
                await pubsub.aclose()
                await client.aclose()
            except Exception:  # closing a dead connection may fail; nothing to keep
                pass
