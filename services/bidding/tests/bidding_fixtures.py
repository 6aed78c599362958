"""The test world of the bidding service: a clock moved by hand, the catalog and plan events the
service learns its read models from, and a client per viewer.

    async def test_x(world):
        project = await world.direct_selection()
        r = await world.client.post(f"/api/v1/projects/{project['id']}/quotes", json={...},
                                    headers=world.supplier(1))
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx

from bidding.app import build
from bidding.settings import Settings

from contracts_schema.events.catalog import (AgreementPublished, DiscountTier, Offering, ServiceItem, ServiceDelisted,
                                             ServiceListed, ShortlistedSupplier, SupplierReinstated, SupplierSuspended)
from contracts_schema.events.plans import PlanCreated, PlanFundsRejected, PlanFundsReserved, PlanLineSnapshot
from servicekit.app import Service
from servicekit.testing import TokenFactory, outbox_events

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # 10:00 in Changsha
AGREEMENT = "AG-WY-2026"
PURCHASER_ORG, OTHER_PURCHASER_ORG = "11430000006100011A", "11430000006100022B"
SUPPLIERS = [f"9143010000000000{i:02d}" for i in range(1, 7)]
PLAN, LINE = "PL-TEST-1", "PL-TEST-1-1"


class FakeClock:
    """The server's clock, moved by the test."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when


def supplier_id(i: int) -> str:
    return SUPPLIERS[i - 1]


def agreement_published(*, agreement_id: str = AGREEMENT, suppliers: int = 4, methods: list[str] | None = None,
                        valid_to: date = date(2026, 12, 31), published_at: datetime = T0,
                        extra_supplier_ids: list[str] | None = None) -> AgreementPublished:
    """物业管理 (C1204, per month) offered by every supplier at 30000 - 1000·i a month, 10 % off from 12
    months on; supplier 1 also offers 保洁 (C120402); supplier 4 has 会议服务 (C0303) only."""
    ids = [supplier_id(i) for i in range(1, suppliers + 1)] + list(extra_supplier_ids or [])
    offerings = []
    for i, sid in enumerate(ids, 1):
        service = "SV-MEETING" if i == 4 else "SV-PROPERTY"
        price = Decimal(30000 - 1000 * i) if i <= 6 else Decimal("30000.00")
        offerings.append(Offering(offering_id=f"OF-{agreement_id}-{i}", service_id=service, supplier_id=sid,
                                  agreement_price=price,
                                  discount_tiers=[DiscountTier(min_quantity=Decimal(12), unit_price=price * Decimal("0.9"))]))
    offerings.append(Offering(offering_id=f"OF-{agreement_id}-CLEAN", service_id="SV-CLEANING",
                              supplier_id=supplier_id(1), agreement_price=Decimal("20000.00")))
    return AgreementPublished(
        agreement_id=agreement_id, agreement_no=f"HNKJ-{agreement_id}", name="湖南省省直单位物业服务框架协议",
        agency_org_id="12430000MB1A46001K", agency_name="湖南省政府采购中心", category_code="C",
        category_name="服务", valid_from=date(2026, 1, 1), valid_to=valid_to,
        methods=methods or ["direct_selection", "secondary_bidding"],
        contract_template="甲方：{purchaser}；乙方：{supplier}；金额：{amount}",
        suppliers=[ShortlistedSupplier(supplier_id=sid, name=f"供应商{i}", address=f"长沙市岳麓区{i}号",
                                       contact_name=f"联系人{i}", contact_phone=f"1380731000{i % 10}")
                   for i, sid in enumerate(ids, 1)],
        services=[ServiceItem(service_id="SV-PROPERTY", category_code="C1204", category_name="物业管理服务",
                              name="办公楼物业管理", unit="月"),
                  ServiceItem(service_id="SV-CLEANING", category_code="C120402", category_name="保洁服务",
                              name="保洁服务", unit="月"),
                  ServiceItem(service_id="SV-MEETING", category_code="C0303", category_name="会议服务",
                              name="会议服务", unit="次")],
        offerings=offerings, published_at=published_at)


