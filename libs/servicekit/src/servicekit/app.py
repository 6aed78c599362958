"""Composition of a service: FastAPI app + database + Kafka bus + outbox relay + background tasks,
started and stopped by the FastAPI lifespan (FastStream's FastAPI plugin is deprecated).

    service = Service(name="plans", settings=settings, metadata=store.metadata,
                      routers=[api.router], handlers=handlers.handlers, produces=[topics.PLANS])
    app = service.app
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request

from contracts_schema.envelope import Envelope
from contracts_schema.events import Event
from servicekit.auth import TokenVerifier
from servicekit import tracing
from servicekit.bus import BrokerWatch, KafkaBus, KafkaFigures
from servicekit.db import Database
from servicekit.http import RequestContextMiddleware, health_router, install_error_handlers
from servicekit.openapi import describe
from servicekit.inbox import Dispatcher, EventHandlers, Outcome
from servicekit.metrics import Metrics, metrics_router
from servicekit.outbox import OutboxMessage, OutboxRelay
from servicekit.settings import ServiceSettings
from servicekit.tasks import periodic

log = logging.getLogger("servicekit.app")

# How long stopping waits for the broker's clients to close. A producer holding events for a broker that
# is gone waits out its delivery timeout (measured: a SIGTERM took 39 s to end plans), past every
# orchestrator's grace (compose and devstack give 10–15 s) and into a SIGKILL. Nothing is lost by not
# waiting: an event leaves the outbox only once the broker has it, so the next process sends it again.
BUS_CLOSE_SECONDS = 3.0

BackgroundTask = Callable[["Service"], Awaitable[None]]
"""A coroutine function taking the service: long-running (background) or one-shot (on_start/on_stop)."""


class Service:
    def __init__(self, *, name: str, settings: ServiceSettings, metadata: sa.MetaData,
                 routers: Sequence[APIRouter] = (), handlers: EventHandlers | None = None,
                 produces: Sequence[str] = (), background: Sequence[BackgroundTask] = (),
                 on_start: Sequence[BackgroundTask] = (), on_stop: Sequence[BackgroundTask] = (),
                 with_bus: bool = True, title: str | None = None, description: str = "") -> None:
        self.name = name
        self.settings = settings
        self.metadata = metadata
        self.handlers = handlers or EventHandlers()
        self.produces = list(produces)
        self.background = list(background)
        self.on_start = list(on_start)
        self.on_stop = list(on_stop)
        self.db = Database(settings.database_url, metadata=metadata, service=name)
        self.metrics = Metrics(name)
        self.tracing = tracing.configure(name, endpoint=settings.otel_exporter_otlp_endpoint)
        self.bus: KafkaBus | None = None
        self.relay: OutboxRelay | None = None
        if with_bus:
            self.bus = KafkaBus(name, settings.kafka_bootstrap_servers, partitions=settings.kafka_partitions,
                                session_timeout_ms=settings.kafka_session_timeout_ms,
                                fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms)
            self.relay = OutboxRelay(self.db, metadata, self.bus.publish, poll_interval=settings.outbox_poll_interval,
                                     batch_size=settings.outbox_batch_size, lock_name=f"{name}.outbox",
                                     retention=timedelta(days=settings.outbox_retention_days),
                                     on_published=self._count_published)
        self.dispatcher = Dispatcher(name, self.db, self.handlers,
                                     dead_letter=self.bus.dead_letter if self.bus else None,
                                     max_attempts=settings.consumer_max_attempts, backoff=settings.consumer_backoff,
                                     metrics=self.metrics)
        if self.bus and self.handlers:
            self.bus.subscribe(self.dispatcher, self.handlers.topics())
        self.watch: BrokerWatch | None = None
        if self.bus:
            self.watch = BrokerWatch(self.bus, self.relay if settings.outbox_relay_enabled else None, self.produces)
            self.figures = KafkaFigures(self.bus)
            self.metrics.refreshers["outbox"] = self._outbox_figures
            self.metrics.refreshers["broker"] = self._broker_figures
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = False

        self.app = FastAPI(title=title or f"{name} service", description=description, lifespan=self._lifespan,
                           version="1.0.0")
        self.app.state.service = self
        self.app.state.verifier = TokenVerifier(settings.public_key_pem(), issuer=settings.jwt_issuer,
                                                audience=settings.jwt_audience)
        self.app.add_middleware(RequestContextMiddleware, metrics=self.metrics)
        install_error_handlers(self.app)
        describe(self.app)
        self.app.include_router(health_router(self))
        self.app.include_router(metrics_router(self.metrics))
        for router in routers:
            self.app.include_router(router)

    @asynccontextmanager
    async def _lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def start(self) -> None:
        await self.db.ping()
        for hook in self.on_start:
            await hook(self)
        if self.bus:
            await self.bus.start(self.produces, timeout=self.settings.startup_timeout)
            assert self.watch is not None
            self._spawn(self.watch.run(every=self.settings.broker_check_interval), "broker watch")
            if self.relay and self.settings.outbox_relay_enabled:
                self._spawn(self.relay.run(), "outbox relay")
                relay = self.relay
                self._spawn(periodic(relay.prune, every=3600, name="outbox retention", log=log), "outbox retention")
        for task in self.background:
            self._spawn(task(self), getattr(task, "__name__", "background task"))
        # The API document is built now, not at its first request: ~0.2 s of CPU, which on a busy machine
        # outlasted the gateway's 3 s fetch of it, and /docs then lacked this service's routes.
        self.app.openapi()
        self.ready = True
        log.info("%s started", self.name, extra={"consumes": self.handlers.topics(), "produces": self.produces})

    async def stop(self) -> None:
        self.ready = False
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for hook in self.on_stop:
            await hook(self)
        if self.bus:
            try:
                await asyncio.wait_for(self._close_bus(), timeout=BUS_CLOSE_SECONDS)
            except TimeoutError:
                log.warning("the broker's clients did not close within %g s (is the broker gone?); stopping "
                            "without them: unsent events stay in the outbox for the next start", BUS_CLOSE_SECONDS)
        await self.db.dispose()
        if self.tracing:
            tracing.shutdown()

    async def _close_bus(self) -> None:
        await self.figures.close()
        await self.bus.close()

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s stopped with an error", name)
                raise
        self._tasks.append(asyncio.create_task(guarded(), name=name))

    def _count_published(self, messages: list[OutboxMessage]) -> None:
        for message in messages:
            self.metrics.events_published.labels(message.topic).inc()

    async def _outbox_figures(self) -> None:
        assert self.relay is not None
        waiting, oldest = await self.relay.waiting()
        self.metrics.outbox_waiting.set(waiting)
        self.metrics.outbox_oldest_age.set(oldest)

    async def _broker_figures(self) -> None:
        sizes, lag = await self.figures.read()
        for topic, size in sizes.items():
            self.metrics.dlq_size.labels(topic).set(size)
        self.metrics.consumer_lag.clear()
        for (topic, partition), behind in lag.items():
            self.metrics.consumer_lag.labels(topic, str(partition)).set(behind)

    async def readiness(self) -> dict[str, str | None]:
        """Every check of /readyz: None when it passes, else what is wrong, in Chinese."""
        checks: dict[str, str | None] = {"started": None if self.ready else "服务尚未启动完成"}
        try:
            await self.db.ping()
            checks["database"] = None
        except Exception:  # noqa: BLE001
            checks["database"] = "数据库无法连接"
        if self.bus:
            # what the broker watch saw at most a second ago: /readyz never waits for a broker away
            checks["broker"] = self.watch.problem if self.watch else None
            if self.handlers:
                checks["consumer"] = self.bus.consumer_problem()
            if self.watch and self.watch.relay is not None:
                relay_error = self.watch.problem or self.watch.relay.publish_error
                checks["relay"] = f"发件箱无法发布事件：{relay_error}" if relay_error else None
        checks["tasks"] = None if all(not t.done() for t in self._tasks) else "后台任务已停止"
        return checks

    async def dispatch(self, event: Event, envelope: Envelope | None = None, *, topic: str | None = None) -> Outcome:
        """Hands an event to this service's handler as the bus would (tests, replays from the DLQ)."""
        from contracts_schema.envelope import encode_headers

        envelope = envelope or Envelope(type=event.ce_type(), source="/test", subject=event.aggregate_id, sequence=1)
        return await self.dispatcher.deliver(topic or event.topic(), event.aggregate_id, encode_headers(envelope),
                                             event.model_dump_json().encode())


# `async def`, though they await nothing: FastAPI runs a plain `def` dependency in its thread pool, a
# thread hop on every request (bench/service_cpu.py).
async def get_service(request: Request) -> Service:
    return request.app.state.service


async def get_db(request: Request) -> Database:
    return request.app.state.service.db


ServiceDep = Annotated[Service, Depends(get_service)]
DB = Annotated[Database, Depends(get_db)]


def settings_of(request: Request) -> Any:
    return request.app.state.service.settings
