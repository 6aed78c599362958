"""The agreement's ledger (协议执行台账) and the announcements' deadlines, against the real database:
- every award by supplier, purchaser and method, totals against the agreement's estimate; the purchaser
  is warned before an award that passes it, the agency sees the award that did; the agency only;
- the award announcement of a secondary bidding is due 2 working days after the award (published at
  once, its deadline recorded); a direct selection's has no deadline of its own;
- the summary of the direct-selection awards is published once the agreement has expired, due 10
  working days after it — across 国庆 2026 — and lists exactly the direct-selection awards."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bidding import summaries
from bidding_fixtures import supplier_id
from bidding.ledger_rules import Award, Estimate, ledger, warning_for
from servicekit.workdays import CHINA

AGENCY_ORG = "12430000MB1A46001K"


def agency(world, org: str = AGENCY_ORG) -> dict[str, str]:
    return world._as(f"agency-{org}", org, "agency", "湖南省政府采购中心")


async def direct_award(world, amount: str, *, supplier: int = 1, confirm: bool = True, **changes) -> dict:
    project = await world.direct_selection(supplier_id=supplier_id(supplier), **changes)
    await world.quote(project["id"], supplier, amount)
    if confirm:
        project = await world.ok("POST", f"/api/v1/projects/{project['id']}/confirm-result", headers=world.purchaser)
    return project


async def secondary_award(world, amounts: dict[int, str]) -> dict:
    project = await world.quoting()
    for supplier, amount in amounts.items():
        await world.quote(project["id"], supplier, amount)
    world.clock.set(datetime.fromisoformat(project["ends_at"]))
    await world.tick()
    return await world.ok("POST", f"/api/v1/projects/{project['id']}/confirm-result", headers=world.purchaser)


async def test_the_ledger_adds_up_every_award_and_warns_before_the_estimate_is_passed(world, fx):
    await world.feed(fx.agreement_published(published_at=fx.T0 + timedelta(seconds=1)).model_copy(
        update={"estimated_amount": Decimal("700000.00")}))
    first = await direct_award(world, "300000.00")
    second = await secondary_award(world, {2: "280000.00", 3: "270000.00"})
    assert second["ledger_warning"] is None

    third = await direct_award(world, "200000.00", confirm=False)
    shown = await world.project(third["id"])
    assert "超过框架协议预估采购金额 700000.00 元" in shown["ledger_warning"]
    assert "超出 70000.00 元" in shown["ledger_warning"]
    assert (await world.project(third["id"], world.supplier(1))).get("ledger_warning") is None
    await world.ok("POST", f"/api/v1/projects/{third['id']}/confirm-result", headers=world.purchaser)  # allowed

    book = await world.ok("GET", f"/api/v1/ledgers/{fx.AGREEMENT}", headers=agency(world))
    assert book["estimated_amount"] == "700000.00" and book["exceeded"]
    assert book["total"] == {"key": "all", "name": "合计", "count": 3, "amount": "770000.00", "quantity": "36"}
    assert book["remaining_amount"] == "-70000.00"
    assert [(a["project_no"], a["method_label"], a["supplier_name"], a["amount"], a["passed_estimate"])
            for a in book["awards"]] == [
        (first["project_no"], "直接选定", "供应商1", "300000.00", False),
        (second["project_no"], "二次竞价", "供应商3", "270000.00", False),
        (third["project_no"], "直接选定", "供应商1", "200000.00", True)]
    assert [(t["name"], t["count"], t["amount"]) for t in book["by_supplier"]] == [
        ("供应商1", 2, "500000.00"), ("供应商3", 1, "270000.00")]
    assert [(t["name"], t["amount"]) for t in book["by_method"]] == [("直接选定", "500000.00"),
                                                                     ("二次竞价", "270000.00")]
    assert [(t["name"], t["count"]) for t in book["by_purchaser"]] == [("湖南省教育厅", 3)]

    await world.error("GET", f"/api/v1/ledgers/{fx.AGREEMENT}", 403, headers=agency(world, "12430000MB1A46999X"))
    await world.error("GET", f"/api/v1/ledgers/{fx.AGREEMENT}", 403, headers=world.purchaser)
    await world.error("GET", "/api/v1/ledgers/AG-NONE", 404, headers=agency(world))


async def test_an_agreement_without_an_estimate_never_warns(world, fx):
    project = await direct_award(world, "300000.00", confirm=False)
    assert (await world.project(project["id"]))["ledger_warning"] is None
    book = await world.ok("GET", f"/api/v1/ledgers/{fx.AGREEMENT}", headers=agency(world))
    assert book["estimated_amount"] is None and book["remaining_amount"] is None and not book["exceeded"]
    assert book["total"]["count"] == 0


async def test_the_award_announcement_of_a_secondary_bidding_is_due_two_working_days_after_the_award(world, fx):
    direct = await direct_award(world, "300000.00")
    secondary = await secondary_award(world, {2: "280000.00"})
    awards = {a["project_id"]: a for a in (await world.ok("GET", "/api/v1/announcements",
                                                          params={"kind": "award"}))["items"]}
    # Awarded Monday 2026-03-02 (北京时间): due at the end of Wednesday the 4th.
    assert awards[secondary["id"]]["due_at"] == "2026-03-05T00:00:00+08:00"
    assert not awards[secondary["id"]]["overdue"] and not awards[secondary["id"]]["deadline_provisional"]
    assert awards[direct["id"]]["due_at"] is None  # announced in the summary after the agreement expires
    [event] = [e for e in await world.events("AnnouncementPublished") if e["project_id"] == secondary["id"]
               and e["kind"] == "award"]
    assert event["due_at"] == "2026-03-04T16:00:00Z" and event["agreement_id"] == fx.AGREEMENT


async def test_the_summary_after_the_agreement_expires_across_national_day_lists_the_direct_selections(world, fx):
    await world.feed(fx.agreement_published(valid_to=date(2026, 9, 30), published_at=fx.T0 + timedelta(seconds=1)))
    one = await direct_award(world, "300000.00")
    two = await direct_award(world, "250000.00", supplier=2)
    bidding = await secondary_award(world, {3: "270000.00"})
    await direct_award(world, "200000.00", confirm=False)  # never confirmed: no award

    world.clock.set(datetime(2026, 9, 30, 15, 59, tzinfo=timezone.utc))  # 23:59 on its last valid day
    assert await summaries.publish_due(world.service.db, world.clock(), CHINA) == 0
    world.clock.set(datetime(2026, 9, 30, 16, 0, 1, tzinfo=timezone.utc))  # 10-01 00:00:01 北京时间
    assert await summaries.publish_due(world.service.db, world.clock(), CHINA) == 1
    assert await summaries.publish_due(world.service.db, world.clock(), CHINA) == 0  # once

    listing = await world.ok("GET", "/api/v1/announcements", params={"kind": "summary"})  # no login
    [summary] = listing["items"]
    assert summary["kind_label"] == "直接选定成交结果汇总公告" and summary["agreement_id"] == fx.AGREEMENT
    # 国庆 2026: 10-01 … 10-07 off, Saturday 10-10 worked: the 10th working day after 09-30 is 10-20.
    assert summary["due_at"] == "2026-10-21T00:00:00+08:00" and not summary["overdue"]
    assert CHINA.add_working_days(date(2026, 9, 30), 10) == date(2026, 10, 20)
    full = await world.ok("GET", f"/api/v1/announcements/{summary['id']}")
    assert [(a["project_no"], a["supplier_name"], a["amount"]) for a in full["details"]["awards"]] == [
        (one["project_no"], "供应商1", "300000.00"), (two["project_no"], "供应商2", "250000.00")]
    assert full["details"]["total_amount"] == "550000.00" and full["details"]["award_count"] == 2
    assert bidding["project_no"] not in full["content"]
    for line in full["details"]["awards"]:
        assert line["purchaser_name"] == "湖南省教育厅" and line["service_name"] == "办公楼物业管理"
        assert line["quantity"] == "12" and line["unit"] == "月" and line["awarded_at"].startswith("2026-03-02")
    assert "合计：2 笔，成交金额合计人民币 550000.00 元" in full["content"]
    [event] = [e for e in await world.events("AnnouncementPublished") if e["kind"] == "summary"]
    assert event["due_at"] == "2026-10-20T16:00:00Z" and event["project_id"] == fx.AGREEMENT


async def test_a_summary_published_late_is_flagged_overdue(world, fx):
    await world.feed(fx.agreement_published(valid_to=date(2026, 9, 30), published_at=fx.T0 + timedelta(seconds=1)))
    world.clock.set(datetime(2026, 10, 21, 1, 0, tzinfo=timezone.utc))  # the platform was down until 10-21
    assert await summaries.publish_due(world.service.db, world.clock(), CHINA) == 1
    [summary] = (await world.ok("GET", "/api/v1/announcements", params={"kind": "summary"}))["items"]
    assert summary["overdue"]
    assert "无直接选定成交结果" in (await world.ok("GET", f"/api/v1/announcements/{summary['id']}"))["content"]


async def test_an_agreement_without_direct_selection_has_no_summary(world, fx):
    await world.feed(fx.agreement_published(agreement_id="AG-SB-ONLY", valid_to=date(2026, 9, 30),
                                            methods=["secondary_bidding"]))
    world.clock.set(datetime(2026, 10, 8, 2, 0, tzinfo=timezone.utc))
    assert await summaries.publish_due(world.service.db, world.clock(), CHINA) == 0
    assert (await world.ok("GET", "/api/v1/announcements", params={"kind": "summary"}))["total"] == 0


# --- the ledger's totals are the sums of its awards (property) -------------------------------------------

T = datetime(2026, 3, 2, tzinfo=timezone.utc)
awards_strategy = st.lists(st.builds(
    lambda i, method, supplier, purchaser, fen, qty, minutes: Award(
        project_id=f"P{i}", project_no=f"XM{i:04d}", project_name="项目", method=method, purchaser_org_id=purchaser,
        purchaser_name=f"采购人{purchaser}", supplier_id=supplier, supplier_name=f"供应商{supplier}",
        service_name="服务", quantity=Decimal(qty), unit="月", unit_price=Decimal("1.00"),
        amount=Decimal(fen) / 100, awarded_at=T + timedelta(minutes=minutes)),
    st.integers(0, 9999), st.sampled_from(["direct_selection", "secondary_bidding", "rotation"]),
    st.sampled_from("ABC"), st.sampled_from("XY"), st.integers(1, 10**11), st.integers(1, 1000),
    st.integers(0, 10**6)), max_size=30)
estimates = st.builds(Estimate, st.none() | st.integers(0, 10**12).map(lambda f: Decimal(f) / 100),
                      st.none() | st.integers(0, 10**4).map(Decimal))


@settings(max_examples=200, deadline=None)
@given(awards_strategy, estimates)
def test_the_ledgers_totals_equal_the_sum_of_its_awards(awards, estimate):
    book = ledger(awards, estimate, {"direct_selection": "直接选定"})
    amount, quantity = sum((a.amount for a in awards), Decimal("0.00")), sum((a.quantity for a in awards), Decimal(0))
    assert (book.total.count, book.total.amount, book.total.quantity) == (len(awards), amount, quantity)
    for groups in (book.by_supplier, book.by_purchaser, book.by_method):
        assert sum(t.count for t in groups) == len(awards)
        assert sum((t.amount for t in groups), Decimal("0.00")) == amount
        assert sum((t.quantity for t in groups), Decimal(0)) == quantity
    for t in book.by_supplier:
        assert t.amount == sum((a.amount for a in awards if a.supplier_id == t.key), Decimal("0.00"))
    passed_amount = estimate.amount is not None and amount > estimate.amount
    passed_quantity = estimate.quantity is not None and quantity > estimate.quantity
    assert book.exceeded == (passed_amount or passed_quantity)
    marked = sum(a.passed_estimate for a in book.awards)  # the award that passed the amount, the quantity
    assert (marked > 0) == book.exceeded and marked <= passed_amount + passed_quantity
    if awards:  # the warning before the last award is the ledger's verdict after it
        last = book.awards[-1]
        before = book.awards[:-1]
        warning = warning_for(estimate, sum((a.amount for a in before), Decimal("0.00")),
                              sum((a.quantity for a in before), Decimal(0)), last.amount, last.quantity)
        assert (warning is not None) == book.exceeded