def plan_created(*, plan_id: str = PLAN, org: str = PURCHASER_ORG, category: str = "C1204",
                 quantity: str = "12", budget: str = "400000.00") -> PlanCreated:
    return PlanCreated(
        plan_id=plan_id, plan_no=f"JH-{plan_id}", purchaser_org_id=org, purchaser_name="湖南省教育厅",
        purchaser_address="湖南省长沙市开福区湘江中路 2 段 116 号", name="2026年度办公楼物业服务采购计划", year=2026,
        filing_no="湘财采备〔2026〕00123", funding_source="财政拨款", contact_name="李明",
        contact_phone="0731-84710001", created_at=T0,
        lines=[PlanLineSnapshot(line_id=f"{plan_id}-1", line_no=1, category_code=category, item_name="办公楼物业管理",
                                quantity=Decimal(quantity), unit="月", budget_amount=Decimal(budget))])


def suspended(i: int, agreement_id: str = AGREEMENT) -> SupplierSuspended:
    return SupplierSuspended(agreement_id=agreement_id, supplier_id=supplier_id(i), supplier_name=f"供应商{i}",
                             reason="严重违约", suspended_at=T0)


def reinstated(i: int, agreement_id: str = AGREEMENT) -> SupplierReinstated:
    return SupplierReinstated(agreement_id=agreement_id, supplier_id=supplier_id(i), supplier_name=f"供应商{i}",
                              reinstated_at=T0)


def delisted(i: int, agreement_id: str = AGREEMENT) -> ServiceDelisted:
    return ServiceDelisted(agreement_id=agreement_id, offering_id=f"OF-{agreement_id}-{i}", service_id="SV-PROPERTY",
                           supplier_id=supplier_id(i), delisted_at=T0)


def listed(i: int, price: str, agreement_id: str = AGREEMENT) -> ServiceListed:
    return ServiceListed(agreement_id=agreement_id, offering_id=f"OF-{agreement_id}-{i}", service_id="SV-PROPERTY",
                         service_name="办公楼物业管理", category_code="C1204", unit="月", supplier_id=supplier_id(i),
                         supplier_name=f"供应商{i}", price=Decimal(price), agreement_price=Decimal(price),
                         listed_at=T0)


def funds_reserved(project: dict[str, Any]) -> PlanFundsReserved:
    return PlanFundsReserved(plan_id=project["plan_id"], line_id=project["plan_line_id"], project_id=project["id"],
                             amount=Decimal(project["ceiling_amount"]), line_remaining=Decimal("1.00"),
                             filing_no="湘财采备〔2026〕00123", reserved_at=T0)


def funds_rejected(project: dict[str, Any], reason: str = "计划余额不足") -> PlanFundsRejected:
    return PlanFundsRejected(plan_id=project["plan_id"], line_id=project["plan_line_id"], project_id=project["id"],
                             reason_code="insufficient_budget", reason=reason, rejected_at=T0)


DIRECT = {"agreement_id": AGREEMENT, "service_id": "SV-PROPERTY", "supplier_id": supplier_id(1), "plan_id": PLAN,
          "plan_line_id": LINE, "quantity": "12", "contact_name": "李明", "contact_phone": "13800000001",
          "office_phone": "0731-84710001", "requirements": "驻场 8 人，含保洁"}
SECONDARY = {"name": "教育厅办公楼物业服务二次竞价", "category_code": "C1204", "agreement_id": AGREEMENT, "plan_id": PLAN,
             "plan_line_id": LINE, "requirements": "驻场 8 人，7×24 小时值守", "contact_name": "李明",
             "contact_phone": "13800000001", "office_phone": "0731-84710001"}


