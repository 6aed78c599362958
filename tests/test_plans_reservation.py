"""The reservation ledger through the real broker and the real processes: a ProjectPublished produced
to bidding.events (as bidding would, CloudEvents headers and all) is answered by plans on plans.events
and shows on the plan through the gateway; delivered twice, it reserves once; a project that does not
fit is refused with the reason; a termination gives the money back."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts_schema.consume import drain
from contracts_schema.envelope import Envelope, decode_headers, encode_headers
from contracts_schema.events import Event, Party
from contracts_schema.events.bidding import ProjectPublished, ProjectTerminated
from contracts_schema.types import utcnow
from platform_client import wait_for

PLAN = {
    "name": "跨服务预留测试计划", "year": 2026, "filing_no": "湘财采备〔2026〕00901", "funding_source": "财政拨款",
    "contact_name": "李明", "contact_phone": "0731-84710001",
    "lines": [{"category_code": "C120401", "item_name": "办公楼物业管理服务", "quantity": "20000", "unit": "平方米·月",
               "budget_amount": "100000.00"}],
}


def produce(bootstrap: str, records: list[tuple[Event, Envelope]], partition: int | None = None) -> None:
    """Sends the records in order, as bidding's outbox relay would (key = project id)."""
    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
        await producer.start()
        try:
            for event, envelope in records:
                await producer.send_and_wait(event.topic(), event.model_dump_json().encode(),
                                             key=event.aggregate_id.encode(), partition=partition,
                                             headers=[(k, v.encode()) for k, v in encode_headers(envelope).items()])
        finally:
            await producer.stop()
    asyncio.run(send())


def envelope_of(event: Event) -> Envelope:
    return Envelope(type=event.ce_type(), source="/hunan-framework/bidding", subject=event.aggregate_id, sequence=1)


def plans_events(bootstrap: str, short_type: str, project_id: str) -> list[dict[str, Any]]:
    """Every event of that type about that project on plans.events so far (read from the beginning)."""
    async def read() -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            await consumer.topics()  # fetches the metadata
            partitions = [TopicPartition("plans.events", p) for p in consumer.partitions_for_topic("plans.events")]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            found: list[dict[str, Any]] = []
            async for record in drain(consumer, partitions):  # to the real end, not Tansu's short report
                try:  # an outside reader skips what is not a CloudEvent with a JSON body
                    envelope = decode_headers(record.headers)
                    body = json.loads(record.value)
                except ValueError:
                    continue
                if envelope.type.split(".")[-2] == short_type and body.get("project_id") == project_id:
                    assert envelope.subject == body["plan_id"] and record.key.decode() == body["plan_id"]
                    found.append(body)
            return found
        finally:
            await consumer.stop()
    return asyncio.run(read())


def published(plan: dict[str, Any], me: dict[str, Any], amount: str) -> ProjectPublished:
    project_id = f"PJ{uuid4().hex[:12]}"
    return ProjectPublished(
        project_id=project_id, project_no=f"XM2026{project_id[-6:]}", name="办公楼物业管理服务直接选定",
        method="direct_selection", purchaser=Party(org_id=me["org_id"], name=me["org_name"]), plan_id=plan["id"],
        plan_line_id=plan["lines"][0]["id"], filing_no=plan["filing_no"], agreement_id="AG-test",
        category_code="C120401", service_id="SV-test", supplier_id="91430100MA4L1A0011", quantity=Decimal("10000"),
        reserve_amount=Decimal(amount), published_at=utcnow())


def line_of(purchaser, plan_id: str) -> dict[str, Any]:
    response = purchaser.get(f"/api/v1/plans/{plan_id}")
    assert response.status_code == 200, response.text
    return response.json()["lines"][0]


