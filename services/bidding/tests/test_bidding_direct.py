"""Direct selection (直接选定, manual 1.2 ①–⑥) against the real database: the checks at publish, the
plan's answer, the supplier's quote or refusal, and the purchaser's confirmation."""

from __future__ import annotations

import pytest


async def test_publish_checks_pass_and_the_plan_is_asked_for_the_ceiling(world, fx):
    project = await world.direct_selection(reserve=False)
    assert (project["status"], project["status_label"]) == ("scheduled", "待开始")
    assert project["method_label"] == "直接选定" and project["project_no"].startswith("ZX2026")
    # 29000 a month, 10 % off from 12 months: 26100 × 12
    assert project["ceiling_amount"] == "313200.00"
    assert project["filing_no"] == "湘财采备〔2026〕00123" and project["funds_status"] == "pending"
    [published] = await world.events("ProjectPublished")
    assert published["reserve_amount"] == "313200.00" and published["supplier_id"] == fx.supplier_id(1)
    assert published["purchaser"]["org_id"] == fx.PURCHASER_ORG and published["plan_line_id"] == fx.LINE
    assert published["agreement_no"] == f"HNKJ-{fx.AGREEMENT}" and published["category_code"] == "C1204"


async def test_funds_reserved_opens_quoting_for_the_chosen_supplier_only(world, fx):
    project = await world.direct_selection()
    assert (project["status"], project["status_label"]) == ("quoting", "项目报价中")
    [opened] = await world.events("QuotingOpened")
    assert opened["invited_supplier_ids"] == [fx.supplier_id(1)]
    seen = await world.project(project["id"], world.supplier(1))
    assert seen["my_services"] == [{"service_id": "SV-PROPERTY", "name": "办公楼物业管理", "unit": "月",
                                    "ceiling_amount": "313200.00"}]
    await world.error("GET", f"/api/v1/projects/{project['id']}", 404, headers=world.supplier(2))
    await world.error("POST", f"/api/v1/projects/{project['id']}/quotes", 404, json={"amount": "1.00"},
                      headers=world.supplier(2))


async def test_funds_rejected_terminates_with_the_plans_reason(world, fx):
    project = await world.direct_selection(reserve=False)
    await world.feed(fx.funds_rejected(project, "计划明细余额不足：剩余 1000.00 元"))
    project = await world.project(project["id"])
    assert (project["status"], project["status_label"]) == ("terminated", "项目终止")
    assert "计划明细余额不足" in project["outcome_reason"]
    [terminated] = await world.events("ProjectTerminated")
    assert terminated["terminated_by"] == "system" and terminated["previous_status"] == "scheduled"
    # A late reservation for a project that ended changes nothing.
    await world.feed(fx.funds_reserved(project))
    assert (await world.project(project["id"]))["status"] == "terminated"


@pytest.mark.parametrize(("changes", "code"), [
    ({"agreement_id": "AG-NONE"}, "unknown_agreement"),
    ({"supplier_id": "91430000000000XXXX"}, "supplier_not_shortlisted"),
    ({"service_id": "SV-MEETING"}, "service_not_listed"),            # supplier 1 does not offer it
    ({"supplier_id": "914301000000000004"}, "service_not_listed"),   # supplier 4 offers meetings only
    ({"plan_id": "PL-NONE", "plan_line_id": "PL-NONE-1"}, "unknown_plan"),
    ({"plan_line_id": "PL-TEST-1-9"}, "unknown_plan_line"),
    ({"quantity": "13"}, "quantity_above_plan"),
])
async def test_publish_refuses_what_the_read_models_do_not_allow(world, fx, changes, code):
    error = await world.error("POST", "/api/v1/projects/direct-selections", 422, json={**fx.DIRECT, **changes},
                              headers=world.purchaser)
    assert error["code"] == code, error
    assert await world.events() == []


async def test_publish_refuses_a_category_mismatch_a_suspended_supplier_a_delisted_service(world, fx):
    await world.feed(fx.plan_created(plan_id="PL-MEET", category="C0303"))
    error = await world.error("POST", "/api/v1/projects/direct-selections", 422, headers=world.purchaser,
                              json={**fx.DIRECT, "plan_id": "PL-MEET", "plan_line_id": "PL-MEET-1"})
    assert error["code"] == "category_mismatch"
    await world.feed(fx.suspended(1))
    error = await world.error("POST", "/api/v1/projects/direct-selections", 422, json=fx.DIRECT,
                              headers=world.purchaser)
    assert error["code"] == "supplier_suspended"
    await world.feed(fx.reinstated(1), fx.delisted(1))
    error = await world.error("POST", "/api/v1/projects/direct-selections", 422, json=fx.DIRECT,
                              headers=world.purchaser)
    assert error["code"] == "service_not_listed"
    await world.feed(fx.listed(1, "28000.00"))
    project = await world.direct_selection(reserve=False)
    assert project["ceiling_amount"] == "336000.00"  # the listing carried no discount tiers


