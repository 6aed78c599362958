"""The catalog through the gateway and the real broker: the agency publishes stage-1 data, a supplier
lists, a purchaser finds the service by a Chinese keyword and opens it; the events bidding relies on
reach catalog.events in order, with their CloudEvents envelope. And the demo data seeds once."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts_schema.consume import drain
from contracts_schema.envelope import decode_headers
from devstack.seed import seed_demo
from gateway.demo import SUPPLIERS
from platform_client import wait_for


def catalog_events(bootstrap: str, agreement_id: str) -> list[tuple[str, int, dict[str, Any]]]:
    """(short type, sequence, body) of every event about the agreement on catalog.events, in order."""
    async def read() -> list[tuple[str, int, dict[str, Any]]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            await consumer.topics()
            partitions = [TopicPartition("catalog.events", p) for p in consumer.partitions_for_topic("catalog.events")]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            found = []
            async for record in drain(consumer, partitions):  # to the real end, not Tansu's short report
                if record.key.decode() != agreement_id:
                    continue
                envelope = decode_headers(record.headers)
                assert envelope.subject == agreement_id and envelope.source == "/hunan-framework/catalog"
                found.append((envelope.type.split(".")[-2], envelope.sequence, json.loads(record.value)))
            return found
        finally:
            await consumer.stop()
    return asyncio.run(read())


def test_stage1_data_listing_and_browsing_through_the_gateway(stack, as_user):
    agency, supplier, purchaser = as_user("agency"), as_user("supplier-3"), as_user("purchaser-b")
    tag = uuid4().hex[:6]
    today = date.today()
    body = {
        "agreement_no": f"HNKJ-FLOW-{tag}", "name": "湖南省省直单位会议服务框架协议（测试）", "category_code": "C0806",
        "valid_from": str(today - timedelta(days=1)), "valid_to": str(today + timedelta(days=364)),
        "methods": ["direct_selection", "secondary_bidding"], "contract_template": "服务内容：{service_name}",
        "suppliers": [{"supplier_id": SUPPLIERS[2].org_id, "name": SUPPLIERS[2].name, "address": SUPPLIERS[2].address,
                       "services": [{"category_code": "C0806", "name": f"大型学术会议会务服务{tag}", "unit": "场",
                                     "agreement_price": "36000.00",
                                     "discount_tiers": [{"min_quantity": "5", "unit_price": "34000.00"}]}]}],
    }
    response = agency.post("/api/v1/catalog/agreements", json=body)
    assert response.status_code == 201, response.text
    agreement = response.json()
    [offering] = agreement["offerings"]

    too_high = supplier.post(f"/api/v1/catalog/agreements/{agreement['id']}/listings",
                             json={"service_id": offering["service_id"], "price": "36000.01"})
    assert too_high.status_code == 422 and too_high.json()["error"]["code"] == "price_above_agreement_price"
    outsider = as_user("supplier-5").post(f"/api/v1/catalog/agreements/{agreement['id']}/listings",
                                          json={"service_id": offering["service_id"], "price": "30000.00"})
    assert outsider.status_code == 403 and outsider.json()["error"]["code"] == "not_shortlisted"
    listed = supplier.post(f"/api/v1/catalog/agreements/{agreement['id']}/listings",
                           json={"service_id": offering["service_id"], "price": "35000.00"})
    assert listed.status_code == 200, listed.text

    page = purchaser.get("/api/v1/catalog/services", params={"q": f"学术会议 {tag}", "category": "C08"}).json()
    assert [(s["name"], s["min_price"]) for s in page["items"]] == [(f"大型学术会议会务服务{tag}", "35000.00")]
    detail = purchaser.get(f"/api/v1/catalog/services/{offering['service_id']}").json()
    [offer] = detail["offers"]
    assert (offer["supplier"]["name"], offer["agreement"]["agreement_no"], offer["agreement_price"], offer["price"]) == (
        SUPPLIERS[2].name, body["agreement_no"], "36000.00", "35000.00")
    assert purchaser.get("/api/v1/catalog/categories").status_code == 200

    events = wait_for(lambda: (e := catalog_events(stack.bootstrap, agreement["id"])) and len(e) >= 2 and e,
                      timeout=30, what="AgreementPublished and ServiceListed on catalog.events")
    assert [(t, seq) for t, seq, _ in events] == [("AgreementPublished", 1), ("ServiceListed", 2)]
    published, listing = events[0][2], events[1][2]
    assert published["offerings"][0]["agreement_price"] == "36000.00"
    assert published["offerings"][0]["discount_tiers"] == [{"min_quantity": "5", "unit_price": "34000.00"}]
    assert published["suppliers"][0]["supplier_id"] == SUPPLIERS[2].org_id
    assert (listing["price"], listing["supplier_name"]) == ("35000.00", SUPPLIERS[2].name)


def test_demo_data_seeds_once_and_is_usable(stack, as_user):
    first = seed_demo(stack.url("gateway"), progress=lambda _: None)
    second = seed_demo(stack.url("gateway"), progress=lambda _: None)
    assert second.endswith("new this start: nothing"), second
    assert first.split(";")[0] == second.split(";")[0]
    assert "3 agreements" in second and "6 shortlisted suppliers" in second

    purchaser = as_user("purchaser-a")
    found = purchaser.get("/api/v1/catalog/services", params={"q": "物业", "sort": "price"}).json()
    assert any(s["name"] == "办公楼物业管理服务" and s["supplier_count"] == 2 for s in found["items"])
    agreements = purchaser.get("/api/v1/catalog/agreements", params={"page_size": 100}).json()["items"]
    seeded = [a for a in agreements if a["agreement_no"].startswith(f"HNKJ-{date.today().year}-")]
    assert len(seeded) == 3 and any(len(a["methods"]) == 2 for a in seeded)
    for user in ("purchaser-a", "purchaser-b"):
        plans = as_user(user).get("/api/v1/plans", params={"q": f"{date.today().year}年度"}).json()
        assert plans["total"] >= 2
