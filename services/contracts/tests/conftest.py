"""Fixtures of the contracts service tests: the service on a fresh database (PostgreSQL under
TEST_DATABASE_URL, else SQLite) with its files and demo CA in a temporary folder, and a world that
makes contracts between fresh units (so one test's seal certificates never touch another's)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts_schema.events import Party
from contracts_schema.events.bidding import ResultConfirmed
from servicekit.app import Service
from servicekit.testing import TokenFactory, outbox_events, service_for_tests

TEMPLATE = ("第一条 乙方向甲方提供{service_name}，数量{quantity}{unit}，合同金额{amount}元（{amount_upper}）。\n"
            "第二条 本合同适用框架协议{agreement_no}的全部条款；{unknown_placeholder}保持原样。")


@dataclass
class Unit:
    party: Party
    role: str
    headers: dict[str, str]


class ContractsWorld:
    def __init__(self, service: Any, client: httpx.AsyncClient, tokens: TokenFactory, var_dir: Path) -> None:
        self.service, self.client, self.tokens, self.var_dir = service, client, tokens, var_dir

    def unit(self, role: str, name: str | None = None) -> Unit:
        code = uuid.uuid4().hex[:8].upper()
        prefix = "1143000000" if role == "purchaser" else "91430100MA"
        org_id = f"{prefix}{code}"
        name = name or (f"湖南省测试厅{code}" if role == "purchaser" else f"湖南测试服务有限公司{code}")
        party = Party(org_id=org_id, name=name, address="湖南省长沙市岳麓区麓谷大道 1 号", contact_name="测试员",
                      contact_phone="0731-80000000")
        return Unit(party, role, self.tokens.headers(f"{role}-{code}", org_id, role, name))

    def result(self, purchaser: Unit, supplier: Unit, **overrides: Any) -> ResultConfirmed:
        fields: dict[str, Any] = dict(
            project_id=f"PJ{uuid.uuid4().hex[:12]}", project_no=f"XM2026{uuid.uuid4().int % 1000000:06d}",
            project_name="办公楼物业管理服务", method="direct_selection", purchaser=purchaser.party,
            supplier=supplier.party, plan_id="PL1", plan_line_id="PL1-1", filing_no="湘财采备〔2026〕00123",
            agreement_id="AG1", agreement_no="HNKJ-2026-001", agreement_name="湖南省物业管理服务框架协议",
            contract_template=TEMPLATE, service_id="SV1", service_name="办公楼物业管理", category_code="C1204",
            unit="月", quantity=Decimal("12"), unit_price=Decimal("25000.00"), amount=Decimal("300000.00"),
            reserved_amount=Decimal("360000.00"), requirements="保洁、秩序维护", confirmed_at=datetime.now(timezone.utc))
        fields.update(overrides)
        return ResultConfirmed(**fields)

    async def drafted(self, purchaser: Unit | None = None, supplier: Unit | None = None,
                      **overrides: Any) -> tuple[dict[str, Any], Unit, Unit]:
        purchaser, supplier = purchaser or self.unit("purchaser"), supplier or self.unit("supplier")
        event = self.result(purchaser, supplier, **overrides)
        assert (await self.service.dispatch(event)).status == "handled"
        listing = (await self.client.get("/api/v1/contracts", headers=purchaser.headers)).json()
        contract = next(c for c in listing["items"] if c["project_id"] == event.project_id)
        return contract, purchaser, supplier

    async def post(self, path: str, unit: Unit, **kwargs: Any) -> httpx.Response:
        return await self.client.post(path, headers=unit.headers, **kwargs)

    async def get(self, path: str, unit: Unit, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, headers=unit.headers, **kwargs)

    async def confirmed(self, ca_mode: str = "ca_seal") -> tuple[str, Unit, Unit]:
        contract, purchaser, supplier = await self.drafted()
        cid = contract["id"]
        assert (await self.post(f"/api/v1/contracts/{cid}/send", supplier)).status_code == 200
        confirm = await self.post(f"/api/v1/contracts/{cid}/confirm", purchaser, json={"ca_mode": ca_mode})
        assert confirm.status_code == 200, confirm.text
        return cid, purchaser, supplier

    async def sealed(self) -> tuple[str, Unit, Unit]:
        cid, purchaser, supplier = await self.confirmed()
        for unit in (supplier, purchaser):
            response = await self.post(f"/api/v1/contracts/{cid}/seal", unit, json={"ca_password": "ca12345"})
            assert response.status_code == 200, response.text
        return cid, purchaser, supplier

    async def events(self, name: str, contract_id: str) -> list[dict[str, Any]]:
        return [b for _, b in await outbox_events(self.service.db, name) if b["contract_id"] == contract_id]


@pytest.fixture(scope="module")
async def contracts_world(tokens: TokenFactory,
                          tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ContractsWorld]:
    from contracts.app import build
    from contracts.settings import Settings

    var_dir = tmp_path_factory.mktemp("contracts-var")
    def make(url: str) -> Service:
        return build(Settings(database_url=url, jwt_public_key=tokens.public_pem, var_dir=var_dir,
                              seal_max_failed_attempts=3, seal_kdf_n=2 ** 12, file_max_bytes=64 * 1024),
                     with_bus=False)

    async with service_for_tests("contracts", make) as (service, client):
        yield ContractsWorld(service, client, tokens, var_dir)
