"""Alembic, the same way in every service. Migrations live in the service package
(`<service>/migrations`), so they ship with it; each service's `migrations/env.py` is two lines:

    from servicekit.migrations import run_env
    from plans.store import metadata
    run_env(metadata)

`upgrade()` runs at service start (and in tests). On PostgreSQL an advisory lock makes two replicas
starting together migrate one after the other."""

from __future__ import annotations

import asyncio
import os

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from servicekit.settings import normalize_database_url


def alembic_config(package: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(package: str, url: str, revision: str = "head") -> None:
    """Synchronous (Alembic drives its own event loop); call it in a thread from async code."""
    command.upgrade(alembic_config(package, normalize_database_url(url)), revision)


def run_env(metadata: sa.MetaData) -> None:
    """The body of every service's env.py: online migrations over the async driver."""
    url = context.config.get_main_option("sqlalchemy.url") or os.environ["DATABASE_URL"]
    url = normalize_database_url(url)
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: sa.Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                          compare_type=True)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('alembic_migrations'))"))
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(migrate)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())
