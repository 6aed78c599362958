"""Where the limits live: in-process, and in Redis shared by every replica (with the fall-back when
Redis does not answer)."""

from __future__ import annotations

from devstack.broker import free_port
from gateway.domain import MICROS, Limit
from gateway.ratelimit import MemoryLimiter, RedisLimiter

T0 = 1_700_000_000 * MICROS


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


async def test_in_process_limits_count_per_key():
    clock = Clock()
    limiter = MemoryLimiter(clock=clock)
    limit = Limit(per_second=1, burst=2)
    assert [(await limiter.hit("user:a", limit)).allowed for _ in range(3)] == [True, True, False]
    assert (await limiter.hit("user:b", limit)).allowed
    clock.now += MICROS
    assert (await limiter.hit("user:a", limit)).allowed


async def test_in_process_state_forgets_users_who_are_back_to_a_full_burst():
    clock = Clock()
    limiter = MemoryLimiter(clock=clock, prune_above=10)
    limit = Limit(per_second=10, burst=5)
    for i in range(11):
        await limiter.hit(f"user:{i}", limit)
    clock.now += MICROS  # everyone's TAT has passed
    assert len(limiter._tat) == 11  # all still matter
    await limiter.hit("user:new", limit)
    assert set(limiter._tat) == {"user:new"}


async def test_redis_counts_like_the_domain_rule(redis_url, redis_prefix):
    limiter = RedisLimiter(redis_url, prefix=redis_prefix)
    limit = Limit(per_second=0.5, burst=3)
    try:
        decisions = [await limiter.hit("user:a", limit) for _ in range(4)]
        assert [d.allowed for d in decisions] == [True, True, True, False]
        assert [d.remaining for d in decisions] == [2, 1, 0, 0]
        assert 0 < decisions[3].retry_after_us <= limit.interval_us
        assert decisions[3].retry_after_seconds == 2
        assert (await limiter.hit("user:b", limit)).allowed
        ttl = await limiter.redis.call("PTTL", redis_prefix + "user:a")
        assert 0 < ttl <= 3 * limit.interval_us // 1000 + 1  # the key goes away once it no longer matters
    finally:
        await limiter.redis.call("DEL", redis_prefix + "user:a", redis_prefix + "user:b")
        await limiter.close()


async def test_two_replicas_share_one_budget(redis_url, redis_prefix):
    replica_a = RedisLimiter(redis_url, prefix=redis_prefix)
    replica_b = RedisLimiter(redis_url, prefix=redis_prefix)
    limit = Limit(per_second=0.1, burst=4)
    try:
        answers = []
        for i in range(6):
            replica = replica_a if i % 2 == 0 else replica_b
            answers.append((await replica.hit("user:a", limit)).allowed)
        assert answers == [True, True, True, True, False, False]
    finally:
        await replica_a.redis.call("DEL", redis_prefix + "user:a")
        await replica_a.close()
        await replica_b.close()


async def test_when_redis_does_not_answer_limits_are_counted_in_process(caplog):
    fallback = MemoryLimiter()
    limiter = RedisLimiter(f"redis://127.0.0.1:{free_port()}/0", prefix="x:", fallback=fallback, cooldown=60)
    limit = Limit(per_second=1, burst=2)
    try:
        answers = [(await limiter.hit("user:a", limit)).allowed for _ in range(3)]
        assert answers == [True, True, False]  # still limited, by this process
        assert "user:a" in fallback._tat
        warnings = [r for r in caplog.records if r.name == "gateway.ratelimit"]
        assert len(warnings) == 1 and "does not answer" in warnings[0].getMessage()  # once per cool-down
    finally:
        await limiter.close()
