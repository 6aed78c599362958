"""The catalog over HTTP on the real database: the agency publishes stage-1 data, suppliers list and
delist, the agency suspends and reinstates, everyone browses; bad input is a clear 4xx and changes
nothing; the clock ends agreements once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from catalog.clock import tick
from catalog.store import Agreement, Offering, Service
from contracts_schema.types import utcnow


async def counts(catalog) -> tuple[int, int, int, int]:
    async with catalog.service.db.read() as session:
        result = tuple([(await session.exec(select(func.count()).select_from(t))).one()
                        for t in (Agreement, Service, Offering)])
    return (*result, len(await catalog.events("AgreementPublished")))


async def test_publish_agreement_records_and_announces_the_whole_stage1_result(catalog, tag, suppliers):
    agreement = await catalog.publish(tag)
    assert agreement["status"] == "active" and agreement["status_label"] == "有效"
    assert [m["label"] for m in agreement["methods"]] == ["直接选定", "二次竞价"]
    assert agreement["agency_name"] == "湖南省政府采购中心" and agreement["category_name"] == "房地产服务"
    assert [(s["supplier_id"], s["status_label"]) for s in agreement["suppliers"]] == [
        (suppliers[1][0], "正常"), (suppliers[6][0], "正常")]
    assert len(agreement["offerings"]) == 4 and {o["status"] for o in agreement["offerings"]} == {"unlisted"}
    office_1 = catalog.offering(agreement, 1, "办公楼")
    office_6 = catalog.offering(agreement, 6, "办公楼")
    assert office_1["service_id"] == office_6["service_id"], "one service, offered by two suppliers"
    assert office_1["discount_tiers"] == [{"min_quantity": "10000", "unit_price": "4.30"},
                                          {"min_quantity": "30000", "unit_price": "4.10"}]

    [event] = await catalog.events("AgreementPublished", agreement_id=agreement["id"])
    assert event["agreement_no"] == agreement["agreement_no"] and event["methods"] == ["direct_selection",
                                                                                       "secondary_bidding"]
    assert event["contract_template"].startswith("甲方：{purchaser_name}")
    assert {s["supplier_id"] for s in event["suppliers"]} == {suppliers[1][0], suppliers[6][0]}
    assert len(event["services"]) == 3 and len(event["offerings"]) == 4
    assert {(o["offering_id"], o["agreement_price"], o["listed"]) for o in event["offerings"]} == {
        (o["offering_id"], o["agreement_price"], False) for o in agreement["offerings"]}
    assert (await catalog.search(q=f"办公楼物业管理服务{tag}"))["total"] == 0, "nothing is offered before listing"


@pytest.mark.parametrize(("who", "change", "status", "code"), [
    ("purchaser", {}, 403, "forbidden"),
    (1, {}, 403, "forbidden"),
    ("agency", {"category_code": "C9999"}, 422, "unknown_category"),
    ("agency", {"category_code": "C08"}, 422, "category_outside_agreement"),
    ("agency", {"valid_to": "2020-01-01", "valid_from": "2020-02-01"}, 422, "invalid_validity"),
    ("agency", {"valid_to": "2020-12-31", "valid_from": "2020-01-01"}, 422, "invalid_validity"),
    ("agency", {"methods": []}, 422, "validation_error"),
    ("agency", {"methods": ["negotiation"]}, 422, "validation_error"),
    ("agency", {"methods": ["rotation"], "rotation_order": ["91430100MA4L1A0011"]}, 422, "invalid_rotation_order"),
    ("agency", {"methods": ["rotation"], "rotation_order": ["91430100MA4L1A0011"] * 2}, 422,
     "invalid_rotation_order"),
    ("agency", {"rotation_order": ["91430100MA4L1A0066", "91430100MA4L1A0011"]}, 422, "invalid_rotation_order"),
    ("agency", {"suppliers": []}, 422, "validation_error"),
    ("agency", {"contract_template": ""}, 422, "validation_error"),
    ("agency", {"surprise": 1}, 422, "validation_error"),
    ("agency", {"supplier": {"supplier_id": "not-a-credit-code"}}, 422, "validation_error"),
    ("agency", {"supplier": {"services": []}}, 422, "validation_error"),
    ("agency", {"service": {"agreement_price": "0"}}, 422, "validation_error"),
    ("agency", {"service": {"agreement_price": "-4.50"}}, 422, "validation_error"),
    ("agency", {"service": {"agreement_price": "4.505"}}, 422, "validation_error"),
    ("agency", {"service": {"category_code": "C0801"}}, 422, "category_outside_agreement"),
    ("agency", {"service": {"discount_tiers": [{"min_quantity": "100", "unit_price": "4.60"}]}}, 422,
     "invalid_discount_tiers"),
    ("agency", {"service": {"discount_tiers": [{"min_quantity": "100", "unit_price": "4.00"},
                                               {"min_quantity": "200", "unit_price": "4.20"}]}}, 422,
     "invalid_discount_tiers"),
    ("agency", {"duplicate_supplier": True}, 422, "duplicate_supplier"),
])
async def test_bad_stage1_data_is_a_clear_4xx_and_changes_nothing(catalog, body, tag, who, change, status, code):
    payload = body(tag)
    if "supplier" in change:
        payload["suppliers"][0].update(change.pop("supplier"))
    if "service" in change:
        payload["suppliers"][0]["services"][0].update(change.pop("service"))
    if change.pop("duplicate_supplier", False):
        payload["suppliers"].append(payload["suppliers"][0])
    payload.update(change)
    before = await counts(catalog)
    response = await catalog.client.post("/api/v1/catalog/agreements", json=payload, headers=catalog.headers(who))
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    assert await counts(catalog) == before


async def test_an_agreement_number_is_published_once(catalog, body, tag):
    payload = body(tag)
    assert (await catalog.client.post("/api/v1/catalog/agreements", json=payload,
                                      headers=catalog.headers())).status_code == 201
    before = await counts(catalog)
    again = await catalog.client.post("/api/v1/catalog/agreements", json=payload, headers=catalog.headers())
    assert again.status_code == 409 and again.json()["error"]["code"] == "agreement_exists"
    assert await counts(catalog) == before


async def test_supplier_lists_under_the_ceiling_and_the_service_becomes_offered(catalog, tag, suppliers):
    agreement = await catalog.publish(tag)
    listed = await catalog.list_service(agreement, 1, "办公楼", "4.20")
    assert listed.status_code == 200, listed.text
    assert (listed.json()["status"], listed.json()["status_label"], listed.json()["price"]) == ("listed", "已上架",
                                                                                                "4.20")
    offering = catalog.offering(agreement, 1, "办公楼")
    [event] = await catalog.events("ServiceListed", offering_id=offering["offering_id"])
    assert event == {**event, "price": "4.20", "agreement_price": "4.50", "supplier_name": suppliers[1][1],
                     "service_name": f"办公楼物业管理服务{tag}", "unit": "平方米·月", "category_code": "C120401"}
    assert [t["unit_price"] for t in event["discount_tiers"]] == ["4.30", "4.10"]

    assert (await catalog.list_service(agreement, 1, "办公楼", "4.20")).status_code == 200
    assert len(await catalog.events("ServiceListed", offering_id=offering["offering_id"])) == 1, "no change, no event"
    assert (await catalog.list_service(agreement, 1, "办公楼", "4.15")).json()["price"] == "4.15"
    assert len(await catalog.events("ServiceListed", offering_id=offering["offering_id"])) == 2

    found = await catalog.search(q=f"物业管理 {tag}")
    assert [(s["name"], s["min_price"], s["supplier_count"]) for s in found["items"]] == [
        (f"办公楼物业管理服务{tag}", "4.15", 1)]
    detail = await catalog.service_detail(offering["service_id"])
    assert [(o["supplier"]["name"], o["agreement"]["agreement_no"], o["agreement_price"], o["price"])
            for o in detail["offers"]] == [(suppliers[1][1], agreement["agreement_no"], "4.50", "4.15")]
    assert detail["offers"][0]["agreement"]["methods"][1] == {"code": "secondary_bidding", "label": "二次竞价"}


@pytest.mark.parametrize(("who", "target", "price", "status", "code"), [
    (1, "办公楼", "4.51", 422, "price_above_agreement_price"),
    (1, "办公楼", "0", 422, "validation_error"),
    (1, "办公楼", "4.123", 422, "validation_error"),
    (2, "办公楼", "4.00", 403, "not_shortlisted"),
    (1, "秩序维护", "5000.00", 422, "service_not_in_agreement"),
    ("purchaser", "办公楼", "4.00", 403, "forbidden"),
])
async def test_a_bad_listing_is_refused_and_changes_nothing(catalog, tag, who, target, price, status, code):
    agreement = await catalog.publish(tag)
    service_id = next(o["service_id"] for o in agreement["offerings"] if o["service_name"].startswith(target))
    response = await catalog.client.post(f"/api/v1/catalog/agreements/{agreement['id']}/listings",
                                         json={"service_id": service_id, "price": price}, headers=catalog.headers(who))
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert not await catalog.events("ServiceListed", agreement_id=agreement["id"])
    assert (await catalog.search(q=tag))["total"] == 0


async def test_browse_by_category_keyword_price_and_page(catalog, tag):
    agreement = await catalog.publish(tag)
    for supplier, prefix, price in ((1, "办公楼", "4.40"), (1, "保洁", "2.60"), (6, "办公楼", "4.30"),
                                    (6, "秩序维护", "5100.00")):
        assert (await catalog.list_service(agreement, supplier, prefix, price)).status_code == 200
    by_price = await catalog.search(q=tag, sort="price")
    assert [(s["name"], s["min_price"]) for s in by_price["items"]] == [
        (f"保洁服务{tag}", "2.60"), (f"办公楼物业管理服务{tag}", "4.30"), (f"秩序维护服务{tag}", "5100.00")]
    assert by_price["items"][1]["supplier_count"] == 2 and by_price["items"][1]["category_name"] == "办公楼物业管理服务"
    assert [s["min_price"] for s in (await catalog.search(q=tag, sort="-price"))["items"]] == ["5100.00", "4.30",
                                                                                             "2.60"]
    page2 = await catalog.search(q=tag, sort="price", page=2, page_size=2)
    assert page2["total"] == 3 and page2["total_exact"] and [s["min_price"] for s in page2["items"]] == ["5100.00"]
    past_the_end = await catalog.search(q=tag, sort="price", page=3, page_size=2)  # no row to carry the total
    assert past_the_end["total"] == 3 and past_the_end["items"] == []
    assert (await catalog.search(q=tag, category="C120402"))["total"] == 1
    assert (await catalog.search(q=tag, category="C1204"))["total"] == 3
    assert (await catalog.search(q=tag, category="C0801"))["total"] == 0
    assert (await catalog.search(q=f"保洁服务 {tag}"))["total"] == 1, "every word must match"
    assert (await catalog.search(q=f"含保洁 {tag}"))["total"] == 1, "the description is searched too"
    assert (await catalog.search(q=f"%{tag}"))["total"] == 0, "LIKE wildcards are plain characters"
    bad = await catalog.client.get("/api/v1/catalog/services", params={"category": "C9999"},
                                   headers=catalog.headers("purchaser"))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_category"
    assert (await catalog.client.get("/api/v1/catalog/services")).status_code == 401

    tree = (await catalog.client.get("/api/v1/catalog/categories", headers=catalog.headers(2))).json()["items"]
    realty = next(n for n in tree if n["code"] == "C12")
    property_mgmt = next(n for n in realty["children"] if n["code"] == "C1204")
    assert property_mgmt["name"] == "物业管理服务" and property_mgmt["offered_services"] >= 3
    assert realty["offered_services"] >= property_mgmt["offered_services"]
    assert [c["code"] for c in property_mgmt["children"]] == ["C120401", "C120402", "C120403"]


async def test_delisting_takes_an_offer_off_the_library(catalog, tag):
    agreement = await catalog.publish(tag)
    await catalog.list_service(agreement, 1, "办公楼", "4.40")
    await catalog.list_service(agreement, 6, "办公楼", "4.30")
    offering = catalog.offering(agreement, 6, "办公楼")
    url = f"/api/v1/catalog/agreements/{agreement['id']}/listings/{offering['service_id']}/delist"
    response = await catalog.client.post(url, json={"reason": "人员调整"}, headers=catalog.headers(6))
    assert response.status_code == 200 and response.json()["status_label"] == "已下架"
    [event] = await catalog.events("ServiceDelisted", offering_id=offering["offering_id"])
    assert event["reason"] == "人员调整"
    detail = await catalog.service_detail(offering["service_id"])
    assert [o["price"] for o in detail["offers"]] == ["4.40"] and detail["min_price"] == "4.40"
    again = await catalog.client.post(url, json={}, headers=catalog.headers(6))
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"
    mine = (await catalog.client.get("/api/v1/catalog/my-offerings", headers=catalog.headers(6))).json()
    assert {(o["service_name"], o["status"]) for o in mine if o["agreement_id"] == agreement["id"]} == {
        (f"办公楼物业管理服务{tag}", "delisted"), (f"秩序维护服务{tag}", "unlisted")}


async def test_the_agency_suspends_and_reinstates_a_supplier(catalog, tag, suppliers):
    agreement = await catalog.publish(tag)
    await catalog.list_service(agreement, 1, "办公楼", "4.40")
    service_id = catalog.offering(agreement, 1, "办公楼")["service_id"]
    base = f"/api/v1/catalog/agreements/{agreement['id']}/suppliers/{suppliers[1][0]}"

    not_theirs = await catalog.client.post(f"{base}/suspend", json={"reason": "x"}, headers=catalog.headers("other_agency"))
    assert not_theirs.status_code == 403
    by_supplier = await catalog.client.post(f"{base}/suspend", json={"reason": "x"}, headers=catalog.headers(1))
    assert by_supplier.status_code == 403
    no_reason = await catalog.client.post(f"{base}/suspend", json={}, headers=catalog.headers())
    assert no_reason.status_code == 422

    suspended = await catalog.client.post(f"{base}/suspend", json={"reason": "履约考核不合格"}, headers=catalog.headers())
    assert suspended.status_code == 200 and suspended.json()["status_label"] == "已暂停"
    [event] = await catalog.events("SupplierSuspended", agreement_id=agreement["id"])
    assert (event["supplier_id"], event["supplier_name"], event["reason"]) == (suppliers[1][0], suppliers[1][1],
                                                                               "履约考核不合格")
    assert (await catalog.service_detail(service_id))["offers"] == []
    assert (await catalog.search(q=tag))["total"] == 0
    refused = await catalog.list_service(agreement, 1, "保洁", "2.00")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "supplier_suspended"
    twice = await catalog.client.post(f"{base}/suspend", json={"reason": "again"}, headers=catalog.headers())
    assert twice.status_code == 409

    reinstated = await catalog.client.post(f"{base}/reinstate", json={"reason": "整改完成"}, headers=catalog.headers())
    assert reinstated.status_code == 200 and reinstated.json()["status"] == "active"
    assert len(await catalog.events("SupplierReinstated", agreement_id=agreement["id"])) == 1
    assert [o["price"] for o in (await catalog.service_detail(service_id))["offers"]] == ["4.40"]
    unknown = await catalog.client.post(f"/api/v1/catalog/agreements/{agreement['id']}/suppliers/"
                                        f"{suppliers[2][0]}/suspend", json={"reason": "x"}, headers=catalog.headers())
    assert unknown.status_code == 404


async def test_the_clock_ends_an_agreement_once_and_it_stops_being_offered(catalog, tag):
    today = utcnow().date()
    agreement = await catalog.publish(tag, valid_from=str(today - timedelta(days=10)), valid_to=str(today + timedelta(days=1)))
    await catalog.list_service(agreement, 1, "办公楼", "4.40")
    assert (await catalog.search(q=tag))["total"] == 1

    later = utcnow() + timedelta(days=3)
    moved = await tick(catalog.service.db, later)
    assert moved[agreement["id"]] == "expired"
    assert agreement["id"] not in await tick(catalog.service.db, later)
    [event] = await catalog.events("AgreementExpired", agreement_id=agreement["id"])
    assert event["valid_to"] == str(today + timedelta(days=1))
    assert (await catalog.search(q=tag))["total"] == 0
    detail = (await catalog.client.get(f"/api/v1/catalog/agreements/{agreement['id']}",
                                       headers=catalog.headers("purchaser"))).json()
    assert (detail["status"], detail["status_label"]) == ("expired", "已过期")
    refused = await catalog.list_service(agreement, 1, "保洁", "2.00")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "agreement_expired"
    suspend = await catalog.client.post(f"/api/v1/catalog/agreements/{agreement['id']}/suppliers/"
                                        f"{agreement['suppliers'][0]['supplier_id']}/suspend", json={"reason": "x"},
                                        headers=catalog.headers())
    assert suspend.status_code == 409


async def test_an_agreement_starts_being_offered_on_its_first_day(catalog, tag):
    start = utcnow().date() + timedelta(days=5)
    agreement = await catalog.publish(tag, valid_from=str(start), valid_to=str(start + timedelta(days=365)))
    assert (agreement["status"], agreement["status_label"]) == ("scheduled", "未生效")
    assert (await catalog.list_service(agreement, 1, "办公楼", "4.40")).status_code == 200
    assert (await catalog.search(q=tag))["total"] == 0, "listed, but the agreement is not in force yet"
    assert (await tick(catalog.service.db, utcnow() + timedelta(days=6)))[agreement["id"]] == "active"
    assert (await catalog.search(q=tag))["total"] == 1
    assert not await catalog.events("AgreementExpired", agreement_id=agreement["id"])


async def test_agreements_are_listed_and_opened_by_anyone_logged_in(catalog, tag):
    agreement = await catalog.publish(tag)
    page = (await catalog.client.get("/api/v1/catalog/agreements", params={"agreement_no": agreement["agreement_no"]},
                                     headers=catalog.headers(2))).json()
    assert [a["id"] for a in page["items"]] == [agreement["id"]]
    by_category = (await catalog.client.get("/api/v1/catalog/agreements", params={"category": "C12", "page_size": 100},
                                            headers=catalog.headers("purchaser"))).json()
    assert agreement["id"] in {a["id"] for a in by_category["items"]}
    opened = await catalog.client.get(f"/api/v1/catalog/agreements/{agreement['id']}", headers=catalog.headers(2))
    assert opened.json()["contract_template"] == agreement["contract_template"]
    missing = await catalog.client.get("/api/v1/catalog/agreements/AGnope", headers=catalog.headers(2))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_the_category_tree_counts_the_services_offered_now(catalog, tag):
    async def offered(code: str) -> int:
        tree = (await catalog.client.get("/api/v1/catalog/categories", headers=catalog.headers(2))).json()["items"]
        nodes = list(tree)
        while nodes:
            node = nodes.pop()
            if node["code"] == code:
                return node["offered_services"]
            nodes += node["children"]
        raise AssertionError(code)

    before = (await offered("C120401"), await offered("C12"))
    agreement = await catalog.publish(tag)
    assert (await offered("C120401"), await offered("C12")) == before, "published, nothing listed yet"
    await catalog.list_service(agreement, 1, "办公楼", "4.40")
    await catalog.list_service(agreement, 6, "办公楼", "4.30")
    assert (await offered("C120401"), await offered("C12")) == (before[0] + 1, before[1] + 1), "one service, two offers"
    for supplier in (6, 1):
        service_id = catalog.offering(agreement, supplier, "办公楼")["service_id"]
        response = await catalog.client.post(f"/api/v1/catalog/agreements/{agreement['id']}/listings/{service_id}/delist",
                                             json={"reason": "人员调整"}, headers=catalog.headers(supplier))
        assert response.status_code == 200, response.text
    assert (await offered("C120401"), await offered("C12")) == before, "no offer left"
