"""`python -m <service>`: read the config, check the database and the broker, migrate, serve.

Bad config fails fast with one line on stderr naming what is wrong and which setting to fix, then
exit code 2 (invalid setting) or 1 (something unreachable); never a traceback wall."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from collections.abc import Callable
from typing import NoReturn

import uvicorn
from pydantic import ValidationError
from pydantic_settings import SettingsError
from sqlalchemy.engine import make_url

from servicekit.app import Service
from servicekit.bus import BrokerUnreachable, describe, ensure_topics
from servicekit.db import Database
from servicekit.logging import configure_logging
from servicekit.migrations import upgrade
from servicekit.server import JoinedHttpToolsProtocol
from servicekit.settings import ServiceSettings


def die(service: str, message: str, code: int = 1) -> NoReturn:
    """One line on stderr, then exit at once: nothing has started that needs stopping, and a driver's
    worker thread still winding down must not print its own traceback after our line."""
    print(f"{service}: cannot start: {message}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(code)


def safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "<unparseable>"


def config_error_line(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        name = "_".join(str(p) for p in err["loc"]).upper() or "settings"
        parts.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
    return "invalid configuration: " + "; ".join(parts)


async def wait_for_database(url: str, timeout: float) -> None:
    db = Database(url)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while True:
            try:
                await asyncio.wait_for(db.ping(), timeout=max(0.5, deadline - loop.time()))
                return
            except Exception:
                if db.is_sqlite or loop.time() >= deadline:  # a file that cannot be opened will not appear
                    raise
                await asyncio.sleep(0.5)
    finally:
        await db.dispose()


async def database_or_die(name: str, url: str, timeout: float) -> None:
    """Die inside the running loop: once asyncio.run() has closed it, aiosqlite's worker thread, still
    posting its last result, would print "Event loop is closed" after our one line."""
    try:
        await wait_for_database(url, timeout)
    except Exception as exc:  # noqa: BLE001
        die(name, f"cannot reach the database {safe_url(url)} (DATABASE_URL): {describe(exc)}")


def preflight(service: Service, package: str) -> None:
    settings, name = service.settings, service.name
    asyncio.run(database_or_die(name, settings.database_url, settings.startup_timeout))
    try:
        upgrade(package, settings.database_url)
    except Exception as exc:  # noqa: BLE001
        die(name, f"migrating the database {safe_url(settings.database_url)} failed (DATABASE_URL): {describe(exc)}")
    if service.bus:
        topics = service.bus.topics_needed(service.produces)
        try:
            asyncio.run(ensure_topics(settings.kafka_bootstrap_servers, topics, partitions=settings.kafka_partitions,
                                      timeout=settings.startup_timeout))
        except BrokerUnreachable as exc:
            die(name, f"cannot reach the Kafka broker at {settings.kafka_bootstrap_servers} "
                      f"(KAFKA_BOOTSTRAP_SERVERS) within {settings.startup_timeout:g}s: {exc}")


# The cyclic garbage collector's first-generation threshold while serving (Python's default: 700).
GC_THRESHOLD = 10_000


def settle_heap() -> None:
    """Before serving: what the imports and the start-up built (FastAPI, pydantic, SQLAlchemy: some 160,000
    objects) is moved out of the collector's sight (gc.freeze), and the collector runs after 10,000 net new
    objects instead of 700. Measured in the gateway under load (issue 14): the collector took a fifth of
    its CPU, mostly full collections walking the start-up objects again and again, and first-generation
    collections every few requests (fifty requests in flight hold thousands of objects)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


def run(*, name: str, package: str, settings_cls: type[ServiceSettings],
        build: Callable[[ServiceSettings], Service]) -> NoReturn:
    try:
        settings = settings_cls()
    except ValidationError as exc:
        die(name, config_error_line(exc), code=2)
    except SettingsError as exc:  # a *_FILE that cannot be read
        die(name, f"invalid configuration: {exc}", code=2)
    configure_logging(name, level=settings.log_level, fmt=settings.log_format)
    service = build(settings)
    preflight(service, package)
    # Behind a proxy it trusts (the gateway's FORWARDED_ALLOW_IPS: the console, a load balancer), the caller's
    # address is the one X-Forwarded-For names: rate limits and log-in limits count people, not proxies.
    allow = getattr(settings, "forwarded_allow_ips", None)
    settle_heap()
    uvicorn.run(service.app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                http=JoinedHttpToolsProtocol, lifespan="on", timeout_graceful_shutdown=10, proxy_headers=bool(allow),
                forwarded_allow_ips=allow)
    raise SystemExit(0)
