"""Composition of the bidding service: routes, event handlers, timers."""

from __future__ import annotations

from contracts_schema import topics
from contracts_schema.types import utcnow
from servicekit.app import Service

from bidding import api, domain, store, timers
from bidding.handlers import build_handlers
from bidding.settings import Settings


def build(settings: Settings, *, with_bus: bool = True, clock: domain.Clock = utcnow,
          with_timers: bool = True) -> Service:
    """`clock` is the server's clock (tests pass one they move by hand); `with_timers=False` leaves the
    windows to explicit `windows.run_due` calls (tests)."""
    service = Service(name="bidding", settings=settings, metadata=store.metadata, routers=[api.router],
                      handlers=build_handlers(clock), produces=[topics.BIDDING], with_bus=with_bus,
                      on_start=[timers.catch_up] if with_timers else [],
                      background=[timers.run_timers] if with_timers else [],
                      title="bidding service",
                      description="Projects: direct selection (直接选定) and secondary bidding (二次竞价), quotes, "
                                  "results, announcements")
    service.app.state.clock = clock
    return service
