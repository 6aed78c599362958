"""The agreement clock: a background task that starts agreements on their first day and ends them
after their last (Asia/Shanghai calendar days). An ended agreement is no longer offered, and
AgreementExpired is published once: the status changes in the same transaction as the event, and on
PostgreSQL two replicas skip each other's locked rows."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import or_, select

from catalog import domain
from catalog.store import Agreement, refresh_services, services_of_agreement
from contracts_schema.events.catalog import AgreementExpired
from contracts_schema.types import utcnow
from servicekit.app import Service
from servicekit.db import Database
from servicekit.logging import log_context
from servicekit.outbox import emit
from servicekit.tasks import periodic

log = logging.getLogger("catalog.clock")


async def tick(db: Database, now: datetime) -> dict[str, str]:
    """Moves every agreement whose day has come; returns {agreement_id: new status}."""
    today = domain.today_in_shanghai(now)
    moved: dict[str, str] = {}
    async with db.transaction() as session:
        due = (await session.exec(
            select(Agreement).where(or_(
                (Agreement.status == "scheduled") & (Agreement.valid_from <= today),
                (Agreement.status != "expired") & (Agreement.valid_to < today),
            )).with_for_update(skip_locked=True).execution_options(populate_existing=True))).all()
        for agreement in due:
            status = domain.agreement_status(agreement.valid_from, agreement.valid_to, today)
            if status == agreement.status:
                continue
            with log_context(agreement_id=agreement.id):
                agreement.status = status
                if status == "expired":
                    agreement.expired_at = now
                    await emit(session, AgreementExpired(agreement_id=agreement.id, valid_to=agreement.valid_to,
                                                         expired_at=now))
                    log.info("agreement %s expired after %s", agreement.agreement_no, agreement.valid_to)
                else:
                    log.info("agreement %s is in force from %s", agreement.agreement_no, agreement.valid_from)
                session.add(agreement)
                moved[agreement.id] = status
        if moved:
            await session.flush()
            for agreement_id in moved:
                await refresh_services(session, await services_of_agreement(session, agreement_id), today)
    return moved


async def agreement_clock(service: Service) -> None:
    """Ticks at start, then every CLOCK_INTERVAL seconds; a failed tick is logged and retried
    (servicekit.tasks.periodic)."""
    await periodic(lambda: tick(service.db, utcnow()), every=service.settings.clock_interval,
                   name="agreement clock tick", log=log)
