"""Fixtures of the plans service tests: the real service (routes, handlers, outbox) on a fresh database
(PostgreSQL when TEST_DATABASE_URL is set, else SQLite), without a broker; events are handed to it as
the bus would, and what it publishes is read from its outbox.

    async def test_x(world):
        plan = await world.create_plan()
        await world.deliver(world.published(plan, amount="1000.00"))
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import httpx
import pytest

from contracts_schema.envelope import Envelope
from contracts_schema.events import Event, Party
from contracts_schema.events.bidding import ProjectFailed, ProjectPublished, ProjectTerminated, ResultConfirmed
from contracts_schema.events.orders import PaymentRecorded
from contracts_schema.types import utcnow
from plans.app import build
from plans.settings import Settings
from servicekit.app import Service
from servicekit.inbox import Outcome
from servicekit.testing import TokenFactory, outbox_events, service_for_tests

UNIT_A = ("11430000006100011A", "湖南省教育厅")
UNIT_B = ("11430000006100022B", "湖南省卫生健康委员会")
SUPPLIER = ("91430100MA4L1A0011", "湖南潇湘物业管理有限公司")


def plan_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "2026年度办公楼物业服务采购计划", "year": 2026, "filing_no": "湘财采备〔2026〕00123",
        "funding_source": "财政拨款", "contact_name": "李明", "contact_phone": "0731-84710001",
        "purchaser_address": "湖南省长沙市开福区湘江中路 2 段 116 号",
        "lines": [
            {"category_code": "C1204", "item_name": "办公楼物业管理", "quantity": "12", "unit": "月",
             "budget_amount": "360000.00", "requirements": "24 小时值守"},
            {"category_code": "C0806", "item_name": "年度工作会议", "quantity": "2", "unit": "场",
             "budget_amount": "50000.00"},
        ],
    }
    body.update(overrides)
    return body


class PlansWorld:
    """The plans service under test and the ways a test talks to it."""

    def __init__(self, service: Service, client: httpx.AsyncClient, tokens: TokenFactory) -> None:
        self.service, self.client, self.tokens = service, client, tokens

    def headers(self, unit: tuple[str, str] = UNIT_A, role: str = "purchaser") -> dict[str, str]:
        return self.tokens.headers(f"user-{unit[0][-3:]}", unit[0], role, unit[1])

    async def create_plan(self, unit: tuple[str, str] = UNIT_A, **overrides: Any) -> dict[str, Any]:
        response = await self.client.post("/api/v1/plans", json=plan_body(**overrides), headers=self.headers(unit))
        assert response.status_code == 201, response.text
        return response.json()

    async def get_plan(self, plan_id: str, unit: tuple[str, str] = UNIT_A) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/plans/{plan_id}", headers=self.headers(unit))
        assert response.status_code == 200, response.text
        return response.json()

    async def patch(self, plan_id: str, body: dict[str, Any], unit: tuple[str, str] = UNIT_A) -> httpx.Response:
        return await self.client.patch(f"/api/v1/plans/{plan_id}", json=body, headers=self.headers(unit))

    async def deliver(self, event: Event, event_id: str | None = None) -> Outcome:
        envelope = Envelope(type=event.ce_type(), source="/hunan-framework/test", subject=event.aggregate_id,
                            sequence=1, **({"id": event_id} if event_id else {}))
        return await self.service.dispatch(event, envelope)

    async def events(self, event_type: str, **match: Any) -> list[dict[str, Any]]:
        return [body for _, body in await outbox_events(self.service.db, event_type)
                if all(body.get(k) == v for k, v in match.items())]

    @staticmethod
    def line(plan: dict[str, Any], n: int = 1) -> dict[str, Any]:
        return plan["lines"][n - 1]

    @staticmethod
    def published(plan: dict[str, Any], amount: str, *, line: int = 1, project_id: str | None = None,
                  unit: tuple[str, str] = UNIT_A, category_code: str | None = None) -> ProjectPublished:
        plan_line = plan["lines"][line - 1]
        project_id = project_id or f"PJ{uuid4().hex[:12]}"
        return ProjectPublished(
            project_id=project_id, project_no=f"XM{project_id[-6:]}", name="物业服务直接选定", method="direct_selection",
            purchaser=Party(org_id=unit[0], name=unit[1]), plan_id=plan["id"], plan_line_id=plan_line["id"],
            filing_no=plan["filing_no"], agreement_id="AG1", category_code=category_code or plan_line["category_code"],
            service_id="SV1", supplier_id=SUPPLIER[0], quantity=Decimal("1"), reserve_amount=Decimal(amount),
            published_at=utcnow())

    @staticmethod
    def terminated(published: ProjectPublished) -> ProjectTerminated:
        return ProjectTerminated(project_id=published.project_id, plan_id=published.plan_id,
                                 plan_line_id=published.plan_line_id, previous_status="quoting",
                                 reason="采购需求变更", terminated_by="purchaser-a", terminated_at=utcnow())

    @staticmethod
    def failed(published: ProjectPublished) -> ProjectFailed:
        return ProjectFailed(project_id=published.project_id, plan_id=published.plan_id,
                             plan_line_id=published.plan_line_id, reason="无有效报价", failed_at=utcnow())

    @staticmethod
    def confirmed(published: ProjectPublished, amount: str) -> ResultConfirmed:
        return ResultConfirmed(
            project_id=published.project_id, project_no=published.project_no, project_name=published.name,
            method=published.method, purchaser=published.purchaser, supplier=Party(org_id=SUPPLIER[0], name=SUPPLIER[1]),
            plan_id=published.plan_id, plan_line_id=published.plan_line_id, filing_no=published.filing_no,
            agreement_id="AG1", agreement_no="HNKJ-2026-001", agreement_name="物业管理服务框架协议", service_id="SV1",
            service_name="办公楼物业管理服务", category_code=published.category_code, unit="月",
            quantity=Decimal("1"), unit_price=Decimal(amount), amount=Decimal(amount),
            reserved_amount=published.reserve_amount, confirmed_at=utcnow())

    @staticmethod
    def payment(published: ProjectPublished, amount: str, payment_id: str | None = None) -> PaymentRecorded:
        return PaymentRecorded(order_id=f"OD{published.project_id}", project_id=published.project_id,
                               plan_id=published.plan_id, plan_line_id=published.plan_line_id,
                               payment_id=payment_id or f"PAY{uuid4().hex[:8]}", amount=Decimal(amount),
                               paid_total=Decimal(amount), paid_on=date(2026, 12, 1), recorded_at=utcnow())


@pytest.fixture(scope="module")
async def world(tokens: TokenFactory) -> AsyncIterator[PlansWorld]:
    def make(url: str) -> Service:
        return build(Settings(database_url=url, jwt_public_key=tokens.public_pem), with_bus=False)

    async with service_for_tests("plans", make) as (service, client):
        yield PlansWorld(service, client, tokens)


@pytest.fixture
def body():
    """A valid plan body; keyword arguments replace its fields."""
    return plan_body


@pytest.fixture
def units() -> dict[str, tuple[str, str]]:
    return {"A": UNIT_A, "B": UNIT_B, "supplier": SUPPLIER}
