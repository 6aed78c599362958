"""Delivery semantics through the real broker (never the in-memory TestKafkaBroker, which neither
commits nor seeks): a producing service's outbox reaches a consuming service; duplicates have one
effect; a poison event is parked on the dead-letter topic without blocking the next one; a consumer
that restarts resumes after its last committed event and misses nothing."""

from __future__ import annotations

import json
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import func, select

from contracts_schema.envelope import Envelope, encode_headers
from contracts_schema.events.plans import PlanCreated
from contracts_schema.topics import PLANS, dead_letter_topic
from devstack.testing import broker_for_tests
from kit_world import Effect, create_tables, metadata, plan_created
from servicekit.app import Service
from servicekit.inbox import EventHandlers
from servicekit.outbox import emit
from servicekit.settings import ServiceSettings
from servicekit.testing import eventually, temporary_database

pytestmark = pytest.mark.asyncio(loop_scope="session")


def make_service(name: str, url: str, bootstrap: str, handlers: EventHandlers | None = None) -> Service:
    settings = ServiceSettings(database_url=url, kafka_bootstrap_servers=bootstrap, outbox_poll_interval=0.5,
                               consumer_backoff=0.05, consumer_max_attempts=3, kafka_session_timeout_ms=6000)
    return Service(name=name, settings=settings, metadata=metadata, handlers=handlers, produces=[PLANS])


def consumer_handlers() -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on(PlanCreated)
    async def on_plan(session, event, envelope):
        if event.name == "poison":
            raise ValueError("this plan can never be handled")
        session.add(Effect(event_id=envelope.id, plan_id=event.plan_id))

    return handlers


@pytest.fixture(scope="module")
def kafka_bootstrap(tmp_path_factory):
    """A broker of this module's own: its poison and duplicate events stay out of the platform's topics
    that the cross-service tests read (unless KAFKA_BOOTSTRAP_SERVERS names a shared one)."""
    with broker_for_tests(tmp_path_factory.mktemp("kit-broker")) as bootstrap:
        yield bootstrap


@pytest.fixture(scope="module")
async def world(kafka_bootstrap):
    suffix = uuid.uuid4().hex[:6]
    async with temporary_database("alpha") as alpha_url, temporary_database("beta") as beta_url:
        await create_tables(alpha_url)
        await create_tables(beta_url)
        alpha = make_service(f"alpha-{suffix}", alpha_url, kafka_bootstrap)
        beta = make_service(f"beta-{suffix}", beta_url, kafka_bootstrap, consumer_handlers())
        await alpha.start()
        await beta.start()
        try:
            yield alpha, beta, beta_url
        finally:
            await alpha.stop()
            await beta.stop()


async def effects(service: Service, plan_id: str) -> int:
    async with service.db.read() as session:
        return (await session.exec(select(func.count()).select_from(Effect).where(Effect.plan_id == plan_id))).one()