def test_project_published_twice_reserves_once_and_is_answered_on_plans_events(stack, as_user):
    purchaser = as_user("purchaser-a")
    me = purchaser.get("/api/v1/me").json()
    plan = purchaser.post("/api/v1/plans", json=PLAN).json()
    first = published(plan, me, "45000.00")
    marker = published(plan, me, "5000.00")
    envelope = envelope_of(first)
    # The same record twice (a redelivery: same ce_id), then a marker on the same partition: once the
    # marker is answered, plans has consumed both copies before it.
    produce(stack.bootstrap, [(first, envelope), (first, envelope), (marker, envelope_of(marker))], partition=0)

    [answer] = wait_for(lambda: plans_events(stack.bootstrap, "PlanFundsReserved", marker.project_id), timeout=30,
                        what="PlanFundsReserved for the marker project")
    reserved = plans_events(stack.bootstrap, "PlanFundsReserved", first.project_id)
    assert len(reserved) == 1, reserved
    assert (reserved[0]["amount"], reserved[0]["line_remaining"], reserved[0]["filing_no"]) == (
        "45000.00", "55000.00", "湘财采备〔2026〕00901")
    assert answer["line_remaining"] == "50000.00"
    line = line_of(purchaser, plan["id"])
    assert (line["reserved_amount"], line["remaining_amount"]) == ("50000.00", "50000.00")


def test_a_project_that_does_not_fit_is_refused_and_a_termination_releases(stack, as_user):
    purchaser = as_user("purchaser-a")
    me = purchaser.get("/api/v1/me").json()
    plan = purchaser.post("/api/v1/plans", json={**PLAN, "name": "跨服务拒绝与释放测试计划"}).json()
    fits, too_big = published(plan, me, "80000.00"), published(plan, me, "30000.00")
    produce(stack.bootstrap, [(fits, envelope_of(fits)), (too_big, envelope_of(too_big))], partition=1)
    [refusal] = wait_for(lambda: plans_events(stack.bootstrap, "PlanFundsRejected", too_big.project_id), timeout=30,
                         what="PlanFundsRejected")
    assert refusal["reason_code"] == "insufficient_budget" and "20000.00" in refusal["reason"]
    assert len(plans_events(stack.bootstrap, "PlanFundsReserved", fits.project_id)) == 1

    end = ProjectTerminated(project_id=fits.project_id, plan_id=fits.plan_id, plan_line_id=fits.plan_line_id,
                            previous_status="quoting", reason="采购需求变更", terminated_by="purchaser-a",
                            terminated_at=utcnow())
    produce(stack.bootstrap, [(end, envelope_of(end))])
    [released] = wait_for(lambda: plans_events(stack.bootstrap, "PlanFundsReleased", fits.project_id), timeout=30,
                          what="PlanFundsReleased")
    assert (released["amount"], released["line_remaining"]) == ("80000.00", "100000.00")
    line = line_of(purchaser, plan["id"])
    assert (line["reserved_amount"], line["remaining_amount"]) == ("0.00", "100000.00")
    statuses = {r["project_id"]: r["status_label"] for r in purchaser.get(f"/api/v1/plans/{plan['id']}").json()[
        "reservations"]}
    assert statuses == {fits.project_id: "已释放", too_big.project_id: "已拒绝"}


def test_another_units_plan_is_refused(stack, as_user):
    owner, other = as_user("purchaser-a"), as_user("purchaser-b")
    plan = owner.post("/api/v1/plans", json={**PLAN, "name": "他人计划测试"}).json()
    assert other.get(f"/api/v1/plans/{plan['id']}").status_code == 404
    intruder = published(plan, other.get("/api/v1/me").json(), "100.00")
    produce(stack.bootstrap, [(intruder, envelope_of(intruder))])
    [refusal] = wait_for(lambda: plans_events(stack.bootstrap, "PlanFundsRejected", intruder.project_id), timeout=30,
                         what="PlanFundsRejected")
    assert refusal["reason_code"] == "not_plan_owner"
    assert line_of(owner, plan["id"])["reserved_amount"] == "0.00"
