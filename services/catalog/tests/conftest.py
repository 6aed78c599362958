"""Fixtures of the catalog service tests: the real service (routes, clock, outbox) on a fresh database
(PostgreSQL when TEST_DATABASE_URL is set, else SQLite), without a broker; what it publishes is read
from its outbox.

    async def test_x(catalog):
        agreement = await catalog.publish()
        await catalog.list_service(agreement, supplier=1, service="办公楼物业管理服务", price="4.20")
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from catalog.app import build
from catalog.settings import Settings
from contracts_schema.types import utcnow
from servicekit.app import Service
from servicekit.testing import TokenFactory, outbox_events, service_for_tests
from servicekit.types import SHANGHAI

AGENCY = ("12430000MB1A46001K", "湖南省政府采购中心")
OTHER_AGENCY = ("12430100MB1A46009X", "长沙市政府采购中心")
PURCHASER = ("11430000006100011A", "湖南省教育厅")
SUPPLIERS = {
    1: ("91430100MA4L1A0011", "湖南潇湘物业管理有限公司"),
    2: ("91430100MA4L1A0022", "长沙岳麓印务有限公司"),
    6: ("91430100MA4L1A0066", "湖南橘洲综合服务有限公司"),
}


def today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


def agreement_body(tag: str = "", **overrides: Any) -> dict[str, Any]:
    """A property-management agreement: supplier 1 and 6 shortlisted; `tag` makes its service names unique."""
    def supplier(n: int, services: list[dict[str, Any]]) -> dict[str, Any]:
        return {"supplier_id": SUPPLIERS[n][0], "name": SUPPLIERS[n][1], "address": "长沙市岳麓区麓谷大道 658 号",
                "contact_name": "陈刚", "contact_phone": "13807310001", "services": services}

    office = {"category_code": "C120401", "name": f"办公楼物业管理服务{tag}", "unit": "平方米·月",
              "description": "含保洁、秩序维护、设施设备运行维护", "agreement_price": "4.50",
              "discount_tiers": [{"min_quantity": "10000", "unit_price": "4.30"},
                                 {"min_quantity": "30000", "unit_price": "4.10"}]}
    body = {
        "agreement_no": f"HNKJ-T-{uuid4().hex[:8]}", "name": "湖南省省直单位物业管理服务框架协议",
        "agency_address": "湖南省长沙市芙蓉区五一大道 1 号", "category_code": "C12",
        "valid_from": str(today() - timedelta(days=30)), "valid_to": str(today() + timedelta(days=335)),
        "methods": ["direct_selection", "secondary_bidding"],
        "contract_template": "甲方：{purchaser_name}\n乙方：{supplier_name}\n服务内容：{service_name}\n合同金额：{amount} 元",
        "suppliers": [
            supplier(1, [office, {"category_code": "C120402", "name": f"保洁服务{tag}", "unit": "平方米·月",
                                  "agreement_price": "2.80"}]),
            supplier(6, [{**office, "agreement_price": "4.80", "discount_tiers": []},
                         {"category_code": "C120403", "name": f"秩序维护服务{tag}", "unit": "人·月",
                          "agreement_price": "5200.00"}]),
        ],
    }
    body.update(overrides)
    return body


class CatalogWorld:
    def __init__(self, service: Service, client: httpx.AsyncClient, tokens: TokenFactory) -> None:
        self.service, self.client, self.tokens = service, client, tokens

    def headers(self, who: str | int = "agency") -> dict[str, str]:
        if isinstance(who, int):
            return self.tokens.headers(f"supplier-{who}", SUPPLIERS[who][0], "supplier", SUPPLIERS[who][1])
        unit, role = {"agency": (AGENCY, "agency"), "other_agency": (OTHER_AGENCY, "agency"),
                      "purchaser": (PURCHASER, "purchaser")}[who]
        return self.tokens.headers(who, unit[0], role, unit[1])

    async def publish(self, tag: str = "", **overrides: Any) -> dict[str, Any]:
        response = await self.client.post("/api/v1/catalog/agreements", json=agreement_body(tag, **overrides),
                                          headers=self.headers("agency"))
        assert response.status_code == 201, response.text
        return response.json()

    @staticmethod
    def offering(agreement: dict[str, Any], supplier: int, name_prefix: str) -> dict[str, Any]:
        return next(o for o in agreement["offerings"]
                    if o["supplier_id"] == SUPPLIERS[supplier][0] and o["service_name"].startswith(name_prefix))

    async def list_service(self, agreement: dict[str, Any], supplier: int, name_prefix: str,
                           price: str) -> httpx.Response:
        offering = self.offering(agreement, supplier, name_prefix)
        return await self.client.post(f"/api/v1/catalog/agreements/{agreement['id']}/listings",
                                      json={"service_id": offering["service_id"], "price": price},
                                      headers=self.headers(supplier))

    async def search(self, **params: Any) -> dict[str, Any]:
        response = await self.client.get("/api/v1/catalog/services", params=params, headers=self.headers("purchaser"))
        assert response.status_code == 200, response.text
        return response.json()

    async def service_detail(self, service_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/catalog/services/{service_id}", headers=self.headers("purchaser"))
        assert response.status_code == 200, response.text
        return response.json()

    async def events(self, event_type: str, **match: Any) -> list[dict[str, Any]]:
        return [body for _, body in await outbox_events(self.service.db, event_type)
                if all(body.get(k) == v for k, v in match.items())]


@pytest.fixture(scope="module")
async def catalog(tokens: TokenFactory) -> AsyncIterator[CatalogWorld]:
    def make(url: str) -> Service:
        return build(Settings(database_url=url, jwt_public_key=tokens.public_pem), with_bus=False)

    async with service_for_tests("catalog", make) as (service, client):
        yield CatalogWorld(service, client, tokens)


@pytest.fixture
def tag() -> str:
    """Makes a test's service names its own: the library is shared by the tests of a module."""
    return f"·{uuid4().hex[:6]}"


@pytest.fixture
def body():
    return agreement_body


@pytest.fixture
def suppliers() -> dict[int, tuple[str, str]]:
    return SUPPLIERS
