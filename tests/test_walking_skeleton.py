"""The walking skeleton through the real broker and real processes:
1. a change made over HTTP in one service reaches another through Kafka;
2. a service killed (SIGKILL) after its commit and before its relay published loses nothing;
3. an event delivered twice has one effect."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid

from aiokafka import AIOKafkaProducer

from platform_client import query, wait_for

PLAN = {
    "name": "2026年度办公楼物业服务采购计划", "year": 2026, "filing_no": "湘财采备〔2026〕00123",
    "funding_source": "财政拨款", "contact_name": "李明", "contact_phone": "0731-84710001",
    "lines": [{"category_code": "C1204", "item_name": "办公楼物业管理", "quantity": "12", "unit": "月",
               "budget_amount": "360000.00"}],
}


def plan_in_bidding(stack, plan_id: str):
    return query(stack, "bidding", "SELECT plan_id, filing_no, revision FROM plan_refs WHERE plan_id = :id", id=plan_id)


def test_plan_created_over_http_reaches_bidding_read_model(stack, as_user):
    purchaser = as_user("purchaser-a")
    response = purchaser.post("/api/v1/plans", json=PLAN)
    assert response.status_code == 201, response.text
    plan = response.json()
    rows = wait_for(lambda: plan_in_bidding(stack, plan["id"]))
    assert rows[0].filing_no == "湘财采备〔2026〕00123"
    lines = query(stack, "bidding", "SELECT category_code, budget_amount FROM plan_line_refs WHERE plan_id = :id",
                  id=plan["id"])
    assert [(l.category_code, l.budget_amount) for l in lines] == [("C1204", 36000000)]  # fen


def test_service_killed_after_commit_before_publish_loses_nothing(stack, as_user):
    # An API-only replica (relay off) stands in for "committed, not yet published"; then SIGKILL it.
    stack.kill("plans", signal.SIGTERM)
    stack.start("plans", overrides={"OUTBOX_RELAY_ENABLED": "false"})
    purchaser = as_user("purchaser-a")
    response = purchaser.post("/api/v1/plans", json={**PLAN, "name": "killed before publish"})
    assert response.status_code == 201, response.text
    plan_id = response.json()["id"]
    unsent = query(stack, "plans", "SELECT event_id FROM outbox WHERE key = :id AND sent_at IS NULL", id=plan_id)
    assert len(unsent) == 1, "the event is committed with the plan and not yet published"

    stack.kill("plans", signal.SIGKILL)
    assert not plan_in_bidding(stack, plan_id)

    stack.start("plans")  # relay on: publishes what the killed process left behind
    wait_for(lambda: plan_in_bidding(stack, plan_id))
    assert not query(stack, "plans", "SELECT 1 FROM outbox WHERE key = :id AND sent_at IS NULL", id=plan_id)


def test_event_delivered_twice_has_one_effect(stack, as_user):
    purchaser = as_user("purchaser-a")
    plan_id = purchaser.post("/api/v1/plans", json={**PLAN, "name": "delivered twice"}).json()["id"]
    wait_for(lambda: plan_in_bidding(stack, plan_id))
    row = query(stack, "plans", "SELECT event_id, topic, key, headers, body FROM outbox WHERE key = :id", id=plan_id)[0]
    headers = row.headers if isinstance(row.headers, dict) else json.loads(row.headers)
    marker_id = f"{plan_id}-marker"
    original = json.loads(row.body)
    marker_body = original | {"plan_id": marker_id, "lines": [
        line | {"line_id": f"{marker_id}-{line['line_no']}"} for line in original["lines"]]}
    marker_headers = headers | {"ce_id": str(uuid.uuid4()), "ce_subject": marker_id}

    async def redeliver() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all", enable_idempotence=False)
        await producer.start()
        try:
            sent = None
            for _ in range(2):
                sent = await producer.send_and_wait(row.topic, row.body.encode(), key=row.key.encode(),
                                                    headers=[(k, v.encode()) for k, v in headers.items()])
            # A marker on the same partition: once bidding has it, it has consumed both copies before it.
            await producer.send_and_wait(row.topic, json.dumps(marker_body).encode(), key=row.key.encode(),
                                         partition=sent.partition,
                                         headers=[(k, v.encode()) for k, v in marker_headers.items()])
        finally:
            await producer.stop()

    asyncio.run(redeliver())
    wait_for(lambda: plan_in_bidding(stack, marker_id))
    inbox = query(stack, "bidding", "SELECT event_id FROM inbox WHERE event_id = :id", id=row.event_id)
    assert len(inbox) == 1
    assert plan_in_bidding(stack, plan_id)[0].revision == 1
