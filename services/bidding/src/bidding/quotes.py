"""Quotes (报价): the one path that carries load (a whole market quoting in a window's last minute), so
it is written in plain SQL statements built once rather than through the ORM. The rules are the same
ones (domain.py); only the plumbing is leaner.

On PostgreSQL a quote is one transaction of three statements run on the driver's own connection
(asyncpg, prepared once per connection): SQLAlchemy's execution costs about 0.1 ms of CPU a statement
and its session another 0.3 ms a transaction, which at 200 quotes a second on one project was most of
the service's CPU (bench/bidding_quote_cpu.py, bench/README.md). On SQLite the same steps run as
SQLAlchemy Core statements (SQLite serializes the writes anyway).

Sealed: a quote is stored, never shown to anyone but its supplier until the close. A supplier may
revise its quote within the window; its latest counts, with its time. Every revision is kept
(quote_revisions), and its id orders arrivals on the server (the tie-break of identical times)."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from bidding import domain
from bidding.domain import Clock, Command, Method, Offer
from bidding.store import Invitation, OfferingRef, Project, Quote, QuoteRevision, ServiceRef, SupplierRef
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import Conflict, Forbidden, Invalid
from servicekit.types import MoneyColumn, QuantityColumn

log = logging.getLogger("bidding.quotes")

P, INV, SUP, OFR, SVC = (t.__table__.c for t in (Project, Invitation, SupplierRef, OfferingRef, ServiceRef))
Q, R = Quote.__table__, QuoteRevision.__table__

# 1. without a lock: may this supplier quote on it, and has the window ended?
_INVITED = (sa.select(P.method, P.status, P.funds, P.starts_at, P.ends_at)
            .join_from(Project.__table__, Invitation.__table__,
                       sa.and_(INV.project_id == P.id, INV.supplier_id == sa.bindparam("supplier_id")))
            .where(P.id == sa.bindparam("project_id")))
# 2. the project, row-locked: FOR SHARE (secondary bidding: quotes side by side, the close waits for
#    them) or FOR UPDATE (direct selection: the quote changes the project)
_PROJECT = sa.select(P.id, P.method, P.status, P.starts_at, P.ends_at, P.agreement_id, P.category_code,
                     P.service_id, P.quantity, P.price_limit, P.ceiling_amount).where(P.id == sa.bindparam("project_id"))
_PROJECT_SHARED, _PROJECT_EXCLUSIVE = _PROJECT.with_for_update(read=True), _PROJECT.with_for_update()
# 3. the supplier's standing and its listed offers under the agreement
_CONTEXT = (sa.select(SUP.name, SUP.status, SUP.status_reason, OFR.offering_id, OFR.agreement_price, OFR.discount_tiers,
                      SVC.service_id, SVC.name.label("service_name"), SVC.unit, SVC.category_code)
            .select_from(SupplierRef.__table__)
            .outerjoin(OfferingRef.__table__, sa.and_(OFR.agreement_id == SUP.agreement_id, OFR.supplier_id == SUP.supplier_id,
                                                      OFR.listed.is_(True)))
            .outerjoin(ServiceRef.__table__, sa.and_(SVC.agreement_id == OFR.agreement_id, SVC.service_id == OFR.service_id))
            .where(SUP.agreement_id == sa.bindparam("agreement_id"), SUP.supplier_id == sa.bindparam("supplier_id")))
# 4. the revision (its id is the arrival order), 5. the quote: insert, or replace with a newer revision
_REVISION = sa.insert(R).returning(R.c.id)
_UPDATED = ("supplier_name", "offering_id", "service_id", "amount", "ceiling_amount", "quoted_at", "seq", "note")


def _upsert(dialect: str) -> Any:
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Q)
    return insert.on_conflict_do_update(
        index_elements=[Q.c.project_id, Q.c.supplier_id],
        set_={**{k: insert.excluded[k] for k in _UPDATED}, "revision": Q.c.revision + 1},
        where=Q.c.seq < insert.excluded.seq,  # never overwritten by an older revision that committed late
    ).returning(Q.c.revision)


_UPSERT = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}


class OpensFirst(Exception):
    """The window's start has come but the timer has not opened it yet: open it, then record again."""


