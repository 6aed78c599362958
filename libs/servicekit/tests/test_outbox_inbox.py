"""Outbox and inbox on the real database, without a broker: sequence numbers, the relay's ordering
and crash behaviour, and the inbox's one-effect guarantee (also under concurrent duplicates)."""

from __future__ import annotations

import asyncio
import json

import pytest
import sqlalchemy as sa
from sqlmodel import func, select

from contracts_schema.envelope import Envelope, decode_headers, encode_headers
from contracts_schema.events import Event
from contracts_schema.events.plans import PlanCreated
from kit_world import Effect, metadata, plan_created
from servicekit.db import Database
from servicekit.inbox import Dispatcher, EventHandlers, log_fields
from servicekit.logging import current_context
from servicekit.outbox import OutboxRelay, emit
from servicekit.testing import database_kind, eventually


async def count_effects(db, plan_id: str | None = None) -> int:
    async with db.read() as session:
        query = select(func.count()).select_from(Effect)
        if plan_id:
            query = query.where(Effect.plan_id == plan_id)
        return (await session.exec(query)).one()


async def test_emit_numbers_events_per_aggregate_and_keeps_them_with_the_state_change(db):
    first, other = plan_created("PL-A"), plan_created("PL-B")
    async with db.transaction() as session:
        for event in (first, first, other, first):
            await emit(session, event)
    table = db.metadata.tables["outbox"]
    async with db.read() as session:
        rows = (await session.exec(sa.select(table).order_by(table.c.id))).mappings().all()
    assert [(r["key"], r["sequence"]) for r in rows] == [("PL-A", 1), ("PL-A", 2), ("PL-B", 1), ("PL-A", 3)]
    env = decode_headers(rows[0]["headers"])
    assert env.type == PlanCreated.ce_type() and env.subject == "PL-A" and env.source.endswith("/kit")
    assert env.dataschema == "https://schemas.hunan-framework.gov.cn/events/PlanCreated/1.0.0.json"
    assert rows[0]["headers"]["ce_sequence"] == "00000000000000000001"  # orders as a string too
    assert PlanCreated.model_validate_json(rows[0]["body"]) == first


async def test_rolled_back_transaction_leaves_no_event(db):
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await emit(session, plan_created("PL-X"))
            raise RuntimeError("bad input")
    relay = OutboxRelay(db, db.metadata, publish=lambda messages: asyncio.sleep(0))
    assert await relay.unsent_count() == 0


async def test_relay_publishes_in_order_and_marks_sent(db):
    published: list[str] = []

    async def publish(messages):
        published.extend(f"{m.key}:{int(m.headers['ce_sequence'])}" for m in messages)

    relay = OutboxRelay(db, db.metadata, publish, batch_size=3)
    async with db.transaction() as session:
        for i in range(5):
            await emit(session, plan_created(f"PL-{i % 2}"))
    assert await relay.publish_pending() == 3
    assert await relay.publish_pending() == 2
    assert await relay.publish_pending() == 0
    assert published == ["PL-0:1", "PL-1:1", "PL-0:2", "PL-1:2", "PL-0:3"]


async def test_relay_crash_before_marking_sent_publishes_again(db):
    attempts: list[int] = []

    async def flaky(messages):
        attempts.append(len(messages))
        if len(attempts) == 1:
            raise ConnectionError("broker went away mid-batch")

    relay = OutboxRelay(db, db.metadata, flaky)
    async with db.transaction() as session:
        await emit(session, plan_created())
    with pytest.raises(ConnectionError):
        await relay.publish_pending()
    assert await relay.unsent_count() == 1  # nothing lost
    assert await relay.publish_pending() == 1
    assert await relay.unsent_count() == 0


async def test_commit_wakes_the_relay(db):
    relay = OutboxRelay(db, db.metadata, publish=lambda messages: asyncio.sleep(0),
                        poll_interval=3600)  # its poll alone would publish in an hour
    rounds: list[int] = []
    first_round = asyncio.Event()
    one_round = relay.publish_pending

    async def counted_round() -> int:
        published = await one_round()
        rounds.append(published)
        first_round.set()
        return published

    relay.publish_pending = counted_round
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(first_round.wait(), timeout=10)
        assert rounds == [0]  # nothing to publish yet: the relay now waits for a wake or the poll
        async with db.transaction():
            pass
        assert not relay._wake.is_set()  # a commit that recorded no event wakes nothing
        async with db.transaction() as session:
            await emit(session, plan_created())
        assert relay._wake.is_set()  # this commit woke it, before the relay ran again
        await eventually(lambda: len(rounds) == 2, timeout=10)
        assert rounds == [0, 1] and relay.published == 1  # published at the wake, not an hour later
        assert await relay.unsent_count() == 0
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def dispatcher(db, handler, *, max_attempts=3, dead=None) -> Dispatcher:
    handlers = EventHandlers()
    handlers.on(PlanCreated)(handler)

    async def dead_letter(topic, body, headers, key, error, attempts):
        if dead is None:
            raise AssertionError(f"unexpected dead letter: {error}")
        dead.append((key, error, attempts))

    return Dispatcher("kit", db, handlers, dead_letter=dead_letter, max_attempts=max_attempts, backoff=0.01)


