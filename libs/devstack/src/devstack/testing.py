"""What the tests and benchmarks start: a broker and one database per service, chosen as DESIGN §6
says.

Broker: KAFKA_BOOTSTRAP_SERVERS if set; an Apache Kafka container (testcontainers) if TEST_KAFKA=docker
and a Docker engine answers; else the embedded Tansu broker on a free port.
Databases: one PostgreSQL database per service under TEST_DATABASE_URL if set (dropped afterwards),
else SQLite files in the test's folder."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.broker import EmbeddedBroker

log = logging.getLogger("devstack.testing")


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:  # noqa: BLE001
        return False


@contextmanager
def broker_for_tests(workdir: Path) -> Iterator[str]:
    """Yields a bootstrap address."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        return
    if os.environ.get("TEST_KAFKA") == "docker":
        if not _docker_available():
            raise RuntimeError("TEST_KAFKA=docker, but no Docker engine answers; unset it to use the embedded broker")
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
        return
    broker = EmbeddedBroker(log_path=workdir / "broker.log").start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@contextmanager
def service_databases(names: tuple[str, ...] | list[str], workdir: Path) -> Iterator[dict[str, str]]:
    """One database per service: {name: url}."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield {name: f"sqlite:///{workdir / (name + '.db')}" for name in names}
        return
    from servicekit.testing import create_postgres_database, drop_postgres_database

    run = uuid.uuid4().hex[:8]
    db_names = {name: f"stack_{run}_{name}" for name in names}

    async def create() -> dict[str, str]:
        return {name: await create_postgres_database(base, db) for name, db in db_names.items()}

    async def drop() -> None:
        for db in db_names.values():
            await drop_postgres_database(base, db)

    urls = asyncio.run(create())
    try:
        yield urls
    finally:
        asyncio.run(drop())