async def record_quote(db: Database, user: Principal, project_id: str, amount: Decimal, service_id: str | None,
                       note: str, clock: Clock) -> tuple[RecordedQuote, Decimal]:
    """A supplier quotes or revises its quote, in one transaction. Returns the quote as stored and the
    project's quantity. Raises OpensFirst when the window must be opened first (workflow.submit_quote)."""
    if db.is_postgres:
        quote, quantity = await _record_on_postgres(db, user, project_id, amount, service_id, note, clock)
    else:
        quote, quantity = await _record(db, user, project_id, amount, service_id, note, clock)
    log.info("quote recorded", extra={"supplier_id": user.org_id, "revision": quote.revision})
    return quote, quantity


def _checked(project: Any, now: datetime, supplier_rows: list[Any], amount: Decimal,
             service_id: str | None) -> tuple[str, Offer, Decimal, Decimal, str]:
    """The rules a quote must pass once the project is locked: the window by the server's clock, the
    status, the supplier's standing and offer, the ceiling. Returns the supplier's name, the offer, the
    ceiling, the amount and the project's next status."""
    domain.check_quote_time(now, project.starts_at, project.ends_at)
    next_status = domain.next_status(project.method, project.status, Command.QUOTE)
    supplier_name, offers = _standing_of(supplier_rows, project)
    offer = choose_offer(offers, service_id)
    ceiling = domain.ceiling(offer, project)
    return supplier_name, offer, ceiling, domain.check_quote_amount(amount, ceiling), next_status


def _check_unlocked(invited: Any, project_id: str, clock: Clock) -> None:
    """Before the row lock: invited at all, the window not ended (the timer's close must not find the
    lock held by a late quote), and opened (else OpensFirst)."""
    if invited is None:
        raise domain.no_such_project(project_id)
    domain.check_quote_time(clock(), invited.starts_at, invited.ends_at)
    if domain.due_action(invited.method, invited.status, invited.funds, invited.starts_at, invited.ends_at,
                         clock()) == domain.Due.OPEN:
        raise OpensFirst


# --- PostgreSQL: three statements on asyncpg ----------------------------------------------------------------
# 1. without a lock: the project as the supplier's invitation shows it, the supplier's standing and its
#    listed offers under the project's agreement (one row per offer; none if not invited)
_PG_INVITED = """
SELECT p.method, p.status, p.funds, p.starts_at, p.ends_at,
       s.name, s.status AS supplier_status, s.status_reason, o.offering_id, o.agreement_price, o.discount_tiers,
       v.service_id, v.name AS service_name, v.unit, v.category_code
FROM projects p
JOIN invitations i ON i.project_id = p.id AND i.supplier_id = $2
LEFT JOIN supplier_refs s ON s.agreement_id = p.agreement_id AND s.supplier_id = $2
LEFT JOIN offering_refs o ON o.agreement_id = s.agreement_id AND o.supplier_id = s.supplier_id AND o.listed
LEFT JOIN service_refs v ON v.agreement_id = o.agreement_id AND v.service_id = o.service_id
WHERE p.id = $1"""
# 2. the project, row-locked (see _PROJECT_SHARED)
_PG_PROJECT = """
SELECT id, method, status, starts_at, ends_at, agreement_id, category_code, service_id, quantity, price_limit,
       ceiling_amount FROM projects WHERE id = $1 FOR {}"""
_PG_PROJECT_SHARED, _PG_PROJECT_EXCLUSIVE = _PG_PROJECT.format("SHARE"), _PG_PROJECT.format("UPDATE")
# 3. the revision (its id is the arrival order) and the quote: inserted, or replaced by a newer revision
#    (never by an older one that committed late: then no row, and the transaction is rolled back)
_PG_RECORD = f"""
WITH revision AS (
    INSERT INTO quote_revisions (quote_id, project_id, supplier_id, offering_id, amount, quoted_at)
    VALUES ($1, $2, $3, $5, $7, $9) RETURNING id)
INSERT INTO quotes AS q (id, project_id, supplier_id, supplier_name, offering_id, service_id, amount,
                         ceiling_amount, quoted_at, seq, revision, note, excluded_reason)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, revision.id, 1, $10, '' FROM revision
ON CONFLICT (project_id, supplier_id) DO UPDATE
SET {", ".join(f"{k} = excluded.{k}" for k in _UPDATED)}, revision = q.revision + 1
WHERE q.seq < excluded.seq
RETURNING q.seq, q.revision"""
_MONEY, _QUANTITY = MoneyColumn(), QuantityColumn()


