"""SQLModel tables of the orders service (its own metadata: no other service's tables) and the
queries the command layer and the routes share."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from sqlalchemy import ColumnElement, UniqueConstraint
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from orders import domain
from servicekit.auth import Principal
from servicekit.logging import bind_context
from servicekit.tables import StoredFileColumns, add_numbering_table, table_base
from servicekit.types import MoneyColumn, QuantityColumn, UTCDateTime


Table = table_base()
metadata = Table.metadata
add_numbering_table(metadata)  # order numbers (servicekit.numbering)


class Order(Table, table=True):
    __tablename__ = "orders"

    id: str = Field(primary_key=True, max_length=40)
    order_no: str = Field(unique=True, max_length=40)
    project_id: str = Field(unique=True, max_length=40, description="One order per confirmed result")
    project_no: str = Field(max_length=60)
    project_name: str = Field(max_length=200)
    method: str = Field(max_length=30)
    purchaser_org_id: str = Field(index=True, max_length=40)
    purchaser_name: str = Field(max_length=200)
    purchaser_address: str = Field(default="", max_length=300)
    purchaser_contact: str = Field(default="", max_length=100)
    purchaser_phone: str = Field(default="", max_length=40)
    supplier_id: str = Field(index=True, max_length=40)
    supplier_name: str = Field(max_length=200)
    supplier_address: str = Field(default="", max_length=300)
    plan_id: str = Field(max_length=40)
    plan_line_id: str = Field(max_length=60)
    filing_no: str = Field(max_length=60)
    agreement_id: str = Field(max_length=40)
    agreement_no: str = Field(max_length=60)
    agreement_name: str = Field(max_length=200)
    amount: Decimal = Field(sa_type=MoneyColumn)
    status: str = Field(max_length=30, index=True)
    paid_total: Decimal = Field(default=Decimal("0.00"), sa_type=MoneyColumn)
    invoiced_total: Decimal = Field(default=Decimal("0.00"), sa_type=MoneyColumn)
    awarded_at: datetime = Field(sa_type=UTCDateTime)
    contract_due_on: date
    contracted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acceptance_file_id: str | None = Field(default=None, max_length=40)
    payment_due_on: date | None = None
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class OrderLine(Table, table=True):
    __tablename__ = "order_lines"

    id: str = Field(primary_key=True, max_length=50)
    order_id: str = Field(foreign_key="orders.id", index=True, max_length=40)
    service_id: str = Field(max_length=40)
    name: str = Field(max_length=200)
    unit: str = Field(max_length=20)
    quantity: Decimal = Field(sa_type=QuantityColumn)
    unit_price: Decimal = Field(sa_type=MoneyColumn)
    amount: Decimal = Field(sa_type=MoneyColumn)
    requirements: str = Field(default="", max_length=2000)


class ContractProgress(Table, table=True):
    """The contract of a project as contracts.events tell it (kept even before the order exists)."""

    __tablename__ = "contract_progress"

    project_id: str = Field(primary_key=True, max_length=40)
    contract_id: str = Field(max_length=40)
    contract_no: str = Field(default="", max_length=40)
    status: str = Field(max_length=30)
    ca_mode: str | None = Field(default=None, max_length=20)
    last_sequence: int = 0
    sign_due_on: date | None = Field(default=None, description="The signing deadline ContractDrafted carries")
    stamped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    announcement_due_on: date | None = Field(default=None, description="合同公告 deadline (ContractStamped)")
    announced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    filing_due_on: date | None = Field(default=None, description="合同备案 deadline (ContractStamped)")
    filed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class StoredFile(Table, StoredFileColumns, table=True):
    """An uploaded file: its bytes live in the storage under `storage_key`."""

    __tablename__ = "files"

    id: str = Field(primary_key=True, max_length=40)
    order_id: str = Field(foreign_key="orders.id", index=True, max_length=40)
    kind: str = Field(max_length=20, description="acceptance | payment | invoice")
    uploaded_org_id: str = Field(max_length=40)


class LogisticsEntry(Table, table=True):
    __tablename__ = "logistics_entries"

    id: str = Field(primary_key=True, max_length=40)
    order_id: str = Field(foreign_key="orders.id", index=True, max_length=40)
    kind: str = Field(max_length=20)
    description: str = Field(max_length=1000)
    carrier: str = Field(default="", max_length=100)
    tracking_no: str = Field(default="", max_length=60)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=60)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class Invoice(Table, table=True):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("order_id", "invoice_no", name="uq_invoice_no_per_order"),)

    id: str = Field(primary_key=True, max_length=40)
    order_id: str = Field(foreign_key="orders.id", index=True, max_length=40)
    invoice_no: str = Field(max_length=40)
    amount: Decimal = Field(sa_type=MoneyColumn)
    issued_on: date
    file_id: str | None = Field(default=None, max_length=40)
    recorded_by: str = Field(max_length=60)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class Payment(Table, table=True):
    __tablename__ = "payments"

    id: str = Field(primary_key=True, max_length=40)
    order_id: str = Field(foreign_key="orders.id", index=True, max_length=40)
    amount: Decimal = Field(sa_type=MoneyColumn)
    paid_on: date
    file_id: str = Field(max_length=40)
    recorded_by: str = Field(max_length=60)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


# ---- purchaser evaluation (用户评价) ---------------------------------------------------------------------

class AgreementOwner(Table, table=True):
    """Which agency published each agreement (from catalog's AgreementPublished): only it sets the
    agreement's evaluation dimensions."""

    __tablename__ = "agreement_owners"

    agreement_id: str = Field(primary_key=True, max_length=40)
    agency_org_id: str = Field(max_length=40)
    agency_name: str = Field(max_length=200)


class EvaluationDimensions(Table, table=True):
    """The dimensions the agency set: for one agreement, or globally (agreement_id "")."""

    __tablename__ = "evaluation_dimensions"

    agreement_id: str = Field(primary_key=True, max_length=40, description='"" for the global dimensions')
    dimensions: list[str] = Field(sa_type=sa.JSON)
    set_by: str = Field(max_length=60)
    set_at: datetime = Field(sa_type=UTCDateTime)


class Evaluation(Table, table=True):
    """The purchaser's evaluation of an order's supplier (once per order), and the supplier's answer."""

    __tablename__ = "evaluations"

    id: str = Field(primary_key=True, max_length=40)
    order_id: str = Field(foreign_key="orders.id", unique=True, max_length=40)
    agreement_id: str = Field(max_length=40)
    purchaser_org_id: str = Field(max_length=40)
    supplier_id: str = Field(index=True, max_length=40)
    scores: list[dict[str, Any]] = Field(sa_type=sa.JSON, description='[{"dimension": ..., "score": 1..5}]')
    comment: str = Field(default="", max_length=1000)
    submitted_by: str = Field(max_length=60)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    answer: str | None = Field(default=None, max_length=1000)
    answered_by: str | None = Field(default=None, max_length=60)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


async def dimensions_of(session: AsyncSession, agreement_id: str) -> list[str]:
    """The dimensions an order of this agreement is evaluated on (the agreement's, the global, the default)."""
    own = await session.get(EvaluationDimensions, agreement_id) if agreement_id else None
    common = await session.get(EvaluationDimensions, "")
    return domain.dimensions_for(own.dimensions if own else None, common.dimensions if common else None)


async def evaluation_of(session: AsyncSession, order_id: str, *, lock: bool = False) -> Evaluation | None:
    stmt = select(Evaluation).where(Evaluation.order_id == order_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.exec(stmt)).first()


# ---- queries ---------------------------------------------------------------------------------------
# visible_to and party_* have the shape of contracts.store's on purpose: each service answers "who sees
# this deal" for its own table, through the one rule servicekit.auth.Principal.is_party.

def visible_to(user: Principal) -> ColumnElement[bool] | None:
    """The orders a user may see: a purchaser its unit's, a supplier the ones it won; None: none."""
    return user.party_filter(Order.purchaser_org_id, Order.supplier_id)


async def party_order(session: AsyncSession, order_id: str, user: Principal, *, lock: bool = False) -> Order:
    """The order, if the user is one of its parties (row-locked when `lock`); else NotFound."""
    bind_context(order_id=order_id)
    order = user.party_to(await session.get(Order, order_id, with_for_update=lock or None, populate_existing=lock),
                          f"订单 {order_id} 不存在。")
    bind_context(project_id=order.project_id)
    return order


async def project_order(session: AsyncSession, project_id: str, *, lock: bool = False) -> Order | None:
    stmt = select(Order).where(Order.project_id == project_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.exec(stmt)).first()
