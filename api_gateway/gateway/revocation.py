"""Token revocation: the contract between auth_service and the gateway, and the
gateway's subscriber.

Contract (GitHub issue #3; ARCHITECTURE.md "Trust": a logout or revocation is
honoured by the gateway within 2 seconds). When auth_service revokes:

- one access token: `SET rentezy:auth:revoked:<jti> 1 EXAT <exp>` and
  `PUBLISH rentezy:auth:revocations {"jti": "<jti>", "user_id": "<user id>"}`;
- every access token of one session (logout, refresh token reuse; the
  session is the token's `sid` claim, `session_id` in the validation answer):
  `SET rentezy:auth:revoked_session:<sid> 1 EXAT ...` and `PUBLISH
  rentezy:auth:revocations {"sid": "<sid>", "user_id": "<user id>"}`;
- every token of a user issued before an instant (password change, reset,
  deactivation): `SET rentezy:auth:not_before:<user id> <not_before> EXAT ...`
  and `PUBLISH rentezy:auth:revocations {"user_id": "<user id>",
  "not_before": <unix seconds>}`.

A message names one of `jti`, `sid` or `not_before` (logout sends a jti
message and a sid message); one that names several is applied for each.

The names below are the contract; auth_service (users/revocation.py) uses the
same names and strings.

Every gateway process subscribes to the channel and applies each message to
its listeners at once: the token cache evicts what it names (by jti, session,
or the user's entries issued before not_before), and the registry of open
WebSockets (gateway.sockets) closes the sockets it names. While
the subscription is not confirmed (start-up, Redis outage, a dead connection
found by the keep-alive ping), the cache is disabled, so every request is
validated by auth_service; on every (re)subscription the cache starts empty, so
a message missed during a gap can never keep a revoked token alive. Open
WebSockets cannot be told during a gap either: gateway.sockets re-validates
their tokens about every second while it lasts and once after it. The keys
are auth_service's durable record (its /internal/validate refuses those tokens
from its database anyway); the gateway relies on the channel plus validation.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

from gateway.background import BackgroundTask
from gateway.tokens import TokenCache, TokenIdentity

logger = logging.getLogger(__name__)

REVOCATIONS_CHANNEL = "rentezy:auth:revocations"
REVOKED_KEY_PREFIX = "rentezy:auth:revoked:"
NOT_BEFORE_KEY_PREFIX = "rentezy:auth:not_before:"
REVOKED_SESSION_KEY_PREFIX = "rentezy:auth:revoked_session:"

# Seconds between keep-alive pings on an idle subscription, and how long a
# ping may stay unanswered before the connection counts as dead.
PING_INTERVAL = 1.0
PING_DEADLINE = 3.0
RECONNECT_DELAYS = (0.1, 0.25, 0.5, 1.0)


def revoked_key(jti: str) -> str:
    return f"{REVOKED_KEY_PREFIX}{jti}"


def not_before_key(user_id: str) -> str:
    return f"{NOT_BEFORE_KEY_PREFIX}{user_id}"


def revoked_session_key(session_id: str) -> str:
    return f"{REVOKED_SESSION_KEY_PREFIX}{session_id}"


def client_name() -> str:
    """The Redis CLIENT SETNAME of this process's subscription (ops and tests
    find it with CLIENT LIST)."""
    return f"rentezy-gateway-revocations-{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Revocation:
    """What one message revokes: a token (jti), a session (sid), and/or a
    user's tokens issued before `not_before` (`user_wide`; None: all of them)."""

    jti: str | None = None
    session_id: str | None = None
    user_id: str | None = None
    user_wide: bool = False
    not_before: float | None = None

    def covers(self, identity: TokenIdentity) -> bool:
        if self.jti and identity.jti == self.jti:
            return True
        if self.session_id and identity.session_id == self.session_id:
            return True
        if self.user_wide and identity.user_id == self.user_id:
            issued_at = identity.issued_at
            return self.not_before is None or issued_at is None or issued_at < self.not_before
        return False


class RevocationListener(Protocol):
    def revoke(self, revocation: Revocation) -> None: ...


def parse_revocation(payload: bytes | str) -> Revocation | None:
    """The revocation one message names; None (logged) for a malformed one:
    there is nothing safe to guess from it."""
    try:
        message = json.loads(payload)
    except (TypeError, ValueError):
        logger.warning("Ignored a malformed revocation message.")
        return None
    if not isinstance(message, dict):
        logger.warning("Ignored a malformed revocation message.")
        return None
    jti, session_id, user_id = message.get("jti"), message.get("sid"), message.get("user_id")
    jti = jti if isinstance(jti, str) and jti else None
    session_id = session_id if isinstance(session_id, str) and session_id else None
    user_wide = isinstance(user_id, str) and bool(user_id) and "not_before" in message
    not_before = message.get("not_before") if user_wide else None
    if isinstance(not_before, bool) or not isinstance(not_before, (int, float)):
        not_before = None  # unreadable: every token of the user
    if not (jti or session_id or user_wide):
        logger.warning("Ignored a revocation message naming neither a jti, a session nor a user.")
        return None
    return Revocation(
        jti=jti,
        session_id=session_id,
        user_id=user_id if isinstance(user_id, str) else None,
        user_wide=user_wide,
        not_before=not_before,
    )


def evict(cache: TokenCache, revocation: Revocation) -> None:
    if revocation.jti:
        cache.evict_jti(revocation.jti)
    if revocation.session_id:
        cache.evict_session(revocation.session_id)
    if revocation.user_wide and revocation.user_id:
        cache.evict_user(revocation.user_id, not_before=revocation.not_before)


def apply_revocation(
    cache: TokenCache, payload: bytes | str, listeners: Sequence[RevocationListener] = ()
) -> None:
    """Evict what one revocation message names from the cache and tell the
    listeners (the open WebSockets); a malformed one changes nothing."""
    revocation = parse_revocation(payload)
    if revocation is None:
        return
    evict(cache, revocation)
    for listener in listeners:
        listener.revoke(revocation)


class RevocationSubscriber(BackgroundTask):
    """Runs for the life of the process (one task); see the module docstring."""

    task_name = "revocations"

    def __init__(
        self,
        *,
        redis_url: str,
        cache: TokenCache,
        listeners: Sequence[RevocationListener] = (),
    ) -> None:
        self._redis_url = redis_url
        self._cache = cache
        self._listeners = tuple(listeners)
        self.subscribed = asyncio.Event()
        # +1 on every confirmed (re)subscription: whoever could not be told
        # during a gap (gateway.sockets) sees that one happened.
        self.epoch = 0

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
                        self.epoch += 1
                        self.subscribed.set()
                        logger.info("Revocation subscription confirmed; token cache enabled.")
                    elif kind == "message":
                        apply_revocation(self._cache, message["data"], self._listeners)
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
