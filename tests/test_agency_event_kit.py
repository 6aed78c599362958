"""Issue 13: the event kit for other agencies, against the real embedded broker after a full flow.

A broker of this module's own holds only this module's events: every service runs, the manual's 1.3
secondary bidding runs end to end (devstack's walkthrough), a 1.2 direct selection on the same agreement
is published and terminated while quoting, and one event is delivered a second time.
Then
- contracts-schema/examples/agency_consumer.py (a separate process, as an agency would run it) reads
  every event every service's outbox recorded, validates each body against the JSON Schema its
  ce_dataschema names, sees no gap in any (source, topic, subject) sequence and skips the redelivery;
- `devstack events` prints one line per record (time in 北京时间, type, subject, sequence) and stops;
  with --follow it prints an event published after it started."""

from __future__ import annotations

import asyncio
import json
import queue
import re
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts_schema import topics
from contracts_schema.consume import drain
from contracts_schema.envelope import Envelope, decode_headers, encode_headers
from contracts_schema.events.catalog import SupplierSuspended
from devstack import walkthrough
from devstack.broker import EmbeddedBroker, free_port
from devstack.cli import main as devstack_main
from devstack.stack import WITH_DATABASE, LocalStack
from platform_client import line_of, ok, project_in, query, wait_for

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "contracts-schema" / "examples" / "agency_consumer.py"
LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)  (\w+\.\w+\.v\d+)  (\S+)  (\d+)$")


# Tests run whole bidding windows: a short minimum window and a quick timer.
OWN_PLATFORM_ENV = {"bidding": {"BIDDING_MIN_DURATION_SECONDS": "2", "BIDDING_TIMER_INTERVAL": "0.1"}}


