"""periodic(): ticks until cancelled, logs a repeated failure with a count (not one line a tick), and
ends cleanly when cancelled during a tick or between two."""

from __future__ import annotations

import asyncio
import logging

import pytest

from servicekit.tasks import periodic

log = logging.getLogger("kit.periodic")


async def run_until(task: asyncio.Task, done: asyncio.Event) -> None:
    await asyncio.wait_for(done.wait(), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def stay(done: asyncio.Event) -> None:
    """The last tick of a test: says so and waits to be cancelled (no tick after it)."""
    done.set()
    await asyncio.Event().wait()


async def test_it_ticks_again_and_again(caplog) -> None:
    ticks: list[int] = []
    done = asyncio.Event()

    async def tick() -> None:
        ticks.append(1)
        if len(ticks) == 5:
            await stay(done)

    await run_until(asyncio.create_task(periodic(tick, every=0, name="kit tick", log=log)), done)
    assert len(ticks) == 5
    assert [r for r in caplog.records if r.name == "kit.periodic"] == []


async def test_the_same_error_tick_after_tick_is_logged_with_a_count(caplog) -> None:
    caplog.set_level(logging.INFO, logger="kit.periodic")
    calls = 0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal calls
        calls += 1
        if calls <= 120:
            raise ConnectionError("database away")
        if calls == 123:
            raise ValueError("another error")
        if calls == 125:
            await stay(done)

    await run_until(asyncio.create_task(periodic(tick, every=0, name="kit tick", log=log)), done)
    lines = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records if r.name == "kit.periodic"]
    assert lines == [
        ("ERROR", "kit tick failed; trying again every 0s", True),
        ("ERROR", "kit tick still failing: 10 times in a row (ConnectionError: database away)", False),
        ("ERROR", "kit tick still failing: 100 times in a row (ConnectionError: database away)", False),
        ("INFO", "kit tick works again after 120 failed tick(s) (ConnectionError: database away)", False),
        ("ERROR", "kit tick failed; trying again every 0s", True),
        ("INFO", "kit tick works again after 1 failed tick(s) (ValueError: another error)", False),
    ]


async def test_a_different_error_is_logged_at_once(caplog) -> None:
    calls = 0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal calls
        calls += 1
        if calls == 5:
            await stay(done)
        raise (ConnectionError if calls % 2 else TimeoutError)("away")

    await run_until(asyncio.create_task(periodic(tick, every=0, name="kit tick", log=log)), done)
    failures = [r for r in caplog.records if r.name == "kit.periodic"]
    assert len(failures) == 4 and all(r.exc_info for r in failures)


async def test_cancelled_during_a_tick_it_ends_without_logging_a_failure(caplog) -> None:
    started, never = asyncio.Event(), asyncio.Event()

    async def slow_tick() -> None:
        started.set()
        await never.wait()

    task = asyncio.create_task(periodic(slow_tick, every=3600, name="kit tick", log=log))
    await run_until(task, started)
    assert task.cancelled()
    assert [r for r in caplog.records if r.name == "kit.periodic"] == []


async def test_cancelled_between_ticks_it_ends(caplog) -> None:
    ticked = asyncio.Event()

    async def tick() -> None:
        ticked.set()

    task = asyncio.create_task(periodic(tick, every=3600, name="kit tick", log=log))  # asleep after one tick
    await run_until(task, ticked)
    assert task.cancelled()
