"""Secondary bidding (二次竞价, manual 1.3 ①–⑦) against the real database: draft and edit, preview and
publish, the sealed window and its boundaries, the close, the ranking, exclusions, confirmation and
termination."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bidding.store import Quote, QuoteRevision


def at(project: dict, field: str) -> datetime:
    return datetime.fromisoformat(project[field])


async def test_draft_is_saved_and_edited_until_published(world, fx):
    draft = await world.draft()
    assert (draft["status"], draft["status_label"], draft["method_label"]) == ("draft", "草稿", "二次竞价")
    assert draft["project_no"].startswith("JJ2026") and draft["quantity"] == "12" and draft["unit"] == "月"
    assert draft["filing_no"] == "湘财采备〔2026〕00123" and draft["ceiling_amount"] is None
    edited = await world.ok("PATCH", f"/api/v1/projects/{draft['id']}", headers=world.purchaser,
                            json={"requirements": "驻场 10 人", "quantity": "6", "price_limit": "150000.00"})
    assert (edited["requirements"], edited["quantity"], edited["price_limit"]) == ("驻场 10 人", "6", "150000.00")
    error = await world.error("PATCH", f"/api/v1/projects/{draft['id']}", 422, headers=world.purchaser,
                              json={"quantity": "13"})
    assert error["code"] == "quantity_above_plan"
    error = await world.error("PATCH", f"/api/v1/projects/{draft['id']}", 422, headers=world.purchaser,
                              json={"name": None})
    assert error["code"] == "validation_error" and "name 不能为 null" in error["message"]
    await world.error("PATCH", f"/api/v1/projects/{draft['id']}", 422, headers=world.purchaser, json={"status": "x"})
    await world.error("PATCH", f"/api/v1/projects/{draft['id']}", 404, headers=world.other_purchaser,
                      json={"name": "别人的项目"})
    assert (await world.project(draft["id"]))["requirements"] == "驻场 10 人"
    assert await world.events() == []  # a draft is not public
    await world.ok("POST", f"/api/v1/projects/{draft['id']}/publish", headers=world.purchaser,
                   json={"duration_seconds": 3600})
    error = await world.error("PATCH", f"/api/v1/projects/{draft['id']}", 409, headers=world.purchaser,
                              json={"name": "改名"})
    assert error["code"] == "illegal_transition" and "待开始" in error["message"]


@pytest.mark.parametrize(("changes", "code"), [
    ({"category_code": "C0303"}, "category_mismatch"),   # the plan line buys C1204
    ({"agreement_id": "AG-NONE"}, "unknown_agreement"),
    ({"plan_line_id": "PL-X-1"}, "unknown_plan_line"),
])
async def test_draft_refers_only_to_what_the_read_models_know(world, fx, changes, code):
    error = await world.error("POST", "/api/v1/projects/secondary-biddings", 422, headers=world.purchaser,
                              json={**fx.SECONDARY, **changes})
    assert error["code"] == code


async def test_preview_renders_the_announcement_and_stores_nothing(world, fx):
    draft = await world.draft()
    starts = world.clock.now + timedelta(hours=1)
    preview = await world.ok("POST", f"/api/v1/projects/{draft['id']}/announcement-preview", headers=world.purchaser,
                             json={"starts_at": starts.isoformat(), "duration_seconds": 7200})
    assert preview["kind"] == "procurement" and preview["title"].endswith("二次竞价采购公告")
    # 29000 × 0.9 × 12: the highest agreement ceiling among the invited suppliers (1, 2, 3)
    for text in (draft["project_no"], draft["name"], "湖南省教育厅", "湘江中路", f"HNKJ-{fx.AGREEMENT}",
                 "湖南省省直单位物业服务框架协议", "驻场 8 人", "313200.00", "2026-03-02 11:00:00 (北京时间)",
                 "2026-03-02 13:00:00 (北京时间)", "参与方式", "最终报价时间在先", "李明", "13800000001"):
        assert text in preview["content"], text
    assert (await world.project(draft["id"]))["status"] == "draft"
    assert (await world.ok("GET", "/api/v1/announcements"))["total"] == 0
    error = await world.error("POST", f"/api/v1/projects/{draft['id']}/announcement-preview", 422,
                              headers=world.purchaser, json={"starts_at": "2026-03-02T09:59:00+08:00"})
    assert error["code"] == "start_in_past"


@pytest.mark.parametrize(("window", "code"), [
    ({"starts_at": "2026-03-02T09:59:59+08:00", "duration_seconds": 3600}, "start_in_past"),
    ({"duration_seconds": 59}, "invalid_duration"),
    ({"duration_seconds": 86401}, "invalid_duration"),
])
async def test_publish_refuses_a_start_in_the_past_or_a_duration_out_of_bounds(world, fx, window, code):
    draft = await world.draft()
    error = await world.error("POST", f"/api/v1/projects/{draft['id']}/publish", 422, json=window,
                              headers=world.purchaser)
    assert error["code"] == code and error["message"]
    assert (await world.project(draft["id"]))["status"] == "draft" and await world.events() == []


async def test_publish_refuses_a_window_ending_after_the_agreement(world, fx):
    draft = await world.draft()
    starts = fx.T0.replace(month=12, day=31, hour=15, minute=30)  # 23:30 on the last day, Beijing time
    error = await world.error("POST", f"/api/v1/projects/{draft['id']}/publish", 422, headers=world.purchaser,
                              json={"starts_at": starts.isoformat(), "duration_seconds": 3600})
    assert error["code"] == "ends_after_agreement"


async def test_publish_needs_a_timezone_in_the_start_time(world, fx):
    draft = await world.draft()
    error = await world.error("POST", f"/api/v1/projects/{draft['id']}/publish", 422, headers=world.purchaser,
                              json={"starts_at": "2026-03-02T12:00:00", "duration_seconds": 3600})
    assert error["code"] == "validation_error"


async def test_publish_stores_the_announcement_and_asks_for_funds(world, fx):
    project = await world.published(starts_in=600, duration=3600, reserve=False)
    assert (project["status"], project["status_label"], project["funds_status"]) == ("scheduled", "待开始", "pending")
    assert at(project, "starts_at") == fx.T0 + timedelta(minutes=10)
    assert at(project, "ends_at") == fx.T0 + timedelta(minutes=70)
    assert project["starts_at"].endswith("+08:00") and project["ceiling_amount"] == "313200.00"
    [published] = await world.events("ProjectPublished")
    assert published["method"] == "secondary_bidding" and published["reserve_amount"] == "313200.00"
    assert published["starts_at"] and published["procurement_announcement_id"] == project["procurement_announcement_id"]
    [announced] = await world.events("AnnouncementPublished")
    assert announced["kind"] == "procurement" and announced["announcement_id"] == project["procurement_announcement_id"]
    page = await world.ok("GET", "/api/v1/announcements?kind=procurement")  # public
    assert [a["id"] for a in page["items"]] == [announced["announcement_id"]]
    full = await world.ok("GET", f"/api/v1/announcements/{announced['announcement_id']}")
    assert full["kind_label"] == "采购公告" and "2026-03-02 10:10:00" in full["content"]
    await world.error("GET", "/api/v1/announcements/AN-NONE", 404)
    # Eligible suppliers see it coming; supplier 4 (meetings only) does not.
    for i in (1, 2, 3):
        assert (await world.project(project["id"], world.supplier(i)))["status"] == "scheduled"
    await world.error("GET", f"/api/v1/projects/{project['id']}", 404, headers=world.supplier(4))


async def test_publish_without_a_start_starts_at_once_when_funds_arrive(world, fx):
    draft = await world.draft()
    project = await world.ok("POST", f"/api/v1/projects/{draft['id']}/publish", headers=world.purchaser,
                             json={"duration_seconds": 600})
    assert at(project, "starts_at") == fx.T0 and project["status"] == "scheduled"
    await world.feed(fx.funds_reserved(project))  # the start has come: the handler opens it
    project = await world.project(project["id"])
    assert (project["status"], project["status_label"]) == ("quoting", "项目报价中")
    [opened] = await world.events("QuotingOpened")
    assert opened["invited_supplier_ids"] == sorted(fx.supplier_id(i) for i in (1, 2, 3))


async def test_window_opens_at_its_start_only_once_funds_are_reserved(world, fx):
    project = await world.published(starts_in=60, reserve=False)
    world.clock.advance(seconds=60)
    assert await world.tick() == 0  # start came, funds did not: still 待开始
    await world.quote(project["id"], 1, "100000.00", 409)
    await world.feed(fx.funds_reserved(project))
    assert (await world.project(project["id"]))["status"] == "quoting"


async def test_quotes_before_the_start_are_refused(world, fx):
    project = await world.published(starts_in=60)
    error = await world.quote(project["id"], 2, "100000.00", 409)
    assert error["error"]["code"] == "window_not_open"
    world.clock.advance(seconds=59)
    assert await world.tick() == 0


async def test_a_quote_exactly_at_the_start_opens_the_window_even_before_the_timer(world, fx):
    project = await world.published(starts_in=60)
    world.clock.set(at(project, "starts_at"))
    await world.quote(project["id"], 2, "250000.00")  # no tick yet
    assert (await world.project(project["id"]))["status"] == "quoting"
    assert len(await world.events("QuotingOpened")) == 1


async def test_quotes_at_the_boundary_of_the_end(world, fx):
    project = await world.quoting(duration=3600)
    ends = at(project, "ends_at")
    world.clock.set(ends - timedelta(microseconds=1))
    await world.quote(project["id"], 2, "250000.00")  # the last instant of the window counts
    world.clock.set(ends)
    error = await world.quote(project["id"], 3, "240000.00", 409)  # the timer has not closed it yet
    assert error["error"]["code"] == "window_closed" and "竞价已于" in error["error"]["message"]
    assert (await world.project(project["id"]))["status"] == "quoting"
    assert await world.tick() == 1
    quotes = await world.ok("GET", f"/api/v1/projects/{project['id']}/quotes", headers=world.purchaser)
    assert [q["supplier_id"] for q in quotes["quotes"]] == [fx.supplier_id(2)]


async def test_quotes_are_sealed_until_the_close(world, fx):
    project = await world.quoting()
    pid = project["id"]
    await world.quote(pid, 2, "260000.00")
    world.clock.advance(seconds=1)
    await world.quote(pid, 3, "250000.00")
    error = await world.error("GET", f"/api/v1/projects/{pid}/quotes", 409, headers=world.purchaser)
    assert error["code"] == "quotes_sealed"
    seen = await world.project(pid)
    assert seen["quotes_sealed"] and seen["quote_count"] is None and seen["my_quote"] is None
    mine = await world.ok("GET", f"/api/v1/projects/{pid}/quotes", headers=world.supplier(2))
    assert mine["sealed"] and [q["amount"] for q in mine["quotes"]] == ["260000.00"]
    nothing = await world.ok("GET", f"/api/v1/projects/{pid}/quotes", headers=world.supplier(1))
    assert nothing == {"sealed": True, "closed_at": None, "proposed_winner": None, "quotes": []}
    as_supplier = await world.project(pid, world.supplier(3))
    assert as_supplier["my_quote"]["amount"] == "250000.00" and as_supplier["quote_count"] is None
    await world.error("GET", f"/api/v1/projects/{pid}/quotes", 404, headers=world.supplier(4))
    await world.error("GET", f"/api/v1/projects/{pid}/quotes", 401)


async def test_a_revised_quote_counts_with_its_own_time(world, fx):
    project = await world.quoting()
    pid = project["id"]
    first = await world.quote(pid, 2, "260000.00")
    world.clock.advance(seconds=5)
    await world.quote(pid, 3, "250000.00")
    world.clock.advance(seconds=5)
    revised = await world.quote(pid, 2, "250000.00")  # same price as supplier 3, but later
    assert revised["id"] == first["id"] and revised["revision"] == 2
    assert at(revised, "quoted_at") == at(first, "quoted_at") + timedelta(seconds=10)
    world.clock.set(at(project, "ends_at"))
    await world.tick()
    quotes = await world.ok("GET", f"/api/v1/projects/{pid}/quotes", headers=world.purchaser)
    assert [(q["supplier_id"], q["rank"]) for q in quotes["quotes"]] == [(fx.supplier_id(3), 1),
                                                                        (fx.supplier_id(2), 2)]
    assert quotes["proposed_winner"]["supplier_id"] == fx.supplier_id(3)


async def test_ceilings_apply_per_supplier_and_under_the_price_limit(world, fx):
    project = await world.quoting(price_limit="280000.00")
    pid = project["id"]
    assert project["ceiling_amount"] == "280000.00"
    error = await world.quote(pid, 3, "280000.01", 422)
    assert error["error"]["code"] == "above_ceiling"
    await world.quote(pid, 3, "280000.00")
    # Supplier 1 lists two services of C1204 (物业管理 and 保洁 C120402): it must say which.
    error = await world.quote(pid, 1, "200000.00", 422)
    assert error["error"]["code"] == "service_required"
    view = await world.project(pid, world.supplier(1))
    assert {s["service_id"]: s["ceiling_amount"] for s in view["my_services"]} == {
        "SV-PROPERTY": "280000.00", "SV-CLEANING": "240000.00"}
    error = await world.quote(pid, 1, "240000.01", 422, service_id="SV-CLEANING")
    assert error["error"]["code"] == "above_ceiling"
    quote = await world.quote(pid, 1, "239000.00", service_id="SV-CLEANING")
    assert quote["service_id"] == "SV-CLEANING"
    await world.quote(pid, 2, "1.001", 422)
    await world.quote(pid, 2, "0", 422)


async def test_the_award_checks_the_quote_against_the_same_ceiling_as_the_quote_price_limit_included(world, fx):
    """The award checks the winning quote again with the one ceiling rule of the quote (domain.ceiling):
    the purchaser's price limit counts there too, not only the agreement price. The limit cannot change
    once published, so the test lowers it in the database to reach that check."""
    from bidding.store import Project

    project = await world.quoting(price_limit="280000.00")
    pid = project["id"]
    await world.quote(pid, 3, "280000.00")  # at the limit; its agreement ceiling is 291600.00
    world.clock.set(at(project, "ends_at"))
    await world.tick()
    async with world.service.db.transaction() as session:
        stored = await session.get(Project, pid)
        stored.price_limit = Decimal("279999.99")
        session.add(stored)
    error = await world.error("POST", f"/api/v1/projects/{pid}/confirm-result", 409, headers=world.purchaser)
    assert error["code"] == "above_ceiling" and "279999.99" in error["message"]
    assert (await world.project(pid))["status"] == "awaiting_confirmation"
    assert await world.events("ResultConfirmed") == []


async def test_close_without_a_valid_quote_fails_the_project(world, fx):
    project = await world.quoting()
    world.clock.set(at(project, "ends_at"))
    assert await world.tick() == 1
    project = await world.project(project["id"])
    assert (project["status"], project["status_label"]) == ("failed", "项目失败")
    [closed] = await world.events("BiddingClosed")
    assert closed["valid_quote_count"] == 0
    [failed] = await world.events("ProjectFailed")
    assert failed["plan_line_id"] == fx.LINE and failed["reason"]
    assert await world.tick() == 0  # closed once


async def test_close_ranks_confirms_and_announces_the_award(world, fx):
    project = await world.quoting()
    pid = project["id"]
    for i, amount in ((1, "260000.00"), (2, "255000.00"), (3, "255000.00")):
        await world.quote(pid, i, amount, service_id="SV-PROPERTY")
        world.clock.advance(seconds=1)
    world.clock.set(at(project, "ends_at") + timedelta(seconds=2))
    assert await world.tick() == 1
    project = await world.project(pid)
    assert (project["status"], project["status_label"], project["quote_count"]) == (
        "awaiting_confirmation", "结果待确认", 3)
    [closed] = await world.events("BiddingClosed")
    assert closed["valid_quote_count"] == 3 and closed["excluded_supplier_ids"] == []
    quotes = await world.ok("GET", f"/api/v1/projects/{pid}/quotes", headers=world.purchaser)
    assert [(q["supplier_id"], q["amount"], q["rank"]) for q in quotes["quotes"]] == [
        (fx.supplier_id(2), "255000.00", 1), (fx.supplier_id(3), "255000.00", 2), (fx.supplier_id(1), "260000.00", 3)]
    assert all(q["quoted_at"].endswith("+08:00") for q in quotes["quotes"])
    winner = quotes["proposed_winner"]
    assert winner["supplier_id"] == fx.supplier_id(2)
    await world.quote(pid, 3, "1000.00", 409)  # closed

    project = await world.ok("POST", f"/api/v1/projects/{pid}/confirm-result", headers=world.purchaser,
                             json={"quote_id": winner["id"]})
    assert (project["status"], project["award"]["supplier_id"]) == ("succeeded", fx.supplier_id(2))
    [result] = await world.events("ResultConfirmed")
    assert (result["method"], result["amount"], result["unit_price"], result["quantity"]) == (
        "secondary_bidding", "255000.00", "21250.00", "12")
    assert result["supplier"]["name"] == "供应商2" and result["reserved_amount"] == "313200.00"
    assert result["winning_quote_id"] == winner["id"] and result["service_name"] == "办公楼物业管理"
    awards = await world.ok("GET", "/api/v1/announcements?kind=award")
    assert awards["total"] == 1 and awards["items"][0]["project_no"] == project["project_no"]
    await world.error("POST", f"/api/v1/projects/{pid}/confirm-result", 409, headers=world.purchaser)


async def test_a_supplier_suspended_before_the_close_is_excluded(world, fx):
    project = await world.quoting()
    pid = project["id"]
    await world.quote(pid, 2, "200000.00")
    await world.quote(pid, 3, "250000.00")
    await world.feed(fx.suspended(2))
    await world.quote(pid, 2, "190000.00", 403)  # a suspended supplier cannot quote either
    world.clock.set(at(project, "ends_at"))
    await world.tick()
    [closed] = await world.events("BiddingClosed")
    assert closed["valid_quote_count"] == 1 and closed["excluded_supplier_ids"] == [fx.supplier_id(2)]
    await world.feed(fx.reinstated(2))  # excluded at the close stays excluded
    quotes = await world.ok("GET", f"/api/v1/projects/{pid}/quotes", headers=world.purchaser)
    assert quotes["proposed_winner"]["supplier_id"] == fx.supplier_id(3)
    assert [(q["supplier_id"], q["rank"], bool(q["excluded_reason"])) for q in quotes["quotes"]] == [
        (fx.supplier_id(3), 1, False), (fx.supplier_id(2), None, True)]


async def test_a_winner_suspended_after_the_close_is_excluded_at_the_award(world, fx):
    project = await world.quoting()
    pid = project["id"]
    await world.quote(pid, 2, "200000.00")
    await world.quote(pid, 3, "250000.00")
    world.clock.set(at(project, "ends_at"))
    await world.tick()
    seen = (await world.ok("GET", f"/api/v1/projects/{pid}/quotes", headers=world.purchaser))["proposed_winner"]
    await world.feed(fx.suspended(2))
    error = await world.error("POST", f"/api/v1/projects/{pid}/confirm-result", 409, headers=world.purchaser,
                              json={"quote_id": seen["id"]})
    assert error["code"] == "winner_changed" and "供应商3" in error["message"]
    assert await world.events("ResultConfirmed") == []
    await world.ok("POST", f"/api/v1/projects/{pid}/confirm-result", headers=world.purchaser)
    [result] = await world.events("ResultConfirmed")
    assert result["supplier"]["org_id"] == fx.supplier_id(3) and result["amount"] == "250000.00"


async def test_invitations_are_fixed_when_the_window_opens(world, fx):
    project = await world.published(starts_in=60)
    await world.feed(fx.suspended(3))
    world.clock.advance(seconds=60)
    await world.tick()
    [opened] = await world.events("QuotingOpened")
    assert opened["invited_supplier_ids"] == [fx.supplier_id(1), fx.supplier_id(2)]
    await world.error("GET", f"/api/v1/projects/{project['id']}", 404, headers=world.supplier(3))


async def test_funds_reserved_after_the_window_ended_fail_it_at_once(world, fx):
    project = await world.published(starts_in=60, duration=60, reserve=False)
    world.clock.advance(seconds=200)
    await world.feed(fx.funds_reserved(project))
    project = await world.project(project["id"])
    assert project["status"] == "failed"
    assert [len(await world.events(t)) for t in ("QuotingOpened", "BiddingClosed", "ProjectFailed")] == [1, 1, 1]


@pytest.mark.parametrize("stage", ["draft", "scheduled", "quoting", "awaiting_confirmation"])
async def test_termination_with_a_reason_from_every_open_stage(world, fx, stage):
    if stage == "draft":
        project = await world.draft()
    elif stage == "scheduled":
        project = await world.published()
    else:
        project = await world.quoting()
        if stage == "awaiting_confirmation":
            await world.quote(project["id"], 2, "250000.00")
            world.clock.set(at(project, "ends_at"))
            await world.tick()
    assert (await world.project(project["id"]))["status"] == stage
    await world.error("POST", f"/api/v1/projects/{project['id']}/terminate", 422, json={"reason": "  "},
                      headers=world.purchaser)
    project = await world.ok("POST", f"/api/v1/projects/{project['id']}/terminate", headers=world.purchaser,
                             json={"reason": "需求变更"})
    assert (project["status"], project["status_label"], project["outcome_reason"]) == ("terminated", "项目终止", "需求变更")
    terminated = await world.events("ProjectTerminated")
    if stage == "draft":
        assert terminated == []
    else:
        assert [(t["previous_status"], t["reason"], t["terminated_by"]) for t in terminated] == [
            (stage, "需求变更", "purchaser-a")]
    await world.error("POST", f"/api/v1/projects/{project['id']}/terminate", 409, json={"reason": "again"},
                      headers=world.purchaser)
    if stage == "quoting":  # never opened: quotes stay sealed for good
        await world.error("GET", f"/api/v1/projects/{project['id']}/quotes", 409, headers=world.purchaser)


async def test_direct_selection_commands_do_not_apply_to_secondary_bidding(world, fx):
    project = await world.quoting()
    error = await world.error("POST", f"/api/v1/projects/{project['id']}/decline", 409, headers=world.supplier(2),
                              json={"reason": "不参加"})
    assert error["code"] == "illegal_transition"
    direct = await world.direct_selection()
    await world.error("POST", f"/api/v1/projects/{direct['id']}/publish", 409, headers=world.purchaser,
                      json={"duration_seconds": 600})
    await world.error("POST", f"/api/v1/projects/{direct['id']}/announcement-preview", 409, headers=world.purchaser)


async def test_a_burst_of_quotes_larger_than_the_pool_is_recorded_whole_and_ranked(bidding_url, tokens, fx):
    """More suppliers quote at once than the database pool keeps connections (on PostgreSQL the quote
    path queues them, quotes.py), then every other one revises at once: every quote and every revision
    is recorded, a revision replaces its supplier's own quote, and the ranking is the lowest amount, a
    tie to the earlier quote (the server's arrival order when the times are equal)."""
    shortlisted = [f"9143010000BURST{i:03d}" for i in range(1, 32)]
    suppliers = shortlisted[:3] + shortlisted[4:]  # the fixture's fourth offers another service only
    async with fx.running(bidding_url, tokens, fx.FakeClock(), seed=False) as world:
        await world.feed(fx.agreement_published(suppliers=0, extra_supplier_ids=shortlisted), fx.plan_created())
        project = await world.quoting()
        pid = project["id"]
        headers = {s: tokens.headers(s, s, "supplier", s) for s in suppliers}

        async def quote(supplier: str, amount: str) -> dict:
            r = await world.client.post(f"/api/v1/projects/{pid}/quotes", json={"amount": amount},
                                        headers=headers[supplier])
            assert r.status_code == 201, r.text
            return r.json()

        first = await asyncio.gather(*(quote(s, f"{200000 + i % 3}.00") for i, s in enumerate(suppliers)))
        revisers = suppliers[::2]
        revised = await asyncio.gather(*(quote(s, f"{199000 + i % 2}.00") for i, s in enumerate(revisers)))
        assert all(r["revision"] == 2 and r["id"] == f["id"] for r, f in zip(revised, first[::2], strict=True))
        expected = {q["supplier_id"]: q["amount"] for q in first} | {q["supplier_id"]: q["amount"] for q in revised}

        world.clock.set(at(project, "ends_at"))
        await world.tick()
        result = await world.ok("GET", f"/api/v1/projects/{pid}/quotes", headers=world.purchaser)
        async with world.service.db.read() as session:
            stored = {q.supplier_id: q for q in (await session.exec(sa.select(Quote).where(
                Quote.project_id == pid))).scalars()}
            revisions = (await session.exec(sa.select(sa.func.count()).select_from(QuoteRevision).where(
                QuoteRevision.project_id == pid))).scalar_one()
    assert {q["supplier_id"]: q["amount"] for q in result["quotes"]} == expected
    assert revisions == len(suppliers) + len(revisers)  # every arrival kept (the audit trail)
    in_order = sorted(stored.values(), key=lambda q: (q.amount, q.quoted_at, q.seq))
    assert [q["supplier_id"] for q in result["quotes"]] == [q.supplier_id for q in in_order]
    assert [q["rank"] for q in result["quotes"]] == list(range(1, len(suppliers) + 1))
    assert result["proposed_winner"]["supplier_id"] == in_order[0].supplier_id
