"""Metrics of one process in the Prometheus text format (`prometheus-client`), served at /metrics.

Each process has its own registry (`Metrics.registry`), so two services in one test process do not
mix their figures, and the scraper sees one set per process (Prometheus adds `job` and `instance`):

    http_requests_total{route,method,status}          requests answered, by route *template*
    http_request_duration_seconds{route,method}       latency histogram
    events_consumed_total{type,outcome}               handled | duplicate | ignored | dead_lettered
    events_failed_total{type}                         handler attempts that raised (each is retried)
    events_published_total{topic}                     records the outbox relay published
    outbox_waiting                                    outbox rows not published yet
    outbox_oldest_waiting_age_seconds                 how long the oldest of them has waited (0: none)
    dlq_size                                          records on this service's dead-letter topic
    consumer_lag{topic,partition}                     end offset - committed offset of the service's group
    timer_lag_seconds{timer}                          how late the last tick of a periodic task started
    timer_last_run_timestamp_seconds{timer}, timer_consecutive_failures{timer}

The hot path (one request, one event) only bumps counters whose labelled children are cached; what
needs the database or the broker (outbox, DLQ, lag) is read when /metrics is scraped, by the
`refreshers` the service registers, each bounded by a timeout. A refresher that fails leaves its
figures as they were and counts `metrics_refresh_errors_total{part}`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.gc_collector import GCCollector
from prometheus_client.process_collector import ProcessCollector

log = logging.getLogger("servicekit.metrics")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
UNMATCHED = "unmatched"
REFRESH_TIMEOUT = 5.0

Refresher = Callable[[], Awaitable[None]]


def route_template(scope: dict) -> str:
    """The template of the route that answered (`/api/v1/plans/{plan_id}`), never the raw path: one
    series per route, whatever ids callers send."""
    route = scope.get("route")
    return getattr(route, "path_format", None) or getattr(route, "path", None) or UNMATCHED


def consumer_lag(end: int, committed: int | None, beginning: int = 0) -> int:
    """Records of a partition the group has still to read. The embedded broker can report an end offset
    one short right after a multi-record produce (README, its differences): never below 0."""
    start = committed if committed is not None and committed >= 0 else beginning
    return max(0, end - start)


class Metrics:
    def __init__(self, process: str, *, process_collectors: bool = True) -> None:
        self.process = process
        self.registry = registry = CollectorRegistry(auto_describe=True)
        if process_collectors:
            ProcessCollector(registry=registry)
            GCCollector(registry=registry)
        self.requests = Counter("http_requests", "HTTP requests answered, by route template, method and status",
                                ["route", "method", "status"], registry=registry)
        self.latency = Histogram("http_request_duration_seconds", "Time to answer an HTTP request",
                                 ["route", "method"], buckets=LATENCY_BUCKETS, registry=registry)
        self.events_consumed = Counter("events_consumed", "Events delivered to this service, by type and outcome",
                                       ["type", "outcome"], registry=registry)
        self.events_failed = Counter("events_failed", "Handler attempts that failed (retried, then parked)",
                                     ["type"], registry=registry)
        self.events_published = Counter("events_published", "Records the outbox relay published",
                                        ["topic"], registry=registry)
        self.outbox_waiting = Gauge("outbox_waiting", "Outbox rows not yet published", registry=registry)
        self.outbox_oldest_age = Gauge("outbox_oldest_waiting_age_seconds",
                                       "Age of the oldest outbox row not yet published (0 when none)",
                                       registry=registry)
        self.dlq_size = Gauge("dlq_size", "Records on this service's dead-letter topic", ["topic"],
                              registry=registry)
        self.consumer_lag = Gauge("consumer_lag", "Records the service's consumer group has still to read",
                                  ["topic", "partition"], registry=registry)
        self.timer_lag = Gauge("timer_lag_seconds", "How late the last tick of a periodic task started",
                               ["timer"], registry=registry)
        self.timer_last_run = Gauge("timer_last_run_timestamp_seconds", "When the last tick of a periodic task "
                                    "started (Unix time)", ["timer"], registry=registry)
        self.timer_failures = Gauge("timer_consecutive_failures", "Ticks of a periodic task failed in a row",
                                    ["timer"], registry=registry)
        self.refresh_errors = Counter("metrics_refresh_errors", "Scrapes that could not read a figure",
                                      ["part"], registry=registry)
        self.refreshers: dict[str, Refresher] = {}
        self._http: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._consumed: dict[tuple[str, str], Any] = {}

    # -- the hot path ------------------------------------------------------------------------------
    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._http.get(key)
        if children is None:
            if method not in METHODS:
                method = "other"
            children = self._http[key] = (self.requests.labels(route, method, str(status)),
                                          self.latency.labels(route, method))
        children[0].inc()
        children[1].observe(seconds)

    def event_outcome(self, ce_type: str, outcome: str) -> None:
        key = (ce_type, outcome)
        child = self._consumed.get(key)
        if child is None:
            child = self._consumed[key] = self.events_consumed.labels(ce_type, outcome)
        child.inc()

    # -- at scrape time ----------------------------------------------------------------------------
    async def refresh(self) -> None:
        from servicekit.tasks import TIMERS

        for name, state in list(TIMERS.items()):
            self.timer_lag.labels(name).set(state.lag)
            self.timer_last_run.labels(name).set(state.last_run)
            self.timer_failures.labels(name).set(state.failures)
        for part, refresher in self.refreshers.items():
            try:
                await asyncio.wait_for(refresher(), timeout=REFRESH_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 — the rest of /metrics is still worth serving
                self.refresh_errors.labels(part).inc()
                log.debug("metrics: %s could not be read: %s", part, exc)

    async def render(self) -> bytes:
        await self.refresh()
        return generate_latest(self.registry)


def metrics_router(metrics: Metrics) -> APIRouter:
    """GET /metrics, without login (scraped on the internal network; the gateway never passes a
    service's /metrics through: services' paths are under /api/v1)."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        return Response(await metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router

