"""SQLModel tables of the plans service (its own metadata: no other service's tables) and the queries
the command layer and the ledger share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from plans import domain
from servicekit.queries import contains
from servicekit.tables import table_base
from servicekit.types import MoneyColumn, QuantityColumn, UTCDateTime


Table = table_base()
metadata = Table.metadata


class Plan(Table, table=True):
    __tablename__ = "plans"

    id: str = Field(primary_key=True, max_length=40)
    plan_no: str = Field(unique=True, max_length=40)
    purchaser_org_id: str = Field(index=True, max_length=40)
    purchaser_name: str = Field(max_length=200)
    purchaser_address: str = Field(default="", max_length=300)
    name: str = Field(max_length=200)
    year: int
    filing_no: str = Field(max_length=60)
    funding_source: str = Field(max_length=100)
    contact_name: str = Field(max_length=100)
    contact_phone: str = Field(max_length=40)
    revision: int = 1
    line_seq: int = Field(default=0, description="Last number used in a line id: ids are never reused")
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PlanLine(Table, table=True):
    __tablename__ = "plan_lines"

    id: str = Field(primary_key=True, max_length=48)
    plan_id: str = Field(foreign_key="plans.id", index=True, max_length=40)
    line_no: int
    category_code: str = Field(max_length=20)
    item_name: str = Field(max_length=200)
    quantity: Decimal = Field(sa_type=QuantityColumn)
    unit: str = Field(max_length=20)
    budget_amount: Decimal = Field(sa_type=MoneyColumn)
    reserved_amount: Decimal = Field(default=Decimal("0.00"), sa_type=MoneyColumn)
    consumed_amount: Decimal = Field(default=Decimal("0.00"), sa_type=MoneyColumn)
    spent_amount: Decimal = Field(default=Decimal("0.00"), sa_type=MoneyColumn)
    requirements: str = Field(default="", max_length=2000)

    def balance(self) -> domain.Balance:
        return domain.Balance(self.budget_amount, self.reserved_amount, self.consumed_amount, self.spent_amount)

    def set_balance(self, balance: domain.Balance) -> None:
        self.budget_amount, self.reserved_amount = balance.budget, balance.reserved
        self.consumed_amount, self.spent_amount = balance.consumed, balance.spent


class PlanCounter(Table, table=True):
    """The last plan number issued per year; incremented in the creating transaction (no race)."""

    __tablename__ = "plan_counters"

    year: int = Field(primary_key=True)
    last_sequence: int


class Reservation(Table, table=True):
    """What one project holds (or held) on one plan line; one row per project, whatever happens."""

    __tablename__ = "reservations"

    project_id: str = Field(primary_key=True, max_length=60)
    plan_id: str = Field(index=True, max_length=40)
    line_id: str = Field(index=True, max_length=48)
    project_no: str = Field(default="", max_length=60)
    status: str = Field(max_length=20)
    amount: Decimal = Field(sa_type=MoneyColumn, description="Amount asked for and, unless rejected, reserved")
    consumed_amount: Decimal = Field(default=Decimal("0.00"), sa_type=MoneyColumn)
    released_amount: Decimal = Field(default=Decimal("0.00"), sa_type=MoneyColumn)
    reason_code: str = Field(default="", max_length=40)
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class LedgerEntry(Table, table=True):
    """Every movement on a plan line, append-only: reserve, release, consume (by project) and spend (by
    payment). (kind, reference) is unique, so a movement is never booked twice."""

    __tablename__ = "ledger_entries"
    __table_args__ = (sa.UniqueConstraint("kind", "reference", name="uq_ledger_kind_reference"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(index=True, max_length=40)
    line_id: str = Field(index=True, max_length=48)
    kind: str = Field(max_length=20)
    reference: str = Field(max_length=60, description="project id, or payment id for a spend")
    project_id: str = Field(default="", max_length=60)
    amount: Decimal = Field(sa_type=MoneyColumn)
    event_id: str = Field(max_length=36)
    paid_on: date | None = None
    at: datetime = Field(sa_type=UTCDateTime)


# ── queries ──────────────────────────────────────────────────────────────────────────────────────


async def next_plan_sequence(session: AsyncSession, year: int) -> int:
    """Atomically takes the next number of `year` (an upsert holding the counter row until commit)."""
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    table = PlanCounter.__table__
    stmt = insert(table).values(year=year, last_sequence=1).on_conflict_do_update(
        index_elements=[table.c.year], set_={"last_sequence": table.c.last_sequence + 1},
    ).returning(table.c.last_sequence)
    return int((await session.exec(stmt)).scalar_one())


async def lock_plan(session: AsyncSession, plan_id: str) -> Plan | None:
    """The plan, locked until the transaction ends (PostgreSQL; SQLite writes are serialized anyway).
    Everything that changes a plan or its ledger locks the plan first: one lock order, no deadlock."""
    stmt = select(Plan).where(Plan.id == plan_id).with_for_update().execution_options(populate_existing=True)
    return (await session.exec(stmt)).first()


async def lines_of(session: AsyncSession, plan_id: str) -> list[PlanLine]:
    stmt = (select(PlanLine).where(PlanLine.plan_id == plan_id).order_by(PlanLine.line_no)
            .execution_options(populate_existing=True))
    return list((await session.exec(stmt)).all())


async def reservations_of(session: AsyncSession, plan_id: str) -> list[Reservation]:
    stmt = select(Reservation).where(Reservation.plan_id == plan_id).order_by(Reservation.created_at)
    return list((await session.exec(stmt)).all())


async def ledger_has(session: AsyncSession, kind: str, reference: str) -> bool:
    stmt = select(LedgerEntry.id).where(LedgerEntry.kind == kind, LedgerEntry.reference == reference)
    return (await session.exec(stmt)).first() is not None


@dataclass(frozen=True)
class PlanFilter:
    """What a unit looks for among its plans; None / empty means any."""

    year: int | None = None
    text: str = ""
    category: str | None = None


async def search_plans(session: AsyncSession, org_id: str, where: PlanFilter, *, offset: int,
                       limit: int) -> tuple[int, list[Plan], list[PlanLine]]:
    """How many of the unit's plans match, one page of them (newest first) and the lines of that page.
    `text` is a part of the name, plan number or filing number; `category` matches lines beneath it."""
    conditions = [Plan.purchaser_org_id == org_id]
    if where.year is not None:
        conditions.append(Plan.year == where.year)
    if where.text.strip():
        text = where.text.strip().lower()
        conditions.append(or_(*(contains(func.lower(column), text)
                                for column in (Plan.name, Plan.plan_no, Plan.filing_no))))
    if where.category:
        conditions.append(Plan.id.in_(select(PlanLine.plan_id).where(  # type: ignore[union-attr]
            PlanLine.category_code.like(f"{where.category}%"))))  # type: ignore[union-attr]
    total = (await session.exec(select(func.count()).select_from(Plan).where(*conditions))).one()
    plans = list((await session.exec(
        select(Plan).where(*conditions).order_by(Plan.created_at.desc(), Plan.plan_no.desc())  # type: ignore[attr-defined]
        .offset(offset).limit(limit))).all())
    lines = list((await session.exec(
        select(PlanLine).where(PlanLine.plan_id.in_([p.id for p in plans])))).all())  # type: ignore[attr-defined]
    return total, plans, lines