@dataclass
class World:
    service: Service
    client: httpx.AsyncClient
    clock: FakeClock
    tokens: TokenFactory
    _headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def _as(self, username: str, org: str, role: str, name: str) -> dict[str, str]:
        if username not in self._headers:
            self._headers[username] = self.tokens.headers(username, org, role, name)
        return self._headers[username]

    @property
    def purchaser(self) -> dict[str, str]:
        return self._as("purchaser-a", PURCHASER_ORG, "purchaser", "湖南省教育厅")

    @property
    def other_purchaser(self) -> dict[str, str]:
        return self._as("purchaser-b", OTHER_PURCHASER_ORG, "purchaser", "湖南省卫生健康委员会")

    def supplier(self, i: int) -> dict[str, str]:
        return self._as(f"supplier-{i}", supplier_id(i), "supplier", f"供应商{i}")

    async def feed(self, *events: Any) -> None:
        for event in events:
            outcome = await self.service.dispatch(event)
            assert outcome.status == "handled", outcome

    async def seed(self) -> None:
        await self.feed(agreement_published(), plan_created())

    async def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        return [body for _, body in await outbox_events(self.service.db, event_type)]

    async def tick(self) -> int:
        from bidding.windows import run_due

        return await run_due(self.service.db, self.clock)

    async def ok(self, method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
        response = await self.client.request(method, url, **kwargs)
        assert response.status_code == status, response.text
        return response.json()

    async def error(self, method: str, url: str, status: int, **kwargs: Any) -> dict[str, Any]:
        response = await self.client.request(method, url, **kwargs)
        assert response.status_code == status, response.text
        return response.json()["error"]

    async def project(self, project_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        return await self.ok("GET", f"/api/v1/projects/{project_id}", headers=headers or self.purchaser)

    async def direct_selection(self, reserve: bool = True, **changes: Any) -> dict[str, Any]:
        project = await self.ok("POST", "/api/v1/projects/direct-selections", 201, json={**DIRECT, **changes},
                                headers=self.purchaser)
        if reserve:
            await self.feed(funds_reserved(project))
            project = await self.project(project["id"])
        return project

    async def draft(self, **changes: Any) -> dict[str, Any]:
        return await self.ok("POST", "/api/v1/projects/secondary-biddings", 201, json={**SECONDARY, **changes},
                             headers=self.purchaser)

    async def published(self, *, starts_in: float = 60, duration: int = 3600, reserve: bool = True,
                        **changes: Any) -> dict[str, Any]:
        """A secondary bidding published to start in `starts_in` seconds, funds reserved."""
        project = await self.draft(**changes)
        starts_at = (self.clock.now + timedelta(seconds=starts_in)).isoformat()
        project = await self.ok("POST", f"/api/v1/projects/{project['id']}/publish",
                                json={"starts_at": starts_at, "duration_seconds": duration}, headers=self.purchaser)
        if reserve:
            await self.feed(funds_reserved(project))
        return project

    async def quoting(self, **kwargs: Any) -> dict[str, Any]:
        """A secondary bidding whose window is open now."""
        project = await self.published(**kwargs)
        self.clock.set(datetime.fromisoformat(project["starts_at"]))
        await self.tick()
        project = await self.project(project["id"])
        assert project["status"] == "quoting", project
        return project

    async def quote(self, project_id: str, i: int, amount: str, status: int = 201, **extra: Any) -> dict[str, Any]:
        response = await self.client.post(f"/api/v1/projects/{project_id}/quotes", json={"amount": amount, **extra},
                                          headers=self.supplier(i))
        assert response.status_code == status, response.text
        return response.json()


def settings_for(url: str, tokens: TokenFactory, **overrides: Any) -> Settings:
    values = {"bidding_min_duration_seconds": 60, "bidding_max_duration_seconds": 86400, **overrides}
    return Settings(database_url=url, jwt_public_key=tokens.public_pem, **values)


@asynccontextmanager
async def running(url: str, tokens: TokenFactory, clock: Any, *, seed: bool = True, with_timers: bool = False,
                  **settings: Any) -> AsyncIterator[World]:
    """The bidding service on a migrated database, started (timers only if asked), without a bus."""
    service = build(settings_for(url, tokens, **settings), with_bus=False, clock=clock, with_timers=with_timers)
    await service.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://t") as client:
            world = World(service, client, clock, tokens)
            if seed:
                await world.seed()
            yield world
    finally:
        await service.stop()
