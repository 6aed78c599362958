"""How the relay finds out that the broker lost what it had published, and what it publishes again:
the rules of `Positions` (produce answers and end offsets, with Tansu's end offset one short), the
retained rows `replay` sends in id order, the retention `prune`, and the counted log of a repeated
error."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from contracts_schema.types import utcnow
from kit_world import plan_created
from servicekit.bus import RepeatCounter
from servicekit.outbox import OutboxRelay, Placed, Positions, emit

T = "plans.events"


def test_a_produce_answer_at_or_below_an_earlier_offset_means_the_partition_is_new():
    positions = Positions()
    assert positions.record([Placed(T, 0, 0), Placed(T, 0, 1), Placed(T, 1, 0)]) == set()
    assert positions.record([Placed(T, 0, 2)]) == set()
    assert positions.record([Placed(T, 0, 0)]) == {T}  # the broker handed out offset 0 again
    assert positions.last[(T, 0)] == 0


def test_end_offsets_below_our_last_record_are_a_loss_one_short_is_not():
    positions = Positions()
    positions.record([Placed(T, 0, 4), Placed(T, 1, 7), Placed("bidding.events", 0, 2)])
    healthy = {(T, 0): 5, (T, 1): 8, ("bidding.events", 0): 3}
    assert positions.lost_by_end_offsets(healthy) == set()
    tansu_one_short = {(T, 0): 4, (T, 1): 7, ("bidding.events", 0): 2}
    assert positions.lost_by_end_offsets(tansu_one_short) == set()
    recreated = {(T, 0): 1, (T, 1): 8, ("bidding.events", 0): 3}
    assert positions.lost_by_end_offsets(recreated) == {T}
    gone = {(T, 0): 5, (T, 1): 8}
    assert positions.lost_by_end_offsets(gone) == {"bidding.events"}
    asked = dict(positions.last)
    positions.record([Placed(T, 0, 5), Placed(T, 0, 6)])  # produced while the end offsets were asked for
    assert positions.lost_by_end_offsets(healthy, asked) == set()
    positions.forget({T})
    assert positions.lost_by_end_offsets({}) == {"bidding.events"}


async def test_the_relay_notices_a_produce_answer_going_back(db):
    answers = iter([[Placed(T, 0, 10)], [Placed(T, 0, 0)]])

    async def publish(messages):
        return next(answers)

    relay = OutboxRelay(db, db.metadata, publish)
    for plan in ("PL-1", "PL-2"):
        async with db.transaction() as session:
            await emit(session, plan_created(plan))
        await relay.publish_pending()
    assert relay.lost == {T}


async def test_replay_sends_every_retained_row_in_id_order_and_prune_drops_the_old(db):
    sent: list[list[str]] = []

    async def publish(messages):
        sent.append([m.key for m in messages])
        return [Placed(m.topic, 0, i) for i, m in enumerate(messages)]

    relay = OutboxRelay(db, db.metadata, publish, batch_size=2, retention=timedelta(days=7))
    async with db.transaction() as session:
        for plan in ("PL-OLD", "PL-A", "PL-B", "PL-C"):
            await emit(session, plan_created(plan))
    assert await relay.publish_pending() == 2
    assert await relay.publish_pending() == 2
    table = db.metadata.tables["outbox"]
    async with db.transaction() as session:  # one sent eight days ago, one not sent yet
        await session.exec(sa.update(table).where(table.c.key == "PL-OLD").values(sent_at=utcnow() - timedelta(days=8)))
        await session.exec(sa.update(table).where(table.c.key == "PL-C").values(sent_at=None))
        await emit(session, plan_created("PL-D"))
    sent.clear()

    assert await relay.replay() == 4
    assert sent == [["PL-A", "PL-B"], ["PL-C", "PL-D"]]
    assert await relay.unsent_count() == 0
    assert await relay.replay({"bidding.events"}) == 0  # no rows of that topic
    assert await relay.prune() == 1
    async with db.read() as session:
        keys = (await session.exec(sa.select(table.c.key).order_by(table.c.id))).scalars().all()
    assert keys == ["PL-A", "PL-B", "PL-C", "PL-D"]


def test_a_repeated_error_is_logged_at_1_10_100():
    counter = RepeatCounter()
    logged = [n for n in (counter.count("UnknownTopicOrPartitionError") for _ in range(250)) if n is not None]
    assert logged == [1, 10, 100]
    counter.reset()
    assert counter.count("UnknownTopicOrPartitionError") == 1
