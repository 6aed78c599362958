"""The summary announcement of an agreement's direct-selection awards (直接选定成交结果汇总公告).

The measures announce direct selection not award by award but as a summary of all its awards under an
agreement, within 10 working days after the agreement expires, published by the platform for the
agency. A periodic task (servicekit.tasks.periodic) looks for agreements whose last valid day has passed
(北京时间), that allow direct selection and have no summary yet, and publishes each one's summary at
once — every direct-selection award with purchaser, supplier, service, quantity, amount and date — with
its deadline (announcements.summary_due) recorded and an overdue flag if the platform was late (it was
down past the deadline). Two replicas: the agreement's row is locked and the check made again under it."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bidding import domain
from bidding.announcements import SummaryFacts, SummaryLine, summary_announcement, summary_due
from bidding.ledger import awards_of
from bidding.store import AgreementRef, Announcement
from bidding.workflow import store_announcement
from servicekit.app import Service
from servicekit.db import Database
from servicekit.logging import bind_context
from servicekit.tasks import periodic
from servicekit.workdays import WorkingCalendar

log = logging.getLogger("bidding.summaries")
SUMMARY = "summary"


async def _has_summary(session: AsyncSession, agreement_id: str) -> bool:
    return (await session.exec(select(Announcement.id).where(Announcement.agreement_id == agreement_id,
                                                             Announcement.kind == SUMMARY))).first() is not None


async def due_agreements(db: Database, now: datetime) -> list[str]:
    """The agreements whose summary is to be published now: expired, allowing direct selection, none yet."""
    published = select(Announcement.id).where(Announcement.agreement_id == AgreementRef.agreement_id,
                                              Announcement.kind == SUMMARY)
    async with db.read() as session:
        agreements = (await session.exec(select(AgreementRef).where(
            AgreementRef.valid_to < domain.shanghai_date(now), ~published.exists()))).all()
    return [a.agreement_id for a in agreements if "direct_selection" in a.methods]


async def publish_summary(db: Database, agreement_id: str, now: datetime, calendar: WorkingCalendar) -> Announcement | None:
    """Publishes the agreement's summary (None: another replica did, or it is not due)."""
    bind_context(agreement_id=agreement_id)
    async with db.transaction() as session:
        agreement = await session.get(AgreementRef, agreement_id, with_for_update=True, populate_existing=True)
        if agreement is None or agreement.valid_to >= domain.shanghai_date(now) or \
                await _has_summary(session, agreement_id):
            return None
        awards = [a for a in await awards_of(session, agreement_id) if a.method == "direct_selection"]
        awards.sort(key=lambda a: (a.awarded_at, a.project_no))
        rendered = summary_announcement(SummaryFacts(
            agreement_no=agreement.agreement_no, agreement_name=agreement.name, agency_name=agreement.agency_name,
            valid_from=agreement.valid_from, valid_to=agreement.valid_to, published_at=now,
            lines=[SummaryLine(project_no=a.project_no, purchaser_name=a.purchaser_name,
                               supplier_name=a.supplier_name, service_name=a.service_name, quantity=a.quantity,
                               unit=a.unit, amount=a.amount, awarded_at=a.awarded_at) for a in awards]))
        due_at = summary_due(agreement.valid_to, calendar)
        announcement = await store_announcement(
            session, rendered, now, subject=agreement.agreement_id, project_no="", name=agreement.name,
            org_id=agreement.agency_org_id, org_name=agreement.agency_name, agreement_id=agreement.agreement_id,
            due_at=due_at, calendar=calendar)
    log.info("direct-selection summary published", extra={"awards": len(awards), "due_at": str(due_at)})
    return announcement


async def publish_due(db: Database, now: datetime, calendar: WorkingCalendar) -> int:
    """One tick: publishes every summary that is due; how many were published."""
    published = 0
    for agreement_id in await due_agreements(db, now):
        published += await publish_summary(db, agreement_id, now, calendar) is not None
    return published


async def run_summaries(service: Service) -> None:
    """Background task: looks for due summaries every SUMMARY_CHECK_INTERVAL seconds until cancelled."""
    state = service.app.state
    await periodic(lambda: publish_due(service.db, state.clock(), state.calendar),
                   every=service.settings.summary_check_interval, name="direct-selection summary tick", log=log)
