"""The timers: the background task opens and closes windows by itself, a window that ended while the
service was down closes at start-up, and two replicas on one database close a window once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

from bidding.windows import run_due
from contracts_schema.types import utcnow
from servicekit.testing import eventually


async def test_the_background_task_opens_and_closes_windows_on_the_real_clock(bidding_url, tokens, fx):
    async with fx.running(bidding_url, tokens, utcnow, with_timers=True, bidding_min_duration_seconds=1,
                          bidding_timer_interval=0.05) as world:
        draft = await world.draft()
        starts = utcnow() + timedelta(seconds=0.3)
        project = await world.ok("POST", f"/api/v1/projects/{draft['id']}/publish", headers=world.purchaser,
                                 json={"starts_at": starts.isoformat(), "duration_seconds": 1})
        await world.feed(fx.funds_reserved(project))

        async def status() -> str:
            return (await world.project(project["id"]))["status"]

        await eventually(lambda: _is(status, "quoting"), timeout=10)
        await world.quote(project["id"], 2, "250000.00")
        await eventually(lambda: _is(status, "awaiting_confirmation"), timeout=10)
        assert len(await world.events("BiddingClosed")) == 1


async def _is(status, wanted: str) -> bool:
    return await status() == wanted


async def test_a_window_that_ended_while_the_service_was_down_closes_at_start_up(bidding_url, tokens, fx):
    clock = fx.FakeClock()
    async with fx.running(bidding_url, tokens, clock) as world:
        project = await world.quoting(duration=600)
        await world.quote(project["id"], 3, "250000.00")
    clock.set(datetime.fromisoformat(project["ends_at"]) + timedelta(hours=5))  # down meanwhile
    async with fx.running(bidding_url, tokens, clock, seed=False, with_timers=True) as world:
        # started: the close has already happened, before any request was served
        project = await world.project(project["id"])
        assert project["status"] == "awaiting_confirmation"
        assert datetime.fromisoformat(project["closed_at"]) == clock.now
        assert len(await world.events("BiddingClosed")) == 1


async def test_two_replicas_close_every_window_once(bidding_url, tokens, fx):
    clock = fx.FakeClock()
    async with fx.running(bidding_url, tokens, clock) as first:
        projects = []
        for n in range(8):
            project = await first.published(starts_in=60, duration=600 + n)
            projects.append(project)
        clock.advance(seconds=60)
        assert await first.tick() == 8  # open them all
        for n, project in enumerate(projects):
            await first.quote(project["id"], 1 + n % 3, f"{250000 - n}.00", service_id="SV-PROPERTY")
        clock.advance(seconds=700)
        async with fx.running(bidding_url, tokens, clock, seed=False) as second:
            done = await asyncio.gather(*(run_due(w.service.db, clock) for w in (first, second, first, second)))
        assert sum(done) == 8
        closed = Counter(e["project_id"] for e in await first.events("BiddingClosed"))
        assert closed == {p["id"]: 1 for p in projects}
        for project in projects:
            assert (await first.project(project["id"]))["status"] == "awaiting_confirmation"


async def test_a_project_the_timer_cannot_handle_does_not_hold_back_the_others(bidding_url, tokens, fx, monkeypatch):
    from bidding import windows

    clock = fx.FakeClock()
    async with fx.running(bidding_url, tokens, clock) as world:
        broken = await world.published(starts_in=10)
        healthy = await world.published(starts_in=20)
        clock.advance(seconds=30)
        original = windows.open_window

        async def failing(session, project, now):
            if project.id == broken["id"]:
                raise RuntimeError("boom")
            await original(session, project, now)

        monkeypatch.setattr(windows, "open_window", failing)
        assert await world.tick() == 1
        assert (await world.project(healthy["id"]))["status"] == "quoting"
        assert (await world.project(broken["id"]))["status"] == "scheduled"
        monkeypatch.setattr(windows, "open_window", original)
        assert await world.tick() == 1  # retried at the next tick
        assert (await world.project(broken["id"]))["status"] == "quoting"


RACE_ROUNDS = 5  # a round almost always shows both outcomes; the bound keeps a slow machine from looping


async def test_every_accepted_quote_counts_when_the_close_races_the_last_quotes(bidding_url, tokens, fx):
    """Quotes arriving in the last instant while the timer closes: each is either accepted and ranked,
    or refused as late (409) — never accepted and lost (quotes share the row lock; the close waits for
    them). Rounds run until one has shown both outcomes, so the race did happen."""
    clock = fx.FakeClock()
    suppliers = [f"9143010000RACE{i:04d}" for i in range(40)]
    headers = {s: tokens.headers(s, s, "supplier", s) for s in suppliers}
    rounds = []
    async with fx.running(bidding_url, tokens, clock, seed=False) as world:
        await world.feed(fx.agreement_published(extra_supplier_ids=suppliers), fx.plan_created())
        while len(rounds) < RACE_ROUNDS:
            accepted, late = await _race_round(world, clock, suppliers, headers)
            rounds.append((len(accepted), len(late)))
            if accepted and late:
                break
    assert any(accepted and late for accepted, late in rounds), f"no round raced the close: {rounds}"


async def _race_round(world, clock, suppliers, headers) -> tuple[set[str], set[str]]:
    """One window closed while 40 quotes are on their way; returns who was accepted and who refused."""
    project = await world.quoting(duration=600)
    ends = datetime.fromisoformat(project["ends_at"])
    clock.set(ends - timedelta(microseconds=1))
    answered: list[int] = []

    async def quote(n: int, supplier: str) -> tuple[str, int, str]:
        await asyncio.sleep(0.001 * n)
        response = await world.client.post(f"/api/v1/projects/{project['id']}/quotes",
                                           json={"amount": f"{200000 + n}.00"}, headers=headers[supplier])
        answered.append(response.status_code)
        return supplier, response.status_code, response.json().get("error", {}).get("code", "")

    async def close() -> None:
        while len(answered) < 10:  # the end comes while the later quotes are on their way
            await asyncio.sleep(0.0005)
        clock.set(ends)
        while (await world.project(project["id"]))["status"] == "quoting":
            await world.tick()

    *results, _ = await asyncio.gather(*(quote(n, s) for n, s in enumerate(suppliers)), close())
    accepted = {s for s, status, _ in results if status == 201}
    late = {s for s, status, _ in results if status == 409}
    assert accepted | late == set(suppliers), results
    assert {code for _, status, code in results if status == 409} <= {"window_closed", "illegal_transition"}
    ranked = await world.ok("GET", f"/api/v1/projects/{project['id']}/quotes", headers=world.purchaser)
    assert {q["supplier_id"] for q in ranked["quotes"]} == accepted
    assert all(datetime.fromisoformat(q["quoted_at"]) < ends for q in ranked["quotes"])
    return accepted, late
