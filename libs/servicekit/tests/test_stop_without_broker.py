"""Stopping a service whose broker died while it held events: it ends within its grace (an orchestrator's
SIGTERM gives 10–15 s before SIGKILL), and the events it could not send stay in its outbox for the next
start. Measured before the bound: plans took 39 s to stop, its producer waiting out its delivery timeout.
A broker of this test's own, killed by it (never a shared one)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from contracts_schema.topics import PLANS
from devstack.broker import EmbeddedBroker
from kit_world import create_tables, metadata, plan_created
from servicekit import app as service_app
from servicekit.app import Service
from servicekit.db import Database
from servicekit.outbox import OutboxRelay, emit
from servicekit.settings import ServiceSettings
from servicekit.testing import temporary_database

pytestmark = pytest.mark.asyncio(loop_scope="session")

BOUND = 1.0  # the test's own BUS_CLOSE_SECONDS


async def test_a_service_whose_broker_died_stops_in_time_and_keeps_its_unsent_events(tmp_path, monkeypatch):
    monkeypatch.setattr(service_app, "BUS_CLOSE_SECONDS", BOUND)
    broker = EmbeddedBroker(log_path=tmp_path / "broker.log").start()
    try:
        async with temporary_database("stop") as url:
            await create_tables(url)
            settings = ServiceSettings(database_url=url, kafka_bootstrap_servers=broker.bootstrap,
                                       outbox_poll_interval=0.2, kafka_session_timeout_ms=6000)
            service = Service(name=f"stop-{uuid.uuid4().hex[:6]}", settings=settings, metadata=metadata,
                              produces=[PLANS])
            await service.start()
            assert service.relay is not None
            handed = asyncio.Event()
            publish = service.relay.publish

            async def noting_publish(messages):  # the relay hands the event to the producer
                handed.set()
                return await publish(messages)

            service.relay.publish = noting_publish
            broker.process.kill()
            broker.process.wait()
            async with service.db.transaction() as session:
                await emit(session, plan_created())
            await asyncio.wait_for(handed.wait(), timeout=10)

            loop = asyncio.get_running_loop()
            began = loop.time()
            await service.stop()
            took = loop.time() - began

            assert took < BOUND + 2.0, f"stopping took {took:.1f} s"
            db = Database(url, metadata=metadata, service="stop")
            try:
                unsent = await OutboxRelay(db, metadata, publish).unsent_count()
            finally:
                await db.dispose()
            assert unsent == 1  # nothing lost: the next start sends it
    finally:
        broker.stop()
