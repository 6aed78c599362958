"""The broker lost everything (the embedded Tansu killed and started again on the same port, memory
storage) under two running services: an event committed while it was away reaches the consumer, the
one published before it is not applied twice, readiness says what is wrong meanwhile and is whole
again after."""

from __future__ import annotations

import signal
import uuid

import pytest
from sqlmodel import func, select

from devstack.broker import EmbeddedBroker
from kit_world import Effect, create_tables, plan_created
from servicekit.app import Service
from servicekit.outbox import emit
from servicekit.testing import eventually, temporary_database
from test_bus_real_broker import consumer_handlers, make_service

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def effects(service: Service, plan_id: str) -> int:
    async with service.db.read() as session:
        return (await session.exec(select(func.count()).select_from(Effect).where(Effect.plan_id == plan_id))).one()


async def problems(service: Service) -> dict[str, str]:
    return {name: problem for name, problem in (await service.readiness()).items() if problem}


async def created(service: Service, plan_id: str) -> None:
    async with service.db.transaction() as session:
        await emit(session, plan_created(plan_id))


async def test_a_broker_restarted_empty_is_rebuilt_from_the_outbox(tmp_path):
    broker = EmbeddedBroker(log_path=tmp_path / "broker.log").start()
    suffix = uuid.uuid4().hex[:6]
    try:
        async with temporary_database("alpha") as alpha_url, temporary_database("beta") as beta_url:
            await create_tables(alpha_url)
            await create_tables(beta_url)
            alpha = make_service(f"alpha-{suffix}", alpha_url, broker.bootstrap)
            beta = make_service(f"beta-{suffix}", beta_url, broker.bootstrap, consumer_handlers())
            await alpha.start()
            await beta.start()
            try:
                await created(alpha, "PL-BEFORE")
                await eventually(lambda: effects(beta, "PL-BEFORE"), timeout=30)
                await eventually(lambda: _empty(problems(beta)), timeout=30)

                broker.process.send_signal(signal.SIGKILL)
                broker.process.wait(timeout=10)
                away = await eventually(lambda: problems(alpha), timeout=30)
                assert "relay" in away and "消息代理" in away["relay"], away
                await created(alpha, "PL-DURING")

                broker.start()  # the same port, nothing in it
                await eventually(lambda: effects(beta, "PL-DURING"), timeout=60)
                await eventually(lambda: _empty(problems(alpha)), timeout=30)
                await eventually(lambda: _empty(problems(beta)), timeout=30)
                assert await effects(beta, "PL-BEFORE") == 1  # replayed, not applied again
                assert alpha.watch.recoveries >= 2  # the first start on an empty broker, then the restart
                assert beta.bus.consumer().assignment()
            finally:
                await alpha.stop()
                await beta.stop()
    finally:
        broker.stop()


async def _empty(pending) -> bool:
    return not await pending
