"""Periodic background work (bidding's window timers, catalog's agreement clock), written once.

    async def run_timers(service: Service) -> None:                 # a Service background task
        await periodic(lambda: windows.run_due(service.db, clock), every=1.0, name="bidding timers", log=log)

`tick()` runs at once, then `every` seconds after each tick ends, until the task is cancelled (the
service stopping). A failed tick is logged and tried again at the next one: the database may be away
for a moment. The same error failing tick after tick is logged once with its traceback, then with a
count when the count reaches 10, 100, 1000..., and once more when a tick succeeds again; a different
error is logged at once. Cancellation is never logged as a failure and always ends the task, whether
it comes during a tick or between two.

Each loop's state is in `TIMERS[name]` (this process's; /metrics shows it): how late the last tick
started against its schedule (the previous tick's end + `every`: a busy event loop or a blocked
thread shows here), when it started, and how many ticks failed in a row. A loop that acts on
deadlines says how late it met the last one with `deadline_met` (`DEADLINES`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

_log = logging.getLogger("servicekit.tasks")


@dataclass
class TimerState:
    lag: float = 0.0  # seconds the last tick started after it was due
    last_run: float = 0.0  # Unix time the last tick started
    failures: int = 0  # ticks failed in a row


TIMERS: dict[str, TimerState] = {}
DEADLINES: dict[str, float] = {}  # loop -> how late (seconds) the last deadline it acted on was met


def deadline_met(loop: str, due: datetime, now: datetime) -> None:
    """A scheduled-deadline loop (bidding's windows) acted on something due at `due`, at `now`: how late
    that was is the loop's `deadline_lag_seconds` in /metrics (a tick interval at most, when healthy)."""
    DEADLINES[loop] = max(0.0, (now - due).total_seconds())


async def periodic(tick: Callable[[], Awaitable[Any]], *, every: float, name: str,
                   log: logging.Logger = _log) -> None:
    """Runs `tick()` now and every `every` seconds until cancelled; see the module's doc for failures."""
    failures = 0
    last_error = ""
    state = TIMERS[name] = TimerState()
    due = time.monotonic()
    while True:
        state.lag, state.last_run = max(0.0, time.monotonic() - due), time.time()
        try:
            await tick()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 — any failure is retried at the next tick
            error = f"{type(exc).__name__}: {exc}"
            if error != last_error:
                failures = 1
                last_error = error
                log.exception("%s failed; trying again every %gs", name, every)
            else:
                failures += 1
                if _is_power_of_ten(failures):
                    log.error("%s still failing: %d times in a row (%s)", name, failures, error)
        else:
            if failures:
                log.info("%s works again after %d failed tick(s) (%s)", name, failures, last_error)
            failures = 0
            last_error = ""
        state.failures = failures
        due = time.monotonic() + every
        await asyncio.sleep(every)


def _is_power_of_ten(n: int) -> bool:
    while n >= 10 and n % 10 == 0:
        n //= 10
    return n == 1