async def test_publish_refuses_an_expired_agreement_or_one_without_direct_selection(world, fx):
    world.clock.set(world.clock.now.replace(year=2027))
    error = await world.error("POST", "/api/v1/projects/direct-selections", 422, json=fx.DIRECT,
                              headers=world.purchaser)
    assert error["code"] == "agreement_not_valid" and "到期" in error["message"]
    world.clock.set(fx.T0)
    await world.feed(fx.agreement_published(agreement_id="AG-SB", methods=["secondary_bidding"]))
    error = await world.error("POST", "/api/v1/projects/direct-selections", 422, headers=world.purchaser,
                              json={**fx.DIRECT, "agreement_id": "AG-SB"})
    assert error["code"] == "agreement_not_valid" and "直接选定" in error["message"]


async def test_only_a_purchaser_of_the_plans_unit_may_publish(world, fx):
    await world.error("POST", "/api/v1/projects/direct-selections", 403, json=fx.DIRECT, headers=world.supplier(1))
    error = await world.error("POST", "/api/v1/projects/direct-selections", 422, json=fx.DIRECT,
                              headers=world.other_purchaser)
    assert error["code"] == "unknown_plan"
    await world.error("POST", "/api/v1/projects/direct-selections", 401, json=fx.DIRECT)


@pytest.mark.parametrize("bad", [
    {"contact_phone": "0731-123"}, {"quantity": "0"}, {"quantity": "1.0001"}, {"unexpected": 1},
    {"contact_name": " "},
])
async def test_bad_input_is_a_clear_422_and_changes_nothing(world, fx, bad):
    error = await world.error("POST", "/api/v1/projects/direct-selections", 422, json={**fx.DIRECT, **bad},
                              headers=world.purchaser)
    assert error["code"] == "validation_error"
    assert (await world.ok("GET", "/api/v1/projects", headers=world.purchaser))["total"] == 0


async def test_quote_moves_to_awaiting_and_confirmation_publishes_the_full_result(world, fx):
    project = await world.direct_selection()
    pid = project["id"]
    await world.quote(pid, 1, "313200.01", 422)  # above the ceiling
    await world.quote(pid, 1, "0.00", 422)
    await world.quote(pid, 1, "-5.00", 422)
    await world.quote(pid, 1, "1.005", 422)
    quote = await world.quote(pid, 1, "300000.00")
    assert quote["unit_price"] == "25000.00" and quote["revision"] == 1
    project = await world.project(pid)
    assert (project["status"], project["status_label"]) == ("awaiting_confirmation", "结果待确认")
    await world.quote(pid, 1, "290000.00", 409)  # a direct selection takes one quote

    quotes = await world.ok("GET", f"/api/v1/projects/{pid}/quotes", headers=world.purchaser)
    assert not quotes["sealed"] and quotes["proposed_winner"]["amount"] == "300000.00"

    project = await world.ok("POST", f"/api/v1/projects/{pid}/confirm-result", json={"quote_id": quote["id"]},
                             headers=world.purchaser)
    assert (project["status"], project["status_label"]) == ("succeeded", "项目成功")
    assert project["award"]["amount"] == "300000.00"
    [result] = await world.events("ResultConfirmed")
    assert result["purchaser"] == {"org_id": fx.PURCHASER_ORG, "name": "湖南省教育厅",
                                   "address": "湖南省长沙市开福区湘江中路 2 段 116 号", "contact_name": "李明",
                                   "contact_phone": "13800000001"}
    assert result["supplier"] == {"org_id": fx.supplier_id(1), "name": "供应商1", "address": "长沙市岳麓区1号",
                                  "contact_name": "联系人1", "contact_phone": "13807310001"}
    assert (result["agreement_no"], result["agreement_name"]) == (f"HNKJ-{fx.AGREEMENT}", "湖南省省直单位物业服务框架协议")
    assert result["contract_template"].startswith("甲方")
    assert (result["service_id"], result["service_name"], result["unit"]) == ("SV-PROPERTY", "办公楼物业管理", "月")
    assert (result["quantity"], result["unit_price"], result["amount"]) == ("12", "25000.00", "300000.00")
    assert result["reserved_amount"] == "313200.00" and result["filing_no"] == "湘财采备〔2026〕00123"
    assert result["method"] == "direct_selection" and result["award_announcement_id"]

    award = await world.ok("GET", f"/api/v1/announcements/{result['award_announcement_id']}")  # public: no token
    assert award["kind"] == "award" and award["kind_label"] == "单笔成交结果公告"
    for text in ("湖南省教育厅", "湘江中路", "李明", project["project_no"], project["name"], "供应商1", "长沙市岳麓区1号",
                 "300000.00", "25000.00", "办公楼物业管理", "12 月"):
        assert text in award["content"], text
    await world.error("POST", f"/api/v1/projects/{pid}/terminate", 409, json={"reason": "too late"},
                      headers=world.purchaser)


