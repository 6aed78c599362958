"""SQLModel tables of the bidding service (its own metadata: no other service's tables)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bidding import domain
from servicekit.tables import add_numbering_table, table_base
from servicekit.types import MoneyColumn, QuantityColumn, UTCDateTime


Table = table_base()
metadata = Table.metadata
add_numbering_table(metadata)  # project numbers (servicekit.numbering.next_number)


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


# --- read model of catalog (from AgreementPublished, ServiceListed/Delisted, SupplierSuspended/...) ------

class AgreementRef(Table, table=True):
    """A framework agreement as bidding knows it: what a project checks at publish and at award."""

    __tablename__ = "agreement_refs"

    agreement_id: str = Field(primary_key=True, max_length=60)
    agreement_no: str = Field(max_length=60)
    name: str = Field(max_length=200)
    agency_org_id: str = Field(max_length=40)
    agency_name: str = Field(max_length=200)
    category_code: str = Field(max_length=20)
    category_name: str = Field(max_length=100)
    valid_from: date
    valid_to: date
    methods: list[str] = Field(sa_type=sa.JSON)
    contract_template: str = Field(default="", sa_type=sa.Text)
    expired: bool = False
    published_at: datetime = Field(sa_type=UTCDateTime)
    estimated_amount: Decimal | None = Field(default=None, sa_type=MoneyColumn,
                                             description="预估采购金额 (AgreementPublished 1.1): the ledger's measure")
    estimated_quantity: Decimal | None = Field(default=None, sa_type=QuantityColumn, description="预估采购数量")


class SupplierRef(Table, table=True):
    """A shortlisted supplier (入围供应商) of one agreement, with its standing under it."""

    __tablename__ = "supplier_refs"

    agreement_id: str = Field(primary_key=True, max_length=60)
    supplier_id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=300)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    status: str = Field(default="active", max_length=20)  # active | suspended
    status_reason: str = Field(default="", max_length=500)


class ServiceRef(Table, table=True):
    """A service of the shortlisted-service library (入围服务库) under one agreement."""

    __tablename__ = "service_refs"

    agreement_id: str = Field(primary_key=True, max_length=60)
    service_id: str = Field(primary_key=True, max_length=60)
    category_code: str = Field(max_length=20)
    name: str = Field(max_length=200)
    unit: str = Field(max_length=20)
    description: str = Field(default="", sa_type=sa.Text)


class OfferingRef(Table, table=True):
    """One supplier's offer of one service under an agreement, with its agreement price (the ceiling)."""

    __tablename__ = "offering_refs"
    __table_args__ = (sa.Index("ix_offering_refs_agreement_supplier", "agreement_id", "supplier_id"),)

    offering_id: str = Field(primary_key=True, max_length=60)
    agreement_id: str = Field(max_length=60)
    service_id: str = Field(max_length=60)
    supplier_id: str = Field(max_length=40)
    agreement_price: Decimal = Field(sa_type=MoneyColumn)
    discount_tiers: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    listed: bool = True
    price: Decimal | None = Field(default=None, sa_type=MoneyColumn)


# --- projects -------------------------------------------------------------------------------------------

