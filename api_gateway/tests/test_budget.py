"""The request budget of the rate limiter, against the real Redis."""

from __future__ import annotations

import asyncio
import os
import uuid

from gateway.ratelimit import Limited, RateLimiter

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def test_the_budget_counts_and_refuses_within_its_window(redis_client):
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
        )
        try:
            anon = [
                await limiter.spend_budget(user_id=None, client_ip="10.9.8.7") for _ in range(3)
            ]
            user = [
                await limiter.spend_budget(user_id="u-1", client_ip="10.9.8.7") for _ in range(4)
            ]
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