async def test_supplier_declines_with_a_reason(world, fx):
    project = await world.direct_selection()
    await world.error("POST", f"/api/v1/projects/{project['id']}/decline", 422, json={"reason": ""},
                      headers=world.supplier(1))
    project = await world.ok("POST", f"/api/v1/projects/{project['id']}/decline", json={"reason": "人员不足，无法承接"},
                             headers=world.supplier(1))
    assert (project["status"], project["status_label"]) == ("failed", "项目失败")
    [failed] = await world.events("ProjectFailed")
    assert "人员不足" in failed["reason"] and failed["previous_status"] == "quoting"
    await world.quote(project["id"], 1, "1000.00", 409)


async def test_award_refused_when_the_supplier_was_suspended_after_quoting(world, fx):
    project = await world.direct_selection()
    await world.quote(project["id"], 1, "300000.00")
    await world.feed(fx.suspended(1))
    error = await world.error("POST", f"/api/v1/projects/{project['id']}/confirm-result", 409,
                              headers=world.purchaser)
    assert error["code"] == "no_eligible_quote"
    assert (await world.project(project["id"]))["status"] == "awaiting_confirmation"
    assert await world.events("ResultConfirmed") == []
    project = await world.ok("POST", f"/api/v1/projects/{project['id']}/terminate",
                             json={"reason": "供应商被暂停资格"}, headers=world.purchaser)
    assert project["status"] == "terminated"
    [terminated] = await world.events("ProjectTerminated")
    assert terminated["previous_status"] == "awaiting_confirmation"


async def test_award_refused_when_the_agreement_expired_before_confirmation(world, fx):
    project = await world.direct_selection()
    await world.quote(project["id"], 1, "300000.00")
    world.clock.set(world.clock.now.replace(year=2027, month=1, day=1))
    error = await world.error("POST", f"/api/v1/projects/{project['id']}/confirm-result", 409,
                              headers=world.purchaser)
    assert error["code"] == "agreement_not_valid"


async def test_a_purchaser_sees_only_its_own_units_projects(world, fx):
    project = await world.direct_selection()
    await world.error("GET", f"/api/v1/projects/{project['id']}", 404, headers=world.other_purchaser)
    await world.error("POST", f"/api/v1/projects/{project['id']}/terminate", 404, json={"reason": "x"},
                      headers=world.other_purchaser)
    assert (await world.ok("GET", "/api/v1/projects", headers=world.other_purchaser))["total"] == 0
    mine = await world.ok("GET", "/api/v1/projects", headers=world.purchaser)
    assert [p["id"] for p in mine["items"]] == [project["id"]]
    theirs = await world.ok("GET", "/api/v1/projects", headers=world.supplier(1))
    assert [p["id"] for p in theirs["items"]] == [project["id"]] and theirs["items"][0]["funds_status"] is None
    assert (await world.ok("GET", "/api/v1/projects", headers=world.supplier(2)))["total"] == 0


async def test_redelivered_reservation_has_one_effect(world, fx):
    from contracts_schema.envelope import Envelope

    project = await world.direct_selection(reserve=False)
    event = fx.funds_reserved(project)
    envelope = Envelope(type=event.ce_type(), source="/test", subject=event.aggregate_id, sequence=1)
    assert (await world.service.dispatch(event, envelope)).status == "handled"
    assert (await world.service.dispatch(event, envelope)).status == "duplicate"
    assert len(await world.events("QuotingOpened")) == 1
