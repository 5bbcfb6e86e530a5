"""Rate limits in Redis, shared by every gateway replica.

- Request budgets (fixed one-minute windows, one script call per request):
  GATEWAY_USER_BUDGET_PER_MINUTE per authenticated user,
  GATEWAY_ANON_BUDGET_PER_MINUTE per client IP for everything else.
- Image uploads (same fixed windows): GATEWAY_UPLOADS_PER_MINUTE per user for
  `POST /api/properties/{id}/images`, on top of the request budget (a decode
  costs the property service far more than a request).
- Failed logins (sliding window log, a sorted set per key):
  GATEWAY_LOGIN_FAILURES_PER_ACCOUNT per e-mail (sha256 of the lowercased
  address: no addresses in Redis) and GATEWAY_LOGIN_FAILURES_PER_IP per IP
  within GATEWAY_LOGIN_WINDOW_SECONDS. An attempt is reserved as a failure
  before it is forwarded and released unless auth_service answers 401, so
  parallel guesses cannot slip past the limit; a successful login clears the
  account's failures.

Per-IP keys group an IPv6 client by its /64 (one subscriber usually holds a
whole /64, and would otherwise get 2^64 budgets) and an IPv4-mapped IPv6
address as the IPv4 address (ip_key).

Redis down: request and upload budgets fail open (the request goes through)
and a warning is logged, at most every 10 s per process; /readyz reports Redis
down meanwhile. Budgets protect capacity and a short outage is not worth
refusing all traffic for. The failed-login limit fails CLOSED: a login gets
503 `upstream_unavailable` meanwhile, since unlimited password guesses are
worse than a minute without logins. After a failure Redis is not tried again
for a second so requests do not each wait for a timeout.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import math
import time
import uuid
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from rentezy_platform.redisconf import retrying

logger = logging.getLogger(__name__)

_BUDGET_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""

# KEYS: the sliding-window keys; ARGV: now_ms, window_ms, member, limit per key.
# Returns 0 (reserved: `member` added to every key) or the milliseconds until
# the fullest key has room again (nothing added).
_LOGIN_RESERVE_SCRIPT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[3 + i]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local left = tonumber(oldest[2]) + window - now
    if left > wait then wait = left end
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
end
return 0
"""

OUTAGE_BACKOFF_SECONDS = 1.0
OUTAGE_LOG_EVERY_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Limited:
    retry_after: int  # seconds, >= 1


@dataclass(frozen=True, slots=True)
class LoginReservation:
    member: str
    account_key: str | None
    ip_key: str


class LoginUnavailable:
    """The failed-login limit cannot be checked (Redis down): refuse the login."""


LOGIN_UNAVAILABLE = LoginUnavailable()


@functools.lru_cache(maxsize=4096)
def ip_key(client_ip: str) -> str:
    """The rate-limit identity of a client address: an IPv6 address by its /64,
    an IPv4-mapped one as plain IPv4, anything unparsable as itself."""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _seconds(milliseconds: float) -> int:
    return max(1, math.ceil(milliseconds / 1000))


class RateLimiter:
    def __init__(
        self,
        *,
        redis_url: str,
        prefix: str,
        user_budget: int,
        anon_budget: int,
        login_window: int,
        login_per_account: int,
        login_per_ip: int,
        uploads_per_minute: int = 30,
    ) -> None:
        self.redis = aioredis.Redis.from_url(
            redis_url,
            socket_timeout=0.5,
            socket_connect_timeout=0.5,
            health_check_interval=30,
            **retrying(asyncio=True),
        )
        self.prefix = prefix
        self.user_budget = user_budget
        self.anon_budget = anon_budget
        self.login_window_ms = login_window * 1000
        self.login_per_account = login_per_account
        self.login_per_ip = login_per_ip
        self.uploads_per_minute = uploads_per_minute
        self._budget = self.redis.register_script(_BUDGET_SCRIPT)
        self._login_reserve = self.redis.register_script(_LOGIN_RESERVE_SCRIPT)
        self._down_until = 0.0
        self._last_outage_log = 0.0

    async def aclose(self) -> None:
        await self.redis.aclose()

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _outage(self, exc: Exception) -> None:
        now = time.monotonic()
        self._down_until = now + OUTAGE_BACKOFF_SECONDS
        if now - self._last_outage_log >= OUTAGE_LOG_EVERY_SECONDS:
            self._last_outage_log = now
            logger.warning(
                "Rate limits fail open, logins fail closed: Redis unavailable (%s).",
                exc or type(exc).__name__,
            )

    async def spend_budget(self, *, user_id: str | None, client_ip: str) -> Limited | None:
        """One request against the caller's budget; Limited when it is spent."""
        if user_id:
            return await self._spend(f"{self.prefix}budget:user:{user_id}", self.user_budget)
        return await self._spend(f"{self.prefix}budget:ip:{ip_key(client_ip)}", self.anon_budget)

    async def spend_upload(self, *, user_id: str) -> Limited | None:
        """One image upload against the user's upload budget."""
        return await self._spend(f"{self.prefix}uploads:user:{user_id}", self.uploads_per_minute)

    async def _spend(self, key: str, limit: int) -> Limited | None:
        if not self._available():
            return None
        try:
            count, ttl = await self._budget(keys=[key], args=[60_000])
        except (RedisError, OSError, ValueError, TypeError) as exc:
            self._outage(exc)
            return None
        if int(count) > limit:
            return Limited(retry_after=_seconds(int(ttl)))
        return None

    def _account_key(self, email: str) -> str:
        digest = hashlib.sha256(email.encode()).hexdigest()
        return f"{self.prefix}login:account:{digest}"

    async def reserve_login(
        self, *, email: str | None, client_ip: str
    ) -> Limited | LoginReservation | LoginUnavailable:
        """Reserve one login attempt as a failure (LOGIN_UNAVAILABLE when Redis
        is down: the login is refused)."""
        if not self._available():
            return LOGIN_UNAVAILABLE
        account_key = self._account_key(email) if email else None
        login_ip_key = f"{self.prefix}login:ip:{ip_key(client_ip)}"
        keys = [login_ip_key] + ([account_key] if account_key else [])
        limits = [self.login_per_ip] + ([self.login_per_account] if account_key else [])
        member = uuid.uuid4().hex
        now_ms = int(time.time() * 1000)
        try:
            wait = await self._login_reserve(
                keys=keys, args=[now_ms, self.login_window_ms, member, *limits]
            )
        except (RedisError, OSError, ValueError, TypeError) as exc:
            self._outage(exc)
            return LOGIN_UNAVAILABLE
        if int(wait) > 0:
            return Limited(retry_after=_seconds(int(wait)))
        return LoginReservation(member=member, account_key=account_key, ip_key=login_ip_key)

    async def settle_login(self, reservation: LoginReservation, *, status: int) -> None:
        """A 401 stays counted; a success clears the account; anything else
        (400, 5xx, no answer) is released."""
        if status == 401:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.zrem(reservation.ip_key, reservation.member)
                if reservation.account_key:
                    if 200 <= status < 300:
                        pipe.delete(reservation.account_key)
                    else:
                        pipe.zrem(reservation.account_key, reservation.member)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self._outage(exc)
