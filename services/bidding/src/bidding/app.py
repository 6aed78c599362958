"""Composition of the bidding service: routes, event handlers, timers."""

from __future__ import annotations

from contracts_schema import topics
from contracts_schema.types import utcnow
from servicekit.app import Service

from bidding import api, domain, ledger_api, quotes, store, summaries, timers
from bidding.handlers import build_handlers
from bidding.settings import Settings


def build(settings: Settings, *, with_bus: bool = True, clock: domain.Clock = utcnow,
          with_timers: bool = True) -> Service:
    """`clock` is the server's clock (tests pass one they move by hand); `with_timers=False` leaves the
    windows to explicit `windows.run_due` calls (tests)."""
    service = Service(name="bidding", settings=settings, metadata=store.metadata, routers=[api.router, ledger_api.router],
                      handlers=build_handlers(clock), produces=[topics.BIDDING], with_bus=with_bus,
                      on_start=[_open_connections, timers.catch_up] if with_timers else [],
                      background=[timers.run_timers, summaries.run_summaries] if with_timers else [],
                      title="bidding service",
                      description="Projects: direct selection (直接选定) and secondary bidding (二次竞价), quotes, "
                                  "results, announcements")
    service.app.state.clock = clock
    service.app.state.calendar = settings.working_calendar()
    _window_bounds_in_schema(service.app, settings)
    return service


async def _open_connections(service: Service) -> None:
    await quotes.open_connections(service.db)


def _window_bounds_in_schema(app, settings: Settings) -> None:
    """The request models can only say the longest window any configuration allows; the API schema says
    this deployment's bounds (BIDDING_MIN_DURATION_SECONDS, BIDDING_MAX_DURATION_SECONDS)."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            models = generate()["components"]["schemas"]
            for model in ("WindowIn", "PreviewIn"):
                field = models[model]["properties"]["duration_seconds"]
                for option in field.get("anyOf", [field]):
                    if option.get("type") == "integer":
                        option.update(minimum=settings.bidding_min_duration_seconds,
                                      maximum=settings.bidding_max_duration_seconds)
        return app.openapi_schema

    app.openapi = openapi