def records(bootstrap: str) -> list[Any]:
    """Every record of the five event topics (read to the real end: contracts_schema.consume.drain)."""
    async def read() -> list[Any]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            await consumer.topics()
            partitions = [TopicPartition(t, p) for t in topics.ALL_TOPICS for p in consumer.partitions_for_topic(t)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            return [record async for record in drain(consumer, partitions)]
        finally:
            await consumer.stop()
    return asyncio.run(read())


def produce(bootstrap: str, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> None:
    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
        await producer.start()
        try:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
        finally:
            await producer.stop()
    asyncio.run(send())


def outbox_ids(stack: LocalStack) -> set[str] | None:
    """Every event id the services recorded, once every one is sent (else None)."""
    ids: set[str] = set()
    for name in WITH_DATABASE:
        rows = query(stack, name, "SELECT event_id, sent_at FROM outbox")
        if any(sent is None for _, sent in rows):
            return None
        ids |= {event_id for event_id, _ in rows}
    return ids


def direct_selection_terminated(platform: LocalStack) -> None:
    """Manual 1.2 on the walkthrough's agreement: a direct selection published, quoting once plans
    reserved the ceiling, then terminated (项目终止): plans gives the reservation back."""
    people = walkthrough.Platform(platform.url("gateway"))
    try:
        purchaser = people("purchaser-a")
        plan = walkthrough.new_plan(purchaser, name="会议用餐服务采购计划（直接选定）", line={
            "category_code": "C1301", "item_name": "会议用餐服务", "quantity": "100", "unit": "人次",
            "budget_amount": "9000.00"})
        market = walkthrough.open_market(people, walkthrough.demo_market(walkthrough.shanghai_today().year))
        project = ok(purchaser.post("/api/v1/projects/direct-selections", json={
            "agreement_id": market.agreement["id"], "service_id": market.service_id,
            "supplier_id": market.suppliers["supplier-3"]["org_id"], "plan_id": plan["id"],
            "plan_line_id": plan["lines"][0]["id"],
            "quantity": "100", "contact_name": "李明", "contact_phone": "13800000001",
            "office_phone": "0731-84710001", "requirements": "会议用餐 100 人次"}), 201)
        wait_for(lambda: project_in(purchaser, project["id"], "quoting"), timeout=30, what="quoting opened")
        ok(purchaser.post(f"/api/v1/projects/{project['id']}/terminate", json={"reason": "会议取消"}))
        wait_for(lambda: line_of(purchaser, plan["id"])["reserved_amount"] == "0.00", timeout=30,
                 what="the reservation given back")
    finally:
        people.close()


@pytest.fixture(scope="module")
def flow(own_platform: LocalStack, own_broker: EmbeddedBroker) -> dict[str, Any]:
    """The 1.3 flow run once, every event published, then the award delivered a second time."""
    platform = own_platform
    outcome = walkthrough.run(platform.url("gateway"), out=lambda _: None, window_seconds=4, lead_seconds=2)
    assert outcome.order["status_label"] == "已支付"
    direct_selection_terminated(platform)
    ids = wait_for(lambda: outbox_ids(platform), timeout=60, what="every outbox row published")
    first = records(own_broker.bootstrap)
    [award] = [r for r in first if decode_headers(r.headers).type.endswith(".ResultConfirmed.v1")]
    produce(own_broker.bootstrap, award.topic, award.key, award.value, list(award.headers))
    return {"ids": ids, "records": len(first) + 1, "award": decode_headers(award.headers)}


def test_the_example_agency_consumer_reads_validates_every_event_sees_no_gap_and_skips_the_redelivery(
        flow, own_broker):
    done = subprocess.run([sys.executable, str(EXAMPLE), "--bootstrap", own_broker.bootstrap], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["gaps"] == [] and summary["invalid"] == []
    assert summary["not_events"] == summary["unknown_types"] == summary["without_dataschema"] == 0
    assert set(summary["ids"]) == flow["ids"] and summary["events"] == len(flow["ids"]) >= 20
    assert summary["duplicates"] == 1 and f"= {flow['award'].id} again" in done.stdout
    print(f"\nthe example consumer read {summary['events']} events of {len(summary['types'])} types, "
          f"skipped {summary['duplicates']} redelivery")
    for event in ("PlanCreated", "ProjectPublished", "PlanFundsReserved", "ResultConfirmed", "ContractStamped",
                  "PaymentRecorded", "ProjectTerminated", "PlanFundsReleased"):
        assert summary["types"][event] >= 1, event


def test_devstack_events_prints_one_line_per_event_in_beijing_time_and_stops(flow, own_broker, capsys):
    assert devstack_main(["events", "--bootstrap", own_broker.bootstrap]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == flow["records"]
    parsed = [LINE.match(text) for text in lines]
    assert all(parsed), [text for text, m in zip(lines, parsed) if not m][:3]
    award = flow["award"]
    shown = [m for m in parsed if m[2] == "bidding.ResultConfirmed.v1"]
    assert len(shown) == 2  # the event and its redelivery
    when = award.time.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
    assert all((m[1], m[3], int(m[4])) == (when, award.subject, award.sequence) for m in shown)
    assert datetime.strptime(when, "%Y-%m-%d %H:%M:%S").hour != award.time.hour  # 北京时间, not UTC


def test_devstack_events_follow_prints_an_event_published_after_it_started(flow, own_broker):
    command = [sys.executable, "-m", "devstack.cli", "events", "--follow", "--bootstrap", own_broker.bootstrap]
    follower = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(text.rstrip("\n")) for text in follower.stdout], daemon=True).start()
    seen: list[str] = []

    def printed() -> list[str]:
        while not lines.empty():
            seen.append(lines.get())
        return seen

    try:
        wait_for(lambda: len(printed()) >= flow["records"], timeout=60, what="the events so far")
        event = SupplierSuspended(agreement_id="AG-FOLLOW", supplier_id="91430100MA4L1A0011", supplier_name="湖南某公司",
                                  reason="测试", suspended_at=datetime.now().astimezone())
        envelope = Envelope(type=event.ce_type(), source="/hunan-framework/catalog", subject="AG-FOLLOW", sequence=1,
                            dataschema=event.dataschema())
        produce(own_broker.bootstrap, event.topic(), b"AG-FOLLOW", event.model_dump_json().encode(),
                [(k, v.encode()) for k, v in encode_headers(envelope).items()])
        wait_for(lambda: any(t.endswith("catalog.SupplierSuspended.v1  AG-FOLLOW  1") for t in printed()), timeout=30,
                 what="the new event")
        assert follower.poll() is None  # still following
    finally:
        follower.terminate()
        follower.wait(timeout=10)


def test_devstack_events_says_so_when_no_broker_answers(capsys):
    nobody = f"127.0.0.1:{free_port()}"
    assert devstack_main(["events", "--bootstrap", nobody]) == 1
    assert f"devstack: cannot read the events from {nobody}" in capsys.readouterr().err
