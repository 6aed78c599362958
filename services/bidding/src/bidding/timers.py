"""The timers of bidding: open secondary-bidding windows at their start, close them at their end.

They run inside the service as a background task and keep no state of their own: the due projects
are read from the database at every tick, so a restart loses nothing, and a window that ended while
the service was down closes at start-up (before the service answers a request). Two replicas on
PostgreSQL claim due projects with FOR UPDATE SKIP LOCKED: a window opens once and closes once."""

from __future__ import annotations

import logging

from bidding import windows
from servicekit.app import Service
from servicekit.tasks import periodic

log = logging.getLogger("bidding.timers")


async def catch_up(service: Service) -> None:
    """At start-up: act on every window that came due while the service was down."""
    done = await windows.run_due(service.db, service.app.state.clock)
    if done:
        log.info("acted on %d window(s) that came due while the service was down", done)


async def run_timers(service: Service) -> None:
    """Background task: looks for due windows every BIDDING_TIMER_INTERVAL seconds until cancelled
    (a failed tick is logged and tried again at the next: servicekit.tasks.periodic)."""
    await periodic(lambda: windows.run_due(service.db, service.app.state.clock),
                   every=service.settings.bidding_timer_interval, name="bidding timer tick", log=log)
