"""SQLModel tables of the bidding service (its own metadata: no other service's tables)."""

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


# --- read model of plans (from PlanCreated / PlanUpdated) -------------------------------------------

class PlanRef(Table, table=True):
    """A purchase plan as bidding knows it: enough to check and name what a project references."""

    __tablename__ = "plan_refs"

    plan_id: str = Field(primary_key=True, max_length=40)
    plan_no: str = Field(max_length=40)
    purchaser_org_id: str = Field(index=True, max_length=40)
    purchaser_name: str = Field(max_length=200)
    purchaser_address: str = Field(default="", max_length=300)
    name: str = Field(max_length=200)
    filing_no: str = Field(max_length=60)
    contact_name: str = Field(max_length=100)
    contact_phone: str = Field(max_length=40)
    revision: int
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PlanLineRef(Table, table=True):
    __tablename__ = "plan_line_refs"

    line_id: str = Field(primary_key=True, max_length=60)
    plan_id: str = Field(index=True, max_length=40)
    line_no: int
    category_code: str = Field(max_length=20)
    item_name: str = Field(max_length=200)
    quantity: Decimal = Field(sa_type=QuantityColumn)
    unit: str = Field(max_length=20)
    budget_amount: Decimal = Field(sa_type=MoneyColumn)
    requirements: str = Field(default="", max_length=2000)
