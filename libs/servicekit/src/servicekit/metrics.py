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
    deadline_lag_seconds{loop}                        how late the last deadline a loop acted on was met

The hot path (one request, one event) only bumps counters whose labelled children are cached; what
needs the database or the broker (outbox, DLQ, lag) is read when /metrics is scraped, by the
`refreshers` the service registers, each bounded by a timeout. A refresher that fails leaves its
figures as they were and counts `metrics_refresh_errors_total{part}`.
"""

from __future__ import annotations

import asyncio
import logging
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
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
        self.requests = RequestStats()
        registry.register(self.requests)
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
        self.deadline_lag = Gauge("deadline_lag_seconds", "How late a scheduled-deadline loop met the last "
                                  "deadline it acted on (a bidding window opened or closed)", ["loop"],
                                  registry=registry)
        self.timer_failures = Gauge("timer_consecutive_failures", "Ticks of a periodic task failed in a row",
                                    ["timer"], registry=registry)
        self.refresh_errors = Counter("metrics_refresh_errors", "Scrapes that could not read a figure",
                                      ["part"], registry=registry)
        self.refreshers: dict[str, Refresher] = {}
        self._consumed: dict[tuple[str, str], Any] = {}

    # -- the hot path ------------------------------------------------------------------------------
    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.observe(route, method, status, seconds)

    def event_outcome(self, ce_type: str, outcome: str) -> None:
        key = (ce_type, outcome)
        child = self._consumed.get(key)
        if child is None:
            child = self._consumed[key] = self.events_consumed.labels(ce_type, outcome)
        child.inc()

    # -- at scrape time ----------------------------------------------------------------------------
    async def refresh(self) -> None:
        from servicekit.tasks import DEADLINES, TIMERS

        for name, state in list(TIMERS.items()):
            self.timer_lag.labels(name).set(state.lag)
            self.timer_last_run.labels(name).set(state.last_run)
            self.timer_failures.labels(name).set(state.failures)
        for loop, late in list(DEADLINES.items()):
            self.deadline_lag.labels(loop).set(late)
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


class RequestStats:
    """`http_requests_total` and `http_request_duration_seconds` as plain numbers, turned into metric
    families only when scraped: an observation is a dict look-up, a bisect and two additions (about a
    fifth of a prometheus-client Counter.inc + Histogram.observe, which take a lock each). Observed and
    collected on the event loop's thread only (the ASGI middleware, the /metrics endpoint)."""

    def __init__(self) -> None:
        # (route, method, status) -> [count per bucket (the last is +Inf)..., sum of seconds]
        self.series: dict[tuple[str, str, int], list[float]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        counts = self.series.get((route, method, status))
        if counts is None:
            if method not in METHODS:
                method = "other"
            counts = self.series.setdefault((route, method, status), [0.0] * (len(LATENCY_BUCKETS) + 2))
        counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        counts[-1] += seconds

    def collect(self) -> Iterator[Any]:
        requests = CounterMetricFamily("http_requests", "HTTP requests answered, by route template, method and "
                                       "status", labels=["route", "method", "status"])
        latency = HistogramMetricFamily("http_request_duration_seconds", "Time to answer an HTTP request",
                                        labels=["route", "method"])
        by_route: dict[tuple[str, str], list[float]] = {}
        for (route, method, status), counts in list(self.series.items()):
            requests.add_metric([route, method, str(status)], sum(counts[:-1]))
            total = by_route.setdefault((route, method), [0.0] * len(counts))
            for i, n in enumerate(counts):
                total[i] += n
        for (route, method), counts in by_route.items():
            cumulative, buckets = 0.0, []
            for bound, n in zip((*map(str, LATENCY_BUCKETS), "+Inf"), counts[:-1], strict=True):
                cumulative += n
                buckets.append((bound, cumulative))
            latency.add_metric([route, method], buckets, counts[-1])
        yield requests
        yield latency

    def describe(self) -> list[Any]:
        return []


def metrics_router(metrics: Metrics) -> APIRouter:
    """GET /metrics, without login (scraped on the internal network; the gateway never passes a
    service's /metrics through: services' paths are under /api/v1)."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        return Response(await metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router

