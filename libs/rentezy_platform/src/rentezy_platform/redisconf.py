"""How every Redis client of the platform survives a Redis restart.

After a restart each pooled connection is dead, and redis-py fails the first
command sent on one. With `retrying()` a command that meets a closed
connection reconnects and is sent again (up to 3 times, 50 ms doubling to
1 s), so the first request after a restart does not fail:
tests/reliability/test_redis_restart.py.

    redis.Redis.from_url(url, socket_timeout=2, **retrying())
    redis.asyncio.Redis.from_url(url, **retrying(asyncio=True))

Only connection errors are retried: a timeout may mean the command ran.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry

RETRIES = 3


def retrying(*, asyncio: bool = False) -> dict[str, Any]:
    backoff = ExponentialBackoff(cap=1.0, base=0.05)
    retry = AsyncRetry(backoff, RETRIES) if asyncio else Retry(backoff, RETRIES)
    return {"retry": retry, "retry_on_error": [RedisConnectionError]}
