"""The test world of the plumbing tests: `effects` records every time a handler ran, so a duplicate
effect is visible; `plan_created()` makes a real event."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from uuid import uuid4

from sqlmodel import Field

from contracts_schema.events.plans import PlanCreated, PlanLineSnapshot
from servicekit.db import Database
from servicekit.tables import table_base


Base = table_base()


class Effect(Base, table=True):
    __tablename__ = "effects"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36)
    plan_id: str = Field(max_length=40)


metadata = Base.metadata


def plan_created(plan_id: str | None = None) -> PlanCreated:
    plan_id = plan_id or f"PL{uuid4().hex[:10]}"
    return PlanCreated(
        plan_id=plan_id, plan_no="JH2026000001", purchaser_org_id="ORG-A", purchaser_name="湖南省教育厅",
        name="物业服务", year=2026, filing_no="湘财采备〔2026〕00001", funding_source="财政拨款", contact_name="李明",
        contact_phone="0731-84710001", created_at=datetime.now(timezone.utc),
        lines=[PlanLineSnapshot(line_id=f"{plan_id}-1", line_no=1, category_code="C1204", item_name="保洁",
                                quantity=Decimal("12"), unit="月", budget_amount=Decimal("1000.00"))])


async def create_tables(url: str) -> None:
    db = Database(url, metadata=metadata)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await db.dispose()
