"""Metrics (/metrics, one registry per process) and traces (OpenTelemetry spans from the traceparent),
without a broker: requests by route template, outbox rows waiting, events consumed and failed by type,
timer lag; spans of a request, of the event it records and of that event's handling, linked."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import APIRouter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from contracts_schema.envelope import Envelope, encode_headers, new_traceparent
from kit_world import Effect, metadata, plan_created
from servicekit import tracing
from servicekit.app import Service
from servicekit.inbox import Dispatcher, EventHandlers
from servicekit.logging import log_context
from servicekit.metrics import Metrics, consumer_lag
from servicekit.outbox import emit
from servicekit.settings import ServiceSettings
from servicekit.tasks import TIMERS, periodic


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics answer, parsed by Prometheus' own text parser."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def things_router() -> APIRouter:
    router = APIRouter()

    @router.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    return router


def make_service(url: str, *, with_bus: bool = False) -> Service:
    service = Service(name="kit", settings=ServiceSettings(database_url=url), metadata=metadata,
                      routers=[things_router()], with_bus=with_bus)
    service.metrics.refreshers.pop("broker", None)  # no broker in these tests (test_bus_real_broker has one)
    return service


async def scrape(service: Service) -> str:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://kit") as client:
        response = await client.get("/metrics")  # no token: scraped without login
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_requests_are_counted_and_timed_by_route_template_not_by_path(db_url):
    service = make_service(db_url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://kit") as client:
        for thing in ("a", "b", "c"):
            assert (await client.get(f"/things/{thing}")).status_code == 200
        assert (await client.get("/no/such/path")).status_code == 404
    text = await scrape(service)
    assert value(text, "http_requests_total", route="/things/{thing_id}", method="GET", status="200") == 3
    assert value(text, "http_request_duration_seconds_count", route="/things/{thing_id}", method="GET") == 3
    assert value(text, "http_requests_total", route="unmatched", method="GET", status="404") == 1
    assert not any("/things/a" in str(key) for key in samples(text))
    assert value(text, "process_cpu_seconds_total") > 0  # the process' own figures too
    await service.db.dispose()


async def test_outbox_waiting_goes_up_with_recorded_events_and_back_to_zero_when_published(db_url):
    service = make_service(db_url, with_bus=True)
    published = []

    async def publish(messages):
        published.extend(messages)
        return []

    assert service.relay is not None
    service.relay.publish = publish
    text = await scrape(service)
    assert value(text, "outbox_waiting") == 0 and value(text, "outbox_oldest_waiting_age_seconds") == 0
    async with service.db.transaction() as session:
        await emit(session, plan_created())
        await emit(session, plan_created())
    text = await scrape(service)
    assert value(text, "outbox_waiting") == 2 and value(text, "outbox_oldest_waiting_age_seconds") >= 0
    await service.relay.publish_pending()
    text = await scrape(service)
    assert value(text, "outbox_waiting") == 0 and value(text, "outbox_oldest_waiting_age_seconds") == 0
    assert value(text, "events_published_total", topic="plans.events") == 2 == len(published)
    await service.db.dispose()


async def test_events_consumed_and_failed_are_counted_by_type_and_outcome(db):
    handlers = EventHandlers()
    event_type = plan_created().ce_type()

    @handlers.on(type(plan_created()))
    async def on_plan(session, event, envelope):
        if event.name == "poison":
            raise ValueError("never")
        session.add(Effect(event_id=envelope.id, plan_id=event.plan_id))

    parked = []

    async def dead_letter(*args):
        parked.append(args)

    metrics = Metrics("kit", process_collectors=False)
    dispatcher = Dispatcher("kit", db, handlers, dead_letter=dead_letter, max_attempts=2, backoff=0.01,
                            metrics=metrics)

    async def deliver(event, envelope=None, body=None):
        envelope = envelope or Envelope(type=event.ce_type(), source="/test", subject=event.plan_id, sequence=1)
        return await dispatcher.deliver("plans.events", event.plan_id, encode_headers(envelope),
                                        body or event.model_dump_json().encode())

    good = plan_created()
    envelope = Envelope(type=event_type, source="/test", subject=good.plan_id, sequence=1)
    await deliver(good, envelope)
    await deliver(good, envelope)  # redelivered
    await deliver(plan_created().model_copy(update={"name": "poison"}))
    await deliver(plan_created(), body=b"not json")
    text = (await metrics.render()).decode()
    for outcome, count in (("handled", 1), ("duplicate", 1), ("dead_lettered", 2)):
        assert value(text, "events_consumed_total", type=event_type, outcome=outcome) == count
    assert value(text, "events_failed_total", type=event_type) == 2  # both attempts of the poison event
    assert len(parked) == 2


def test_consumer_lag_is_never_negative_when_the_broker_reports_its_end_one_short():
    assert consumer_lag(end=6, committed=4) == 2
    assert consumer_lag(end=5, committed=6) == 0  # Tansu, right after a two-record produce
    assert consumer_lag(end=5, committed=None, beginning=2) == 3  # no commit yet: all that is there
    assert consumer_lag(end=3, committed=-1) == 3


async def test_periodic_tasks_show_when_they_ran_how_late_and_their_failures():
    ticks = 0

    async def tick():
        nonlocal ticks
        ticks += 1
        if ticks == 2:
            raise RuntimeError("database away")
        if ticks == 3:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await periodic(tick, every=0.01, name="kit timer")
    state = TIMERS["kit timer"]
    assert state.last_run > 0 and state.lag >= 0 and state.failures == 1
    metrics = Metrics("kit", process_collectors=False)
    text = (await metrics.render()).decode()
    assert value(text, "timer_consecutive_failures", timer="kit timer") == 1
    assert value(text, "timer_last_run_timestamp_seconds", timer="kit timer") == state.last_run
    assert "timer_lag_seconds" in text


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    assert not tracing.enabled()  # off by default
    tracing.configure("kit", exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.shutdown()
    assert not tracing.enabled()


async def test_a_request_its_event_and_the_event_handling_are_spans_of_one_trace(db_url, spans):
    caller = new_traceparent()
    service = make_service(db_url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://kit") as client:
        assert (await client.get("/things/x", headers={"traceparent": caller})).status_code == 200
    (server,) = spans.get_finished_spans()
    assert server.name == "GET /things/{thing_id}" and server.kind.name == "SERVER"
    assert f"{server.context.trace_id:032x}" == caller.split("-")[1]
    assert f"{server.parent.span_id:016x}" == caller.split("-")[2]
    assert server.attributes["http.response.status_code"] == 200

    # An event recorded while handling that request: its send span is the request's child, and its
    # record carries the send span's traceparent; the handling is the send span's child.
    event = plan_created()
    request_traceparent = tracing.traceparent_of(server)
    with log_context(traceparent=request_traceparent):
        async with service.db.transaction() as session:
            envelope = await emit(session, event)
    handlers = EventHandlers()

    @handlers.on(type(event))
    async def on_plan(session, event, envelope):
        session.add(Effect(event_id=envelope.id, plan_id=event.plan_id))

    dispatcher = Dispatcher("kit", service.db, handlers, dead_letter=None)
    outcome = await dispatcher.deliver("plans.events", event.plan_id, encode_headers(envelope),
                                       event.model_dump_json().encode())
    assert outcome.status == "handled"
    send, process = [s for s in spans.get_finished_spans() if s is not server]
    assert send.name == f"send {event.ce_type()}" and send.kind.name == "PRODUCER"
    assert send.parent.span_id == server.context.span_id
    assert envelope.traceparent == tracing.traceparent_of(send)
    assert process.name == f"process {event.ce_type()}" and process.kind.name == "CONSUMER"
    assert process.parent.span_id == send.context.span_id
    assert {s.context.trace_id for s in (server, send, process)} == {server.context.trace_id}
    await service.db.dispose()


async def test_request_latencies_fall_in_cumulative_buckets_as_prometheus_defines_them():
    metrics = Metrics("kit", process_collectors=False)
    for seconds, status in ((0.003, 200), (0.005, 200), (0.5, 404), (20.0, 200)):
        metrics.observe_request("/x", "GET", status, seconds)
    metrics.observe_request("/x", "BREW", 200, 0.001)  # an unknown method is one series, not one per verb
    text = (await metrics.render()).decode()
    assert value(text, "http_request_duration_seconds_bucket", route="/x", method="GET", le="0.005") == 2
    assert value(text, "http_request_duration_seconds_bucket", route="/x", method="GET", le="0.5") == 3
    assert value(text, "http_request_duration_seconds_bucket", route="/x", method="GET", le="+Inf") == 4
    assert value(text, "http_request_duration_seconds_count", route="/x", method="GET") == 4
    assert value(text, "http_request_duration_seconds_sum", route="/x", method="GET") == 20.508
    assert value(text, "http_requests_total", route="/x", method="GET", status="200") == 3
    assert value(text, "http_requests_total", route="/x", method="other", status="200") == 1


async def test_a_deadline_loop_shows_how_late_it_met_the_last_deadline():
    from datetime import datetime, timedelta, timezone

    from servicekit.tasks import deadline_met

    now = datetime.now(timezone.utc)
    deadline_met("kit windows", now - timedelta(seconds=1.5), now)
    text = (await Metrics("kit", process_collectors=False).render()).decode()
    assert value(text, "deadline_lag_seconds", loop="kit windows") == 1.5
    deadline_met("kit windows", now + timedelta(seconds=1), now)  # early (a quote opened it): not late
    text = (await Metrics("kit", process_collectors=False).render()).decode()
    assert value(text, "deadline_lag_seconds", loop="kit windows") == 0