class Project(Table, table=True):
    """A project (项目): direct selection (直接选定) or secondary bidding (二次竞价). The purchaser's, the
    plan line's and the agreement's facts are the project's own copy, as the events brought them:
    services share events, never tables, so these columns resemble orders' and contracts' by design."""

    __tablename__ = "projects"
    __table_args__ = (sa.Index("ix_projects_due", "status", "method"),)

    id: str = Field(primary_key=True, max_length=40)
    project_no: str = Field(unique=True, max_length=40)
    method: str = Field(max_length=30)
    name: str = Field(max_length=200)
    status: str = Field(max_length=30)
    funds: str = Field(default="none", max_length=20)
    purchaser_org_id: str = Field(index=True, max_length=40)
    purchaser_name: str = Field(max_length=200)
    purchaser_address: str = Field(default="", max_length=300)
    created_by: str = Field(max_length=100)
    contact_name: str = Field(max_length=100)
    contact_phone: str = Field(max_length=40)
    office_phone: str = Field(default="", max_length=40)
    plan_id: str = Field(max_length=40)
    plan_line_id: str = Field(max_length=60)
    filing_no: str = Field(max_length=60)
    item_name: str = Field(max_length=200)
    category_code: str = Field(max_length=20)
    agreement_id: str = Field(max_length=60)
    service_id: str | None = Field(default=None, max_length=60)
    supplier_id: str | None = Field(default=None, max_length=40)
    quantity: Decimal = Field(sa_type=QuantityColumn)
    unit: str = Field(max_length=20)
    price_limit: Decimal | None = Field(default=None, sa_type=MoneyColumn)
    ceiling_amount: Decimal | None = Field(default=None, sa_type=MoneyColumn)
    requirements: str = Field(default="", sa_type=sa.Text)
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_seconds: int | None = None
    procurement_announcement_id: str | None = Field(default=None, max_length=40)
    award_announcement_id: str | None = Field(default=None, max_length=40)
    winning_quote_id: str | None = Field(default=None, max_length=40)
    award_amount: Decimal | None = Field(default=None, sa_type=MoneyColumn)
    outcome_reason: str = Field(default="", max_length=1000)
    ended_by: str = Field(default="", max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Invitation(Table, table=True):
    """A supplier invited to quote on a project: the chosen one of a direct selection; every eligible
    shortlisted supplier of a secondary bidding (fixed when the window opens)."""

    __tablename__ = "invitations"

    project_id: str = Field(primary_key=True, max_length=40)
    supplier_id: str = Field(primary_key=True, max_length=40, index=True)
    invited_at: datetime = Field(sa_type=UTCDateTime)


class Quote(Table, table=True):
    """A supplier's current quote (报价) on a project: its latest revision counts, with its time."""

    __tablename__ = "quotes"
    __table_args__ = (sa.UniqueConstraint("project_id", "supplier_id", name="uq_quotes_project_supplier"),)

    id: str = Field(primary_key=True, max_length=40)
    project_id: str = Field(max_length=40)  # indexed by the unique constraint
    supplier_id: str = Field(max_length=40)
    supplier_name: str = Field(max_length=200)
    offering_id: str = Field(max_length=60)
    service_id: str = Field(max_length=60)
    amount: Decimal = Field(sa_type=MoneyColumn)
    ceiling_amount: Decimal = Field(sa_type=MoneyColumn)
    quoted_at: datetime = Field(sa_type=UTCDateTime)
    seq: int = Field(sa_type=sa.BigInteger)
    revision: int = 1
    note: str = Field(default="", max_length=500)
    excluded_reason: str = Field(default="", max_length=500)


class QuoteRevision(Table, table=True):
    """Every quote as it arrived (audit trail); its id orders arrivals on the server."""

    __tablename__ = "quote_revisions"

    id: int | None = Field(default=None, sa_type=sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                           primary_key=True, sa_column_kwargs={"autoincrement": True})
    quote_id: str = Field(index=True, max_length=40)
    project_id: str = Field(max_length=40)
    supplier_id: str = Field(max_length=40)
    offering_id: str = Field(max_length=60)
    amount: Decimal = Field(sa_type=MoneyColumn)
    quoted_at: datetime = Field(sa_type=UTCDateTime)


class Announcement(Table, table=True):
    """A public announcement: 采购公告 (procurement), 单笔成交结果公告 (award), or the summary of an
    agreement's direct-selection awards (summary: project_id is the agreement's id, project_no "").

    `due_at` is the deadline the measures set for it, when they set one (an award of secondary bidding
    or rotation: 2 working days after the award; the summary: 10 working days after the agreement
    expired); `deadline_provisional` when the Chinese calendar of that year was not yet known."""

    __tablename__ = "announcements"

    id: str = Field(primary_key=True, max_length=40)
    project_id: str = Field(index=True, max_length=40)
    project_no: str = Field(max_length=40)
    project_name: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    title: str = Field(max_length=300)
    content: str = Field(sa_type=sa.Text)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    purchaser_org_id: str = Field(max_length=40)
    purchaser_name: str = Field(max_length=200)
    published_at: datetime = Field(sa_type=UTCDateTime, index=True)
    agreement_id: str | None = Field(default=None, max_length=60, index=True)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deadline_provisional: bool = False


# --- rotation (顺序轮候): tables of migration 0003 ---------------------------------------------------------

class RotationSlot(Table, table=True):
    """A supplier's place in an agreement's rotation order (from AgreementPublished.rotation_order; a
    cleared supplier's slot is deleted, a supplementary solicitation appends one)."""

    __tablename__ = "rotation_slots"

    agreement_id: str = Field(primary_key=True, max_length=60)
    supplier_id: str = Field(primary_key=True, max_length=40)
    position: int


class RotationState(Table, table=True):
    """The agreement's current rotation period. Every pick locks this row (FOR UPDATE): two purchasers
    racing for the next supplier are served one after the other."""

    __tablename__ = "rotation_states"

    agreement_id: str = Field(primary_key=True, max_length=60)
    period: int = 1
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RotationTurn(Table, table=True):
    """A supplier's turn in one rotation period: the project it was offered and its answer. The primary
    key (agreement, period, supplier) is the rule itself: at most one turn per supplier and period, so even
    a pick that skipped the lock could not give one supplier two projects in a period."""

    __tablename__ = "rotation_turns"
    __table_args__ = (sa.Index("ix_rotation_turns_project", "project_id"),)

    agreement_id: str = Field(primary_key=True, max_length=60)
    period: int = Field(primary_key=True)
    supplier_id: str = Field(primary_key=True, max_length=40)
    position: int
    project_id: str = Field(max_length=40)
    outcome: str = Field(max_length=20)  # offered | awarded | declined
    amount: Decimal = Field(sa_type=MoneyColumn)
    offered_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason_code: str = Field(default="", max_length=40)
    reason: str = Field(default="", max_length=500)
    valid_reason: bool | None = None


# --- queries --------------------------------------------------------------------------------------------

async def lock_project(session: AsyncSession, project_id: str, *, shared: bool = False) -> Project | None:
    """The project, row-locked on PostgreSQL: FOR SHARE lets quotes run side by side and keeps the
    close (FOR UPDATE) waiting until they commit; FOR UPDATE serializes status changes. (SQLite
    serializes every write transaction anyway.)"""
    query = select(Project).where(Project.id == project_id).with_for_update(read=shared)
    return (await session.exec(query.execution_options(populate_existing=True))).first()


async def invited_project(session: AsyncSession, project_id: str, supplier_id: str) -> Project | None:
    """The project, if this supplier is invited to it (else None: it may not see it)."""
    project = await session.get(Project, project_id)
    if project is None or await session.get(Invitation, (project_id, supplier_id)) is None:
        return None
    return project


async def listed_offerings(session: AsyncSession, agreement_id: str) -> list[tuple[OfferingRef, ServiceRef, SupplierRef]]:
    """Every listed offering of an agreement, with its service and its supplier."""
    rows = await session.exec(
        select(OfferingRef, ServiceRef, SupplierRef)
        .join(ServiceRef, sa.and_(ServiceRef.agreement_id == OfferingRef.agreement_id,
                                  ServiceRef.service_id == OfferingRef.service_id))
        .join(SupplierRef, sa.and_(SupplierRef.agreement_id == OfferingRef.agreement_id,
                                   SupplierRef.supplier_id == OfferingRef.supplier_id))
        .where(OfferingRef.agreement_id == agreement_id, OfferingRef.listed.is_(True)))
    return list(rows.all())


def offer_of(offering: OfferingRef, service: ServiceRef) -> domain.Offer:
    return domain.Offer(offering.offering_id, service.service_id, service.name, service.unit,
                        offering.agreement_price, domain.tiers_of(offering.discount_tiers))


async def eligible_offers(session: AsyncSession, project: Project) -> dict[str, list[domain.Offer]]:
    """{supplier_id: offers} of every active shortlisted supplier of the agreement with a listed
    service the project asks for (二次竞价 invites them all)."""
    out: dict[str, list[domain.Offer]] = {}
    for offering, service, supplier in await listed_offerings(session, project.agreement_id):
        if supplier.status == "active" and domain.serves(project.method, project.category_code, project.service_id,
                                                         service.service_id, service.category_code):
            out.setdefault(supplier.supplier_id, []).append(offer_of(offering, service))
    return out


async def suspended_suppliers(session: AsyncSession, agreement_id: str) -> dict[str, str]:
    """{supplier_id: reason} of the agreement's suspended suppliers (a cleared one is suspended for good)."""
    rows = await session.exec(select(SupplierRef.supplier_id, SupplierRef.status_reason).where(
        SupplierRef.agreement_id == agreement_id,
        SupplierRef.status.in_(("suspended", "cleared"))))  # type: ignore[attr-defined]
    return {supplier_id: reason for supplier_id, reason in rows.all()}


async def project_quotes(session: AsyncSession, project_id: str) -> list[Quote]:
    return list((await session.exec(select(Quote).where(Quote.project_id == project_id))).all())


async def standing(session: AsyncSession, project: Project) -> domain.Standing[Quote]:
    """The project's quotes as they rank now (domain.standing), with the agreement's suspensions."""
    return domain.standing(await project_quotes(session, project.id),
                           await suspended_suppliers(session, project.agreement_id), project.status)


async def release_rotation_turn(session: AsyncSession, project_id: str) -> None:
    """A rotation project ended before its supplier answered: that supplier gets its turn back."""
    table = RotationTurn.__table__
    await session.exec(sa.delete(table).where(table.c.project_id == project_id, table.c.outcome == "offered"))
