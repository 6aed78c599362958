"""The reservation ledger driven by events, on the real database: reserve or refuse, release, consume,
record spending; duplicates and out-of-order events have no second effect; two projects racing for the
last budget of a line — exactly one gets it (PostgreSQL row lock in CI, SQLite's write lock here)."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest
from sqlmodel import select

from plans.store import LedgerEntry


async def amounts(world, plan, n=1):
    line = (await world.get_plan(plan["id"]))["lines"][n - 1]
    return line["reserved_amount"], line["consumed_amount"], line["spent_amount"], line["remaining_amount"]


async def test_project_published_reserves_on_the_line(world):
    plan = await world.create_plan()
    published = world.published(plan, "120000.00")
    outcome = await world.deliver(published)
    assert outcome.status == "handled"
    assert await amounts(world, plan) == ("120000.00", "0.00", "0.00", "240000.00")
    [event] = await world.events("PlanFundsReserved", project_id=published.project_id)
    assert event == {**event, "plan_id": plan["id"], "line_id": plan["lines"][0]["id"], "amount": "120000.00",
                     "line_remaining": "240000.00", "filing_no": plan["filing_no"]}
    detail = await world.get_plan(plan["id"])
    assert [(r["project_id"], r["status"], r["status_label"]) for r in detail["reservations"]] == [
        (published.project_id, "reserved", "已预留")]
    assert detail["reserved_total"] == "120000.00" and detail["remaining_total"] == "290000.00"


async def test_the_same_event_twice_and_the_same_project_under_a_new_id_reserve_once(world):
    plan = await world.create_plan()
    published = world.published(plan, "1000.00")
    event_id = str(uuid4())
    assert (await world.deliver(published, event_id)).status == "handled"
    assert (await world.deliver(published, event_id)).status == "duplicate"
    assert (await world.deliver(published)).status == "handled"  # a new id: the project already has its row
    assert await amounts(world, plan) == ("1000.00", "0.00", "0.00", "359000.00")
    assert len(await world.events("PlanFundsReserved", project_id=published.project_id)) == 1


@pytest.mark.parametrize(("case", "code"), [
    ("over_budget", "insufficient_budget"),
    ("other_unit", "not_plan_owner"),
    ("unknown_plan", "plan_not_found"),
    ("unknown_line", "line_not_found"),
    ("other_category", "category_mismatch"),
    ("zero", "invalid_amount"),
])
async def test_a_refused_reservation_says_why_and_holds_nothing(world, units, case, code):
    plan = await world.create_plan()
    published = {
        "over_budget": lambda: world.published(plan, "360000.01"),
        "other_unit": lambda: world.published(plan, "10.00", unit=units["B"]),
        "unknown_plan": lambda: world.published({**plan, "id": "PLnope"}, "10.00"),
        "unknown_line": lambda: world.published(plan, "10.00").model_copy(update={"plan_line_id": "nope"}),
        "other_category": lambda: world.published(plan, "10.00", category_code="C0501"),
        "zero": lambda: world.published(plan, "0.00"),
    }[case]()
    await world.deliver(published)
    [event] = await world.events("PlanFundsRejected", project_id=published.project_id)
    assert event["reason_code"] == code and event["reason"]
    assert not await world.events("PlanFundsReserved", project_id=published.project_id)
    assert await amounts(world, plan) == ("0.00", "0.00", "0.00", "360000.00")
    await world.deliver(published)  # the same project again: the same answer stands, no second event
    assert len(await world.events("PlanFundsRejected", project_id=published.project_id)) == 1


@pytest.mark.parametrize("ending", ["terminated", "failed"])
async def test_a_terminated_or_failed_project_releases_its_reservation(world, ending):
    plan = await world.create_plan()
    published = world.published(plan, "60000.00")
    await world.deliver(published)
    end = world.terminated(published) if ending == "terminated" else world.failed(published)
    await world.deliver(end)
    await world.deliver(end)  # again under a new id: nothing more to release
    assert await amounts(world, plan) == ("0.00", "0.00", "0.00", "360000.00")
    [event] = await world.events("PlanFundsReleased", project_id=published.project_id)
    assert (event["amount"], event["reason"], event["line_remaining"]) == ("60000.00", ending, "360000.00")
    statuses = [(r["status"], r["released_amount"]) for r in (await world.get_plan(plan["id"]))["reservations"]]
    assert statuses == [("released", "60000.00")]


async def test_a_termination_seen_before_its_publication_leaves_nothing_reserved(world):
    plan = await world.create_plan()
    published = world.published(plan, "5000.00")
    await world.deliver(world.terminated(published))
    await world.deliver(published)
    assert await amounts(world, plan) == ("0.00", "0.00", "0.00", "360000.00")
    assert not await world.events("PlanFundsReserved", project_id=published.project_id)


async def test_an_award_consumes_its_amount_and_gives_back_the_rest_then_payments_are_spending(world):
    plan = await world.create_plan()
    published = world.published(plan, "30000.00")
    await world.deliver(published)
    confirmed = world.confirmed(published, "27500.50")
    await world.deliver(confirmed)
    await world.deliver(confirmed)  # a second copy under a new id: consumed once
    assert await amounts(world, plan) == ("0.00", "27500.50", "0.00", "332499.50")
    [event] = await world.events("PlanFundsConsumed", project_id=published.project_id)
    assert (event["amount"], event["released_amount"], event["line_remaining"]) == ("27500.50", "2499.50",
                                                                                    "332499.50")
    await world.deliver(world.terminated(published))  # too late to release: the award stands
    assert await amounts(world, plan) == ("0.00", "27500.50", "0.00", "332499.50")

    payment = world.payment(published, "10000.00")
    await world.deliver(payment)
    await world.deliver(payment)  # the same payment again under a new id
    await world.deliver(world.payment(published, "17500.50"))
    assert await amounts(world, plan) == ("0.00", "27500.50", "27500.50", "332499.50")
    spending = await world.events("SpendingRecorded", project_id=published.project_id)
    assert [(s["amount"], s["line_spent"]) for s in spending] == [("10000.00", "10000.00"), ("17500.50", "27500.50")]
    async with world.service.db.read() as session:
        entries = (await session.exec(select(LedgerEntry.kind, LedgerEntry.amount)
                                      .where(LedgerEntry.project_id == published.project_id)
                                      .order_by(LedgerEntry.id))).all()
    assert [(k, str(a)) for k, a in entries] == [("reserve", "30000.00"), ("consume", "27500.50"),
                                                 ("spend", "10000.00"), ("spend", "17500.50")]


async def test_events_about_unknown_plans_are_dropped_without_effect(world):
    plan = await world.create_plan()
    ghost = world.published({**plan, "id": "PLghost"}, "10.00")
    for event in (world.terminated(ghost), world.confirmed(ghost, "10.00"), world.payment(ghost, "10.00")):
        assert (await world.deliver(event)).status == "handled"
    assert not await world.events("PlanFundsConsumed", project_id=ghost.project_id)
    assert not await world.events("SpendingRecorded", project_id=ghost.project_id)


async def test_two_projects_racing_for_the_last_budget_exactly_one_gets_it(world):
    for _ in range(3):
        plan = await world.create_plan(lines=[{"category_code": "C1204", "item_name": "物业", "quantity": "1",
                                               "unit": "年", "budget_amount": "1000.00"}])
        await world.deliver(world.published(plan, "400.00"))  # 600.00 left
        racers = [world.published(plan, "600.00"), world.published(plan, "600.00")]
        outcomes = await asyncio.gather(*(world.deliver(e) for e in racers))
        assert [o.status for o in outcomes] == ["handled", "handled"]
        reserved = [e for e in racers if await world.events("PlanFundsReserved", project_id=e.project_id)]
        rejected = [e for e in racers if await world.events("PlanFundsRejected", project_id=e.project_id)]
        assert len(reserved) == 1 and len(rejected) == 1
        [refusal] = await world.events("PlanFundsRejected", project_id=rejected[0].project_id)
        assert refusal["reason_code"] == "insufficient_budget"
        assert await amounts(world, plan) == ("1000.00", "0.00", "0.00", "0.00")
