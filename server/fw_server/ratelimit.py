"""Per-user rate limits in fixed windows: ``INCR fw:rl:{user}:{window}`` with an expiry in Redis, so every
service process counts against the same budget; an in-process counter when there is no Redis (one process).

On Redis one hit is one round trip and one command: a small Lua script INCRs the counter and sets its expiry
when it creates it (``EVALSHA``; redis-py loads the script again after a Redis restart)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RateLimiter:
    """``await hit(user)`` -> None when allowed, else the seconds until the window resets (for Retry-After)."""

    def __init__(self, limit: int, window_s: int, redis_url: str | None = None,
                 clock: Callable[[], float] = time.time, prefix: str = "fw:rl"):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._prefix = prefix
        self._redis: Any = None
        if redis_url:
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
            self._script = self._redis.register_script(_HIT)
        self._local: dict[tuple[str, int], int] = {}

    async def hit(self, user: str) -> int | None:
        now = self._clock()
        window = int(now // self.window_s)
        retry_after = max(1, math.ceil((window + 1) * self.window_s - now))
        if self._redis is not None:
            key = f"{self._prefix}:{user}:{window}"
            count = await self._script(keys=[key], args=[self.window_s + 1])
        else:
            key2 = (user, window)
            count = self._local[key2] = self._local.get(key2, 0) + 1
            if len(self._local) > 10_000:  # forget past windows
                self._local = {k: v for k, v in self._local.items() if k[1] >= window}
        return retry_after if count > self.limit else None

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