async def record_effect(session, event, envelope) -> None:
    session.add(Effect(event_id=envelope.id, plan_id=event.plan_id))


def record(event, envelope=None):
    envelope = envelope or Envelope(type=event.ce_type(), source="/t", subject=event.plan_id, sequence=1)
    return "plans.events", event.plan_id, encode_headers(envelope), event.model_dump_json().encode()


async def test_redelivered_event_has_one_effect(db):
    d = dispatcher(db, record_effect)
    event = plan_created()
    message = record(event)
    assert (await d.deliver(*message)).status == "handled"
    assert (await d.deliver(*message)).status == "duplicate"
    assert await count_effects(db, event.plan_id) == 1


@pytest.mark.skipif(database_kind() != "postgresql", reason="concurrent writers need PostgreSQL; SQLite serializes")
async def test_concurrent_duplicates_have_one_effect(db):
    async def slow_effect(session, event, envelope):
        await asyncio.sleep(0.05)  # widen the race window while the inbox row is uncommitted
        await record_effect(session, event, envelope)

    d = dispatcher(db, slow_effect)
    event = plan_created()
    message = record(event)
    outcomes = await asyncio.gather(*(d.deliver(*message) for _ in range(5)))
    assert sorted(o.status for o in outcomes) == ["duplicate"] * 4 + ["handled"]
    assert await count_effects(db, event.plan_id) == 1


async def test_a_handled_event_s_log_lines_name_what_it_is_about(db):
    context: dict = {}

    async def remember_context(session, event, envelope):
        context.update(current_context())

    event = plan_created()
    assert (await dispatcher(db, remember_context).deliver(*record(event))).status == "handled"
    assert context["plan_id"] == event.plan_id and context["purchaser_org_id"] == event.purchaser_org_id
    assert context["event_type"] == PlanCreated.ce_type()


class Signed(Event):
    context = "kit"
    key_field = "contract_id"
    contract_id: str
    project_id: str
    order_id: str | None = None
    amount: str
    lines: list[dict]


def test_log_fields_are_the_event_s_key_and_its_other_top_level_ids():
    event = Signed(contract_id="CT1", project_id="PJ1", amount="1.00", lines=[{"line_id": "L1"}])
    assert log_fields(event) == {"contract_id": "CT1", "project_id": "PJ1"}


async def test_failing_handler_is_retried_then_succeeds_with_one_effect(db):
    calls = []

    async def flaky(session, event, envelope):
        calls.append(1)
        await record_effect(session, event, envelope)
        if len(calls) < 3:
            raise ConnectionError("downstream hiccup")

    d = dispatcher(db, flaky, max_attempts=5)
    event = plan_created()
    assert (await d.deliver(*record(event))).status == "handled"
    assert len(calls) == 3
    assert await count_effects(db, event.plan_id) == 1  # the failed attempts rolled back


async def test_poison_events_are_parked_not_retried(db):
    dead: list = []

    async def always_fails(session, event, envelope):
        raise ValueError("bug")

    d = dispatcher(db, always_fails, max_attempts=3, dead=dead)
    event = plan_created()
    outcome = await d.deliver(*record(event))
    assert outcome.status == "dead_lettered" and "ValueError: bug" in outcome.error
    assert dead == [(event.plan_id, "ValueError: bug", 3)]

    topic, key, headers, _ = record(event)
    outcome = await d.deliver(topic, key, headers, b'{"plan_id": 1}')
    assert outcome.status == "dead_lettered" and "does not match its schema" in outcome.error
    assert dead[-1][2] == 1  # a malformed body is parked at once
    assert await count_effects(db) == 0
    assert json.loads(record(event)[3])["plan_id"] == event.plan_id


@pytest.mark.skipif(database_kind() != "postgresql", reason="two relay replicas share a PostgreSQL database")
async def test_two_relay_replicas_publish_each_event_once_and_in_order_per_key(db_url):
    replicas = [Database(db_url, metadata=metadata, service="kit") for _ in range(2)]
    published: list[tuple[str, int]] = []

    def publisher(replica: int):
        async def publish(messages):
            await asyncio.sleep(0.001)  # let the other replica try to interleave
            published.extend((m.key, int(m.headers["ce_sequence"])) for m in messages)
        return publish

    relays = [OutboxRelay(replica, replica.metadata, publisher(i), batch_size=7) for i, replica in enumerate(replicas)]
    async with replicas[0].transaction() as session:
        for i in range(120):
            await emit(session, plan_created(f"PL-{i % 5}"))

    async def drain(relay: OutboxRelay) -> None:
        while await relay.unsent_count():
            await relay.publish_pending()

    await asyncio.gather(*(drain(r) for r in relays))
    assert len(published) == 120 and len(set(published)) == 120  # each event once
    for key in {k for k, _ in published}:
        sequences = [s for k, s in published if k == key]
        assert sequences == sorted(sequences) == list(range(1, len(sequences) + 1))
    for replica in replicas:
        await replica.dispose()
