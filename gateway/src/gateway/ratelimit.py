"""Where the rate-limit state lives: in this process, or in Redis shared by every gateway replica.

Production runs several gateway replicas behind a load balancer: a per-process count would let a user
send N times the limit (and make the answer depend on which replica a request lands on), so the state
is in Redis, changed by one atomic script (one round trip, no read-modify-write race between replicas,
Redis's own clock so replicas' clocks need not agree). The embedded default runs one replica and no
Redis: the same arithmetic in-process. If Redis stops answering, the gateway does not stop with it:
it counts in-process (per replica, so limits get looser, never stricter) and tries Redis again after a
short cool-down."""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Protocol

from gateway.domain import Decision, Limit, gcra
from gateway.redisconn import RedisUnavailable, ReplyError, connect

log = logging.getLogger("gateway.ratelimit")


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: Limit) -> Decision: ...

    async def close(self) -> None: ...


def _now_us() -> int:
    return time.time_ns() // 1000


class MemoryLimiter:
    """Per-process state: {key: TAT}. Keys whose TAT has passed are dropped (they are back to a full
    burst anyway), so memory follows the number of recently active users."""

    def __init__(self, clock=_now_us, prune_above: int = 50_000) -> None:
        self.clock = clock
        self.prune_above = prune_above
        self._tat: dict[str, int] = {}

    async def hit(self, key: str, limit: Limit) -> Decision:
        now = self.clock()
        decision = gcra(self._tat.get(key), now, limit)
        if decision.allowed:
            self._tat[key] = decision.tat_us
            if len(self._tat) > self.prune_above:
                self._tat = {k: tat for k, tat in self._tat.items() if tat > now}
        return decision

    async def close(self) -> None:
        self._tat.clear()


# The arithmetic of gateway.domain.gcra, in Redis: KEYS[1] holds the TAT in microseconds.
# Numbers are formatted with %d: Lua's default conversion keeps only 14 digits.
GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = now
local stored = redis.call('GET', KEYS[1])
if stored then tat = math.max(tonumber(stored), now) end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then
  return {0, allow_at - now, 0}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.max(1, math.ceil((new_tat - now) / 1000)))
return {1, 0, math.floor((now - allow_at) / interval)}
"""


GCRA_SHA = hashlib.sha1(GCRA_LUA.encode()).hexdigest()


class RedisLimiter:
    """Shared state in Redis; falls back to `fallback` while Redis does not answer."""

    def __init__(self, url: str, *, prefix: str = "gateway:rl:", fallback: RateLimiter | None = None,
                 timeout: float = 0.25, cooldown: float = 5.0) -> None:
        self.url = url
        self.prefix = prefix
        self.fallback = fallback or MemoryLimiter()
        self.cooldown = cooldown
        self.redis = connect(url, timeout=timeout)  # the lean client for redis://, redis-py for TLS, Sentinel
        self._skip_until = 0.0

    async def _script(self, key: str, limit: Limit) -> list[int]:
        args = (self.prefix + key, limit.interval_us, limit.burst)
        try:
            return await self.redis.call("EVALSHA", GCRA_SHA, 1, *args)
        except ReplyError as error:
            if not str(error).startswith("NOSCRIPT"):
                raise
            return await self.redis.call("EVAL", GCRA_LUA, 1, *args)  # Redis keeps it for the next EVALSHA

    async def hit(self, key: str, limit: Limit) -> Decision:
        if time.monotonic() < self._skip_until:
            return await self.fallback.hit(key, limit)
        try:
            allowed, retry_after_us, remaining = await self._script(key, limit)
        except (RedisUnavailable, ReplyError, OSError) as exc:
            self._skip_until = time.monotonic() + self.cooldown
            log.warning("rate limits: Redis at %s does not answer (%s); counting in this process for %gs",
                        self.url.rpartition("@")[2], exc, self.cooldown)
            return await self.fallback.hit(key, limit)
        return Decision(bool(allowed), 0, int(retry_after_us), int(remaining))

    async def close(self) -> None:
        await self.redis.close()
        await self.fallback.close()


def make_limiter(redis_url: str | None, prefix: str) -> RateLimiter:
    return RedisLimiter(redis_url, prefix=prefix) if redis_url else MemoryLimiter()