class _Row(dict):
    """An asyncpg record with the columns' Python types (money and quantities in yuan, not fen)."""

    __getattr__ = dict.__getitem__


def _project_of(record: Any) -> _Row:
    row = _Row(record)
    row["quantity"] = _QUANTITY.process_result_value(row["quantity"], None)
    for k in ("price_limit", "ceiling_amount"):
        row[k] = _MONEY.process_result_value(row[k], None)
    return row


def _context_of(record: Any) -> _Row:
    row = _Row(record, status=record["supplier_status"])
    row["agreement_price"] = _MONEY.process_result_value(row["agreement_price"], None)
    tiers = row["discount_tiers"]
    row["discount_tiers"] = json.loads(tiers) if isinstance(tiers, str) else tiers or []
    return row


_GATES: WeakKeyDictionary[Database, asyncio.Semaphore] = WeakKeyDictionary()


def _gate(db: Database) -> asyncio.Semaphore:
    """At most as many quotes in flight as the pool keeps connections: a burst of hundreds then waits
    here, not for connections opened beyond the pool and closed again at once (a new PostgreSQL
    session costs more than a quote)."""
    gate = _GATES.get(db)
    if gate is None:
        gate = _GATES[db] = asyncio.Semaphore(db.engine.pool.size())
    return gate


async def open_connections(db: Database) -> None:
    """At start-up on PostgreSQL: opens the connections the pool keeps, so that the first burst of a
    window does not wait for new sessions (each costs PostgreSQL a process and its catalog look-ups;
    at 200 quotes a second they stalled every quote behind them)."""
    if not db.is_postgres:
        return
    connections = [await db.engine.connect().start() for _ in range(db.engine.pool.size())]
    for connection in connections:
        await connection.close()


async def _record_on_postgres(db: Database, user: Principal, project_id: str, amount: Decimal,
                              service_id: str | None, note: str, clock: Clock) -> tuple[RecordedQuote, Decimal]:
    async with _gate(db), db.engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        try:
            return await _record_on(driver, user, project_id, amount, service_id, note, clock)
        finally:
            if driver.is_in_transaction():  # its rollback did not happen (cancelled): never back to the pool
                await connection.invalidate()


async def _record_on(driver: Any, user: Principal, project_id: str, amount: Decimal, service_id: str | None,
                     note: str, clock: Clock) -> tuple[RecordedQuote, Decimal]:
    """One quote on an asyncpg connection, in its own transaction."""
    async with driver.transaction():
        rows = [_Row(r) for r in await driver.fetch(_PG_INVITED, project_id, user.org_id)]
        invited = rows[0] if rows else None
        _check_unlocked(invited, project_id, clock)
        locking = _PG_PROJECT_SHARED if invited["method"] == Method.SECONDARY else _PG_PROJECT_EXCLUSIVE
        project = _project_of(await driver.fetchrow(locking, project_id))
        now = clock()
        context = [_context_of(r) for r in rows if r["supplier_status"] is not None]
        supplier_name, offer, ceiling, amount, next_status = _checked(project, now, context, amount, service_id)
        quote = _new_quote(project_id, user.org_id, supplier_name, offer, amount, ceiling, now, note)
        stored = await driver.fetchrow(
            _PG_RECORD, quote.id, project_id, user.org_id, supplier_name, offer.offering_id, offer.service_id,
            _MONEY.process_bind_param(amount, None), _MONEY.process_bind_param(ceiling, None), now, note)
        if stored is None:
            raise Conflict("您更新的一次报价已先到达，以该报价为准", code="superseded")
        quote.seq, quote.revision = stored["seq"], stored["revision"]
        if next_status != project.status:  # direct selection: the quote moves the project to 结果待确认
            await driver.execute("UPDATE projects SET status = $2, closed_at = $3, updated_at = $3 WHERE id = $1",
                                 project_id, next_status, now)
    return quote, project.quantity


@dataclass(slots=True)
class RecordedQuote:
    """A quote as it was just stored (the columns of store.Quote; a plain object: building an ORM instance
    cost a tenth of a quote's CPU)."""

    id: str
    project_id: str
    supplier_id: str
    supplier_name: str
    offering_id: str
    service_id: str
    amount: Decimal
    ceiling_amount: Decimal
    quoted_at: datetime
    seq: int
    revision: int
    note: str
    excluded_reason: str = ""