async def publish_raw(bootstrap: str, event: PlanCreated, envelope: Envelope, times: int = 1,
                      body: bytes | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    try:
        for _ in range(times):
            await producer.send_and_wait(PLANS, body or event.model_dump_json().encode(), key=event.plan_id.encode(),
                                         headers=[(k, v.encode()) for k, v in encode_headers(envelope).items()])
    finally:
        await producer.stop()


async def test_outbox_event_reaches_the_consumer(world):
    alpha, beta, _ = world
    event = plan_created()
    async with alpha.db.transaction() as session:
        await emit(session, event)
    await eventually(lambda: effects(beta, event.plan_id))
    assert await alpha.relay.unsent_count() == 0


async def test_event_delivered_twice_has_one_effect(world, kafka_bootstrap):
    _, beta, _ = world
    event, follower = plan_created(), plan_created()
    envelope = Envelope(type=event.ce_type(), source="/test", subject=event.plan_id, sequence=1)
    await publish_raw(kafka_bootstrap, event, envelope, times=2)
    await publish_raw(kafka_bootstrap, follower,
                      Envelope(type=event.ce_type(), source="/test", subject=follower.plan_id, sequence=1))
    await eventually(lambda: effects(beta, follower.plan_id))  # both copies were consumed before this one
    assert await effects(beta, event.plan_id) == 1


async def test_poison_event_is_parked_and_the_next_event_still_flows(world, kafka_bootstrap):
    _, beta, _ = world
    poison = plan_created().model_copy(update={"name": "poison"})
    garbage = plan_created()
    good = plan_created()
    for event, body in ((poison, None), (garbage, b"not json at all"), (good, None)):
        await publish_raw(kafka_bootstrap, event, Envelope(type=event.ce_type(), source="/test",
                                                           subject=event.plan_id, sequence=1), body=body)
    await eventually(lambda: effects(beta, good.plan_id))

    dlq = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest")
    await dlq.start()
    topic = dead_letter_topic(beta.name)
    dlq.assign([TopicPartition(topic, p) for p in range(beta.settings.kafka_partitions)])
    try:
        parked = {}
        while len(parked) < 2:
            record = await dlq.getone()
            headers = {k: v.decode() for k, v in record.headers}
            parked[record.key.decode()] = headers
    finally:
        await dlq.stop()
    assert "ValueError: this plan can never be handled" in parked[poison.plan_id]["x-dlq-error"]
    assert parked[poison.plan_id]["x-dlq-attempts"] == "3"
    assert "does not match its schema" in parked[garbage.plan_id]["x-dlq-error"]
    assert parked[poison.plan_id]["ce_type"] == PlanCreated.ce_type()
    assert await effects(beta, poison.plan_id) == 0


async def test_metrics_show_the_dead_letter_topic_the_lag_and_what_flowed(world, kafka_bootstrap):
    """After the poison test: two records parked; once the consumer has committed, no lag (and never a
    negative one, whatever end offset the embedded broker reports)."""
    alpha, beta, _ = world
    event = plan_created()
    async with alpha.db.transaction() as session:
        await emit(session, event)
    await eventually(lambda: effects(beta, event.plan_id))

    async def figures() -> dict | None:
        text = (await beta.metrics.render()).decode()
        found = {(s.name, s.labels.get("topic"), s.labels.get("partition"), s.labels.get("outcome")): s.value
                 for family in text_string_to_metric_families(text) for s in family.samples}
        lag = [v for (name, topic, _, _), v in found.items() if name == "consumer_lag" and topic == PLANS]
        return found if len(lag) == beta.settings.kafka_partitions and not any(lag) else None

    found = await eventually(figures)
    assert found[("dlq_size", dead_letter_topic(beta.name), None, None)] >= 2
    assert found[("events_consumed_total", None, None, "dead_lettered")] >= 2
    assert found[("events_consumed_total", None, None, "handled")] >= 2
    assert all(v >= 0 for (name, *_), v in found.items() if name == "consumer_lag")
    published = {(s.name, s.labels.get("topic")): s.value for family in text_string_to_metric_families(
        (await alpha.metrics.render()).decode()) for s in family.samples}
    assert published[("events_published_total", PLANS)] >= 2 and published[("outbox_waiting", None)] == 0
    assert ("metrics_refresh_errors_total", "broker") not in published  # the broker figures were read


async def test_consumer_restart_resumes_after_its_last_commit(world, kafka_bootstrap):
    """Runs last in this module: it stops the module's consumer."""
    alpha, beta, beta_url = world
    before = plan_created()
    async with alpha.db.transaction() as session:
        await emit(session, before)
    await eventually(lambda: effects(beta, before.plan_id))
    await beta.stop()

    while_down = [plan_created() for _ in range(3)]
    async with alpha.db.transaction() as session:
        for event in while_down:
            await emit(session, event)
    async def all_published() -> bool:
        return await alpha.relay.unsent_count() == 0

    await eventually(all_published)

    restarted = make_service(beta.name, beta_url, kafka_bootstrap, consumer_handlers())
    await restarted.start()
    try:
        for event in while_down:
            await eventually(lambda: effects(restarted, event.plan_id))
        assert await effects(restarted, before.plan_id) == 1
    finally:
        await restarted.stop()
    assert json.loads(before.model_dump_json())["plan_id"] == before.plan_id
