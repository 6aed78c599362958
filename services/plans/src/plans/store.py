"""SQLModel tables of the plans service (its own metadata: no other service's tables)."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from servicekit.tables import add_plumbing_tables
from servicekit.types import MoneyColumn, QuantityColumn, UTCDateTime


class Table(SQLModel, registry=registry()):
    """Base of every table of this service."""


metadata = Table.metadata
add_plumbing_tables(metadata)


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
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PlanLine(Table, table=True):
    __tablename__ = "plan_lines"

    id: str = Field(primary_key=True, max_length=40)
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