def _new_quote(project_id: str, supplier_id: str, supplier_name: str, offer: Offer, amount: Decimal,
               ceiling: Decimal, now: datetime, note: str) -> RecordedQuote:
    return RecordedQuote(id=domain.quote_id_for(project_id, supplier_id), project_id=project_id,
                         supplier_id=supplier_id, supplier_name=supplier_name, offering_id=offer.offering_id,
                         service_id=offer.service_id, amount=amount, ceiling_amount=ceiling, quoted_at=now, seq=0,
                         revision=1, note=note)


# --- SQLite: the same steps as SQLAlchemy Core statements ------------------------------------------------------

async def _record(db: Database, user: Principal, project_id: str, amount: Decimal, service_id: str | None,
                  note: str, clock: Clock) -> tuple[RecordedQuote, Decimal]:
    ids = {"project_id": project_id, "supplier_id": user.org_id}
    async with db.transaction() as session:
        invited = (await session.exec(_INVITED, params=ids)).first()
        _check_unlocked(invited, project_id, clock)
        locking = _PROJECT_SHARED if invited.method == Method.SECONDARY else _PROJECT_EXCLUSIVE
        project = (await session.exec(locking, params=ids)).one()
        now = clock()
        context = (await session.exec(_CONTEXT, params={"agreement_id": project.agreement_id,
                                                        "supplier_id": user.org_id})).all()
        supplier_name, offer, ceiling, amount, next_status = _checked(project, now, list(context), amount, service_id)
        quote = _new_quote(project_id, user.org_id, supplier_name, offer, amount, ceiling, now, note)
        quote.seq = (await session.exec(_REVISION, params={
            "quote_id": quote.id, "project_id": project_id, "supplier_id": user.org_id,
            "offering_id": offer.offering_id, "amount": amount, "quoted_at": now})).scalar_one()
        stored = (await session.exec(_UPSERT[db.engine.dialect.name],
                                     params={c.name: getattr(quote, c.name) for c in Q.columns})).first()
        if stored is None:
            raise Conflict("您更新的一次报价已先到达，以该报价为准", code="superseded")
        quote.revision = stored.revision
        if next_status != project.status:  # direct selection: the quote moves the project to 结果待确认
            await session.exec(sa.update(Project.__table__).where(P.id == project_id)
                               .values(status=next_status, closed_at=now, updated_at=now))
    return quote, project.quantity


def _standing_of(rows: list[Any], project: Any) -> tuple[str, list[Offer]]:
    """The supplier's name and offers (rows of _CONTEXT); refused if it is not in good standing under the
    agreement."""
    if rows and rows[0].status == "cleared":
        raise Forbidden(f"您已被清退出该框架协议：{rows[0].status_reason}", code="supplier_cleared")
    if not rows or rows[0].status != "active":
        reason = rows[0].status_reason if rows else "未入围该框架协议"
        raise Forbidden(f"您在该框架协议下的资格已暂停：{reason}", code="supplier_suspended")
    return rows[0].name, _offers(rows, project)


def _offers(rows: list[Any], project: Any) -> list[Offer]:
    return [Offer(r.offering_id, r.service_id, r.service_name, r.unit, r.agreement_price, domain.tiers_of(r.discount_tiers))
            for r in rows if r.service_id is not None
            and domain.serves(project.method, project.category_code, project.service_id, r.service_id, r.category_code)]


async def offers_of(session: AsyncSession, project: Project, supplier_id: str) -> list[Offer]:
    """What a supplier may quote with on this project (shown to the supplier with its ceilings)."""
    rows = (await session.exec(_CONTEXT, params={"agreement_id": project.agreement_id,
                                                 "supplier_id": supplier_id})).all()
    return _offers(rows, project)


def choose_offer(offers: list[Offer], service_id: str | None) -> Offer:
    if not offers:
        raise Forbidden("您没有上架本项目所需的服务", code="service_not_listed")
    if service_id is not None:
        for offer in offers:
            if offer.service_id == service_id:
                return offer
        raise Invalid(f"服务 {service_id} 不是您在本项目可用于报价的上架服务", code="service_not_listed")
    if len(offers) > 1:
        names = "、".join(f"{o.service_id}（{o.service_name}）" for o in offers)
        raise Invalid(f"您在本项目有多个上架服务，请用 service_id 指明以哪一个报价：{names}", code="service_required")
    return offers[0]

