"""Bidding's read models of catalog and plans, learned from their events: snapshots replace, newer
facts win, events about things bidding does not know change nothing, and redeliveries have one effect."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from bidding.store import AgreementRef, OfferingRef, PlanLineRef, PlanRef, SupplierRef
from contracts_schema.events.catalog import AgreementExpired, ServiceDelisted, SupplierReinstated
from contracts_schema.events.plans import PlanUpdated


async def row(world, table, *key):
    async with world.service.db.read() as session:
        return await session.get(table, key if len(key) > 1 else key[0])


async def count(world, table) -> int:
    async with world.service.db.read() as session:
        return (await session.exec(sa.select(sa.func.count()).select_from(table))).one()[0]


async def test_an_agreement_snapshot_replaces_the_previous_one_and_an_older_one_is_ignored(world, fx):
    assert await count(world, SupplierRef) == 4
    newer = fx.agreement_published(suppliers=2, published_at=fx.T0 + timedelta(days=1))
    await world.feed(newer)
    assert await count(world, SupplierRef) == 2
    assert (await row(world, OfferingRef, f"OF-{fx.AGREEMENT}-3")) is None
    await world.feed(fx.agreement_published(suppliers=5))  # published before the one bidding has
    assert await count(world, SupplierRef) == 2


async def test_listing_suspension_reinstatement_and_expiry(world, fx):
    await world.feed(fx.delisted(2))
    assert (await row(world, OfferingRef, f"OF-{fx.AGREEMENT}-2")).listed is False
    await world.feed(fx.listed(2, "27000.00"))
    offering = await row(world, OfferingRef, f"OF-{fx.AGREEMENT}-2")
    assert offering.listed and offering.agreement_price == offering.price == 27000
    await world.feed(fx.suspended(3))
    supplier = await row(world, SupplierRef, fx.AGREEMENT, fx.supplier_id(3))
    assert (supplier.status, supplier.status_reason) == ("suspended", "严重违约")
    await world.feed(fx.reinstated(3))
    assert (await row(world, SupplierRef, fx.AGREEMENT, fx.supplier_id(3))).status == "active"
    await world.feed(AgreementExpired(agreement_id=fx.AGREEMENT, valid_to=fx.T0.date(), expired_at=fx.T0))
    assert (await row(world, AgreementRef, fx.AGREEMENT)).expired


async def test_events_about_unknown_things_change_nothing(world, fx):
    before = await count(world, OfferingRef)
    await world.feed(ServiceDelisted(agreement_id=fx.AGREEMENT, offering_id="OF-NONE", service_id="SV-PROPERTY",
                                     supplier_id=fx.supplier_id(1), delisted_at=fx.T0),
                     SupplierReinstated(agreement_id="AG-NONE", supplier_id="X", supplier_name="X", reinstated_at=fx.T0),
                     AgreementExpired(agreement_id="AG-NONE", valid_to=fx.T0.date(), expired_at=fx.T0))
    assert await count(world, OfferingRef) == before
    # A listing under an agreement bidding has not seen yet is kept for when it arrives.
    await world.feed(fx.listed(1, "100.00", agreement_id="AG-LATER"))
    assert (await row(world, OfferingRef, "OF-AG-LATER-1")).listed
    await world.feed(fx.funds_reserved({"id": "PJ-NONE", "plan_id": fx.PLAN, "plan_line_id": fx.LINE,
                                        "ceiling_amount": "1.00"}))
    assert await world.events() == []


async def test_a_plan_revision_replaces_its_lines_and_an_older_revision_is_ignored(world, fx):
    created = fx.plan_created()
    updated = PlanUpdated(**{**created.model_dump(exclude={"created_at"}), "revision": 3, "filing_no": "HNCZ-2026-00999",
                             "updated_at": fx.T0, "lines": [created.lines[0].model_copy(update={"quantity": Decimal(6)})]})
    await world.feed(updated)
    assert (await row(world, PlanRef, fx.PLAN)).filing_no == "HNCZ-2026-00999"
    assert (await row(world, PlanLineRef, fx.LINE)).quantity == 6
    await world.feed(PlanUpdated(**{**updated.model_dump(), "revision": 2, "filing_no": "OLD"}))
    assert (await row(world, PlanRef, fx.PLAN)).filing_no == "HNCZ-2026-00999"


async def test_a_redelivered_catalog_event_has_one_effect(world, fx):
    from contracts_schema.envelope import Envelope

    event = fx.suspended(2)
    envelope = Envelope(type=event.ce_type(), source="/test", subject=event.aggregate_id, sequence=9)
    assert (await world.service.dispatch(event, envelope)).status == "handled"
    await world.feed(fx.reinstated(2))
    assert (await world.service.dispatch(event, envelope)).status == "duplicate"
    assert (await row(world, SupplierRef, fx.AGREEMENT, fx.supplier_id(2))).status == "active"
