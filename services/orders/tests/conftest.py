"""Fixtures of the orders service tests: the service on a fresh database (PostgreSQL under
TEST_DATABASE_URL, else SQLite) with its files in a temporary folder, tokens for each side, and
builders of the events it consumes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from contracts_schema.envelope import Envelope
from contracts_schema.events import Party
from contracts_schema.events.bidding import ResultConfirmed
from contracts_schema.events.contracts import ContractStamped
from servicekit.app import Service
from servicekit.testing import TokenFactory, service_for_tests

PURCHASER_A = Party(org_id="11430000006100011A", name="湖南省教育厅", address="湖南省长沙市开福区湘江中路 2 段 116 号",
                    contact_name="李明", contact_phone="0731-84710001")
PURCHASER_B = Party(org_id="11430000006100022B", name="湖南省卫生健康委员会")
SUPPLIER_1 = Party(org_id="91430100MA4L1A0011", name="湖南潇湘物业管理有限公司", address="长沙市岳麓区麓谷大道 658 号")
SUPPLIER_2 = Party(org_id="91430100MA4L1A0022", name="长沙岳麓印务有限公司")

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def result_confirmed(**overrides: Any) -> ResultConfirmed:
    project_id = overrides.pop("project_id", f"PJ{uuid.uuid4().hex[:12]}")
    fields: dict[str, Any] = dict(
        project_id=project_id, project_no=f"XM2026{uuid.uuid4().int % 1000000:06d}",
        project_name="办公楼物业管理服务", method="direct_selection", purchaser=PURCHASER_A, supplier=SUPPLIER_1,
        plan_id="PL1", plan_line_id="PL1-1", filing_no="湘财采备〔2026〕00123", agreement_id="AG1",
        agreement_no="HNKJ-2026-001", agreement_name="湖南省物业管理服务框架协议", contract_template="",
        service_id="SV1", service_name="办公楼物业管理", category_code="C1204", unit="月", quantity=Decimal("12"),
        unit_price=Decimal("25000.00"), amount=Decimal("300000.00"), reserved_amount=Decimal("360000.00"),
        confirmed_at=datetime.now(timezone.utc))
    fields.update(overrides)
    return ResultConfirmed(**fields)


def contract_stamped(project_id: str, **overrides: Any) -> ContractStamped:
    fields: dict[str, Any] = dict(contract_id=f"CT{project_id}", contract_no="HT2026000001", project_id=project_id,
                                  ca_mode="ca_seal", certificate_serial="01", document_sha256="0" * 64,
                                  signed_at=datetime.now(timezone.utc))
    fields.update(overrides)
    return ContractStamped(**fields)


def envelope_for(event: Any, sequence: int) -> Envelope:
    return Envelope(type=event.ce_type(), source="/test", subject=event.aggregate_id, sequence=sequence)


class OrdersWorld:
    """The running service, an HTTP client on it, and a client per demo principal."""

    def __init__(self, service: Any, client: httpx.AsyncClient, tokens: TokenFactory, files_root: Path) -> None:
        self.service, self.client, self.tokens, self.files_root = service, client, tokens, files_root
        self.purchaser_a = tokens.headers("purchaser-a", PURCHASER_A.org_id, "purchaser", PURCHASER_A.name)
        self.purchaser_b = tokens.headers("purchaser-b", PURCHASER_B.org_id, "purchaser", PURCHASER_B.name)
        self.supplier_1 = tokens.headers("supplier-1", SUPPLIER_1.org_id, "supplier", SUPPLIER_1.name)
        self.supplier_2 = tokens.headers("supplier-2", SUPPLIER_2.org_id, "supplier", SUPPLIER_2.name)
        self.agency = tokens.headers("agency", "12430000MB1A46001K", "agency")

    async def new_order(self, stamped: bool = False, **overrides: Any) -> dict[str, Any]:
        event = result_confirmed(**overrides)
        await self.service.dispatch(event)
        if stamped:
            await self.service.dispatch(contract_stamped(event.project_id), envelope_for(
                contract_stamped(event.project_id), 1))
        listing = (await self.client.get("/api/v1/orders", headers=self.purchaser_a, params={"limit": 200})).json()
        return next(o for o in listing["items"] if o["project_id"] == event.project_id)

    def stored_files(self) -> list[Path]:
        return [p for p in self.files_root.rglob("*") if p.is_file()]


@pytest.fixture(scope="module")
async def orders_world(tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[OrdersWorld]:
    from orders.app import build
    from orders.settings import Settings

    var_dir = tmp_path_factory.mktemp("orders-var")
    def make(url: str) -> Service:
        return build(Settings(database_url=url, jwt_public_key=tokens.public_pem, var_dir=var_dir,
                              file_max_bytes=4096), with_bus=False)

    async with service_for_tests("orders", make) as (service, client):
        yield OrdersWorld(service, client, tokens, var_dir / "files" / "orders")


@pytest.fixture
def order_events() -> SimpleNamespace:
    """Builders of consumed events and sample files: order_events.result_confirmed(...), ..."""
    return SimpleNamespace(result_confirmed=result_confirmed, contract_stamped=contract_stamped,
                           envelope_for=envelope_for, pdf=PDF_BYTES, png=PNG_BYTES, purchaser_b=PURCHASER_B,
                           supplier_2=SUPPLIER_2)
