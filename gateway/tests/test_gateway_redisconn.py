"""The lean Redis connection of the rate limits: pipelined calls answered in order, a connection lost
and found again, a silent server, the script loaded when Redis has forgotten it."""

from __future__ import annotations

import asyncio
import uuid

import hiredis
import pytest

from devstack.broker import free_port
from gateway.domain import Limit
from gateway.ratelimit import GCRA_SHA, RedisLimiter
from gateway.redisconn import RedisConnection, RedisUnavailable, ReplyError


async def test_pipelined_calls_each_get_their_own_answer(redis_url, redis_prefix):
    redis = RedisConnection(redis_url)
    key = redis_prefix + "counter"
    try:
        answers = await asyncio.gather(*(redis.call("INCR", key) for _ in range(200)))
        assert sorted(answers) == list(range(1, 201))
        assert await redis.call("GET", key) == b"200"
        with pytest.raises(ReplyError, match="WRONGTYPE"):
            await redis.call("LPUSH", key, "x")
        assert await redis.call("PING") == b"PONG"  # an error answer leaves the connection usable
    finally:
        await redis.call("DEL", key)
        await redis.close()


async def test_a_lost_connection_is_made_again_on_the_next_call(redis_url):
    redis = RedisConnection(redis_url)
    try:
        assert await redis.call("PING") == b"PONG"
        redis._pipeline.transport.abort()
        await asyncio.sleep(0)  # let the loop deliver connection_lost
        assert await redis.call("PING") == b"PONG"
    finally:
        await redis.close()


class FakeRedis:
    """A server that speaks just enough RESP: `answers` maps a command name to its reply bytes; a
    command not in it gets no answer at all."""

    def __init__(self, answers: dict[bytes, list[bytes]]) -> None:
        self.answers = answers
        self.commands: list[list[bytes]] = []
        self.port = free_port()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        parser = hiredis.Reader()
        while data := await reader.read(65536):
            parser.feed(data)
            while (command := parser.gets()) is not False:
                self.commands.append(command)
                replies = self.answers.get(command[0].upper())
                if replies:
                    writer.write(replies.pop(0) if len(replies) > 1 else replies[0])
        writer.close()

    async def __aenter__(self) -> FakeRedis:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()


async def test_a_server_that_stays_silent_fails_the_call_in_time():
    async with FakeRedis({}) as fake:
        redis = RedisConnection(f"redis://127.0.0.1:{fake.port}/0", timeout=0.2)
        with pytest.raises(RedisUnavailable, match="no answer within"):
            await redis.call("PING")
        await redis.close()


async def test_the_script_is_sent_again_when_redis_forgot_it():
    answers = {b"EVALSHA": [b"-NOSCRIPT No matching script. Please use EVAL.\r\n"],
               b"EVAL": [b"*3\r\n:1\r\n:0\r\n:4\r\n"]}
    async with FakeRedis(answers) as fake:
        limiter = RedisLimiter(f"redis://127.0.0.1:{fake.port}/0", prefix="p:")
        decision = await limiter.hit("user:a", Limit(1, 5))
        await limiter.close()
    assert decision.allowed and decision.remaining == 4
    assert [c[0] for c in fake.commands] == [b"EVALSHA", b"EVAL"]
    assert fake.commands[0][1].decode() == GCRA_SHA and fake.commands[0][3] == b"p:user:a"


async def test_password_and_database_from_the_url_are_used_at_connect():
    async with FakeRedis({b"AUTH": [b"+OK\r\n"], b"SELECT": [b"+OK\r\n"], b"PING": [b"+PONG\r\n"]}) as fake:
        redis = RedisConnection(f"redis://gw:s%40cret@127.0.0.1:{fake.port}/3")
        assert await redis.call("PING") == b"PONG"
        await redis.close()
    assert fake.commands == [[b"AUTH", b"gw", b"s@cret"], [b"SELECT", b"3"], [b"PING"]]


async def test_a_wrong_password_falls_back_to_counting_in_process(redis_url):
    limiter = RedisLimiter(redis_url.replace("redis://", f"redis://:{uuid.uuid4().hex}@"), prefix="x:")
    try:
        assert (await limiter.hit("user:a", Limit(1, 1))).allowed
        assert not (await limiter.hit("user:a", Limit(1, 1))).allowed
    finally:
        await limiter.close()


def test_only_plain_redis_urls():
    with pytest.raises(ValueError):
        RedisConnection("rediss://127.0.0.1:6380/0")
