"""Property: any sequence of commands sent to the real service (HTTP, events, the clock and the timer)
leaves every project in a legal state. A refused command is a 4xx that changes nothing (neither the
project nor what it publishes); no command is ever a 500; a project ends at most once; an award
always goes to the lowest valid quote, a tie to the earlier one."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bidding.domain import FINAL, STATUS_LABELS, Status

supplier = st.integers(1, 3)
command = st.one_of(
    st.tuples(st.just("publish"), st.sampled_from([0, 30, 120]), st.sampled_from([60, 300])),
    st.tuples(st.just("edit")),
    st.tuples(st.just("funds"), st.sampled_from(["reserved", "reserved", "rejected"])),
    st.tuples(st.just("time"), st.sampled_from([1, 30, 120, 400])),
    st.tuples(st.just("quote"), supplier, st.sampled_from(["250000.00", "260000.00", "270000.00", "999999.00"])),
    st.tuples(st.just("decline"), supplier),
    st.tuples(st.just("suspend"), supplier),
    st.tuples(st.just("reinstate"), supplier),
    st.tuples(st.just("confirm")),
    st.tuples(st.just("terminate")),
)

ENDINGS = ("ResultConfirmed", "ProjectTerminated", "ProjectFailed")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["direct_selection", "secondary_bidding"]),
       stage=st.sampled_from(["new", "funded", "quoted"]), commands=st.lists(command, min_size=1, max_size=14))
async def test_any_sequence_of_commands_leaves_a_legal_state(world, fx, method, stage, commands):
    """Starts from a new project, or one already open with funds (and a quote), so that short
    sequences reach results too; then any commands follow."""
    await world.feed(*(fx.reinstated(i) for i in (1, 2, 3)))
    if method == "direct_selection":
        project = await world.direct_selection(reserve=stage != "new")
    else:
        project = await (world.draft() if stage == "new" else world.quoting(duration=300))
    pid = project["id"]
    if stage == "quoted":
        await world.quote(pid, 1, "260000.00", service_id="SV-PROPERTY")
        project = await world.project(pid)
    final: str | None = None
    for step in commands:
        before = (await world.project(pid), await _events_of(world, pid))
        status = await _apply(world, fx, project, step)
        assert status < 500, (step, status)
        after = (await world.project(pid), await _events_of(world, pid))
        if 400 <= status < 500:
            assert after[0]["status"] == before[0]["status"] and after[1] == before[1], step
        current = after[0]
        assert current["status"] in set(Status) and current["status_label"] == STATUS_LABELS[Status(current["status"])]
        if final is not None:
            assert current["status"] == final, f"{step} changed a project that had ended"
        if current["status"] in FINAL:
            final = current["status"]
        project = current
    await _check_outcome(world, pid)


async def _apply(world, fx, project: dict[str, Any], step: tuple) -> int:
    pid, kind = project["id"], step[0]
    purchaser = world.purchaser
    if kind == "publish":
        starts = world.clock.now + timedelta(seconds=step[1])
        r = await world.client.post(f"/api/v1/projects/{pid}/publish", headers=purchaser,
                                    json={"starts_at": starts.isoformat(), "duration_seconds": step[2]})
        return r.status_code
    if kind == "edit":
        r = await world.client.patch(f"/api/v1/projects/{pid}", headers=purchaser, json={"requirements": "改"})
        return r.status_code
    if kind == "funds":
        ceiling = project["ceiling_amount"] or "1.00"
        event = (fx.funds_reserved if step[1] == "reserved" else fx.funds_rejected)({**project, "ceiling_amount": ceiling})
        await world.feed(event)
        return 200
    if kind == "time":
        world.clock.advance(seconds=step[1])
        await world.tick()
        return 200
    if kind == "quote":
        r = await world.client.post(f"/api/v1/projects/{pid}/quotes", headers=world.supplier(step[1]),
                                    json={"amount": step[2], "service_id": "SV-PROPERTY"})
        return r.status_code
    if kind == "decline":
        r = await world.client.post(f"/api/v1/projects/{pid}/decline", headers=world.supplier(step[1]),
                                    json={"reason": "不参加"})
        return r.status_code
    if kind in ("suspend", "reinstate"):
        await world.feed((fx.suspended if kind == "suspend" else fx.reinstated)(step[1]))
        return 200
    if kind == "confirm":
        return (await world.client.post(f"/api/v1/projects/{pid}/confirm-result", headers=purchaser)).status_code
    return (await world.client.post(f"/api/v1/projects/{pid}/terminate", headers=purchaser,
                                    json={"reason": "需求变更"})).status_code


async def _events_of(world, pid: str) -> list[dict[str, Any]]:
    return [e for e in await world.events() if e.get("project_id") == pid]


async def _check_outcome(world, pid: str) -> None:
    project = await world.project(pid)
    events = await _events_of(world, pid)
    types = [t for t in ("ProjectPublished", "QuotingOpened", "BiddingClosed", *ENDINGS)
             for e in await world.events(t) if e.get("project_id") == pid]
    assert all(types.count(t) <= 1 for t in set(types)), types
    ended_in_public = project["status"] in FINAL and project["published_at"] is not None  # a draft ends quietly
    assert sum(types.count(t) for t in ENDINGS) == (1 if ended_in_public else 0), types
    event(f"{project['method']} {project['status']}")
    if project["status"] != "succeeded":
        return
    [result] = [e for e in events if "confirmed_at" in e]
    quotes = (await world.ok("GET", f"/api/v1/projects/{pid}/quotes", headers=world.purchaser))["quotes"]
    valid = [q for q in quotes if q["rank"] is not None]
    winner = next(q for q in valid if q["id"] == project["award"]["id"])
    lowest = min(Decimal(q["amount"]) for q in valid)
    assert Decimal(winner["amount"]) == lowest == Decimal(result["amount"])
    earliest = min(datetime.fromisoformat(q["quoted_at"]) for q in valid if Decimal(q["amount"]) == lowest)
    assert datetime.fromisoformat(winner["quoted_at"]) == earliest
