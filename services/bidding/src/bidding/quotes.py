"""Quotes (报价): the one path that carries load (a whole market quoting in a window's last minute), so
it is written in plain SQL statements built once — one transaction of six statements a quote —
rather than through the ORM. The rules are the same ones (domain.py); only the plumbing is leaner.

Sealed: a quote is stored, never shown to anyone but its supplier until the close. A supplier may
revise its quote within the window; its latest counts, with its time. Every revision is kept
(quote_revisions), and its id orders arrivals on the server (the tie-break of identical times)."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from bidding import domain
from bidding.domain import Clock, Command, Method, Offer
from bidding.store import Invitation, OfferingRef, Project, Quote, QuoteRevision, ServiceRef, SupplierRef
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import Conflict, Forbidden, Invalid

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
                       note: str, clock: Clock) -> tuple[Quote, Decimal]:
    """A supplier quotes or revises its quote, in one transaction. Returns the quote as stored and the
    project's quantity. Raises OpensFirst when the window must be opened first (workflow.submit_quote)."""
    ids = {"project_id": project_id, "supplier_id": user.org_id}
    async with db.transaction() as session:
        invited = (await session.exec(_INVITED, params=ids)).first()
        if invited is None:
            raise domain.no_such_project(project_id)
        # A late quote is refused before the row lock is taken (the timer's close must not find it held).
        domain.check_quote_time(clock(), invited.starts_at, invited.ends_at)
        if domain.due_action(invited.method, invited.status, invited.funds, invited.starts_at, invited.ends_at,
                             clock()) == domain.Due.OPEN:
            raise OpensFirst
        locking = _PROJECT_SHARED if invited.method == Method.SECONDARY else _PROJECT_EXCLUSIVE
        project = (await session.exec(locking, params=ids)).one()
        now = clock()
        domain.check_quote_time(now, project.starts_at, project.ends_at)
        next_status = domain.next_status(project.method, project.status, Command.QUOTE)
        supplier_name, offers = await _standing(session, project, user.org_id)
        offer = choose_offer(offers, service_id)
        ceiling = domain.ceiling(offer, project)
        amount = domain.check_quote_amount(amount, ceiling)
        quote = Quote(id=domain.quote_id_for(project_id, user.org_id), project_id=project_id, supplier_id=user.org_id,
                      supplier_name=supplier_name, offering_id=offer.offering_id, service_id=offer.service_id,
                      amount=amount, ceiling_amount=ceiling, quoted_at=now, seq=0, revision=1, note=note,
                      excluded_reason="")
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
    log.info("quote recorded", extra={"supplier_id": user.org_id, "revision": quote.revision})
    return quote, project.quantity


async def _standing(session: AsyncSession, project: Any, supplier_id: str) -> tuple[str, list[Offer]]:
    """The supplier's name and offers; refused if it is not in good standing under the agreement."""
    rows = (await session.exec(_CONTEXT, params={"agreement_id": project.agreement_id,
                                                 "supplier_id": supplier_id})).all()
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

