"""Cross-service tests: the real broker, every service and the gateway as real processes, one
database per service (PostgreSQL under TEST_DATABASE_URL, else SQLite), driven through the gateway as
a purchaser, a supplier or the agency would.

    def test_something(stack, as_user):
        purchaser = as_user("purchaser-a")
        plan = purchaser.post("/api/v1/plans", json={...}).json()
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from pathlib import Path

import httpx
import pytest

from devstack.broker import EmbeddedBroker
from devstack.keys import ensure_jwt_keys
from devstack.stack import WITH_DATABASE, LocalStack
from devstack.testing import service_databases
from gateway.demo import DEMO_PASSWORD
from platform_client import Api

NAMES = WITH_DATABASE


@pytest.fixture(scope="session")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    workdir: Path = tmp_path_factory.mktemp("stack")
    private_key, public_key = ensure_jwt_keys(workdir / "keys")
    with service_databases(NAMES, workdir) as urls:
        local = LocalStack(workdir, kafka_bootstrap, urls, public_key, private_key, extra_env={
            "gateway": {"DEMO_ACCOUNTS": "true"},
            # Tests run whole bidding windows: a short minimum window and a quick timer.
            "bidding": {"BIDDING_MIN_DURATION_SECONDS": "2", "BIDDING_TIMER_INTERVAL": "0.1"},
        })
        try:
            local.start_all()
            yield local
        finally:
            local.stop_all()


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """A Tansu of the module's own: its topics hold only that module's records, and the module may kill
    it and start it again (`own_broker.process`, `own_broker.start()`)."""
    running = EmbeddedBroker(log_path=tmp_path_factory.mktemp("tansu") / "broker.log").start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def own_platform(own_broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory,
                 request: pytest.FixtureRequest) -> Iterator[LocalStack]:
    """Every service and the gateway (no console) on `own_broker`, with the demo accounts; a module adds
    environment per process in `OWN_PLATFORM_ENV = {"bidding": {...}}`."""
    workdir: Path = tmp_path_factory.mktemp("own-stack")
    private_key, public_key = ensure_jwt_keys(workdir / "keys")
    extra = getattr(request.module, "OWN_PLATFORM_ENV", {})
    env = {**extra, "gateway": {"DEMO_ACCOUNTS": "true", **extra.get("gateway", {})}}
    with service_databases(WITH_DATABASE, workdir) as urls:
        local = LocalStack(workdir, own_broker.bootstrap, urls, public_key, private_key, names=WITH_DATABASE,
                           extra_env=env)
        try:
            local.start_all(timeout=240)  # a busy machine starts six Python processes slowly
            yield local
        finally:
            local.stop_all()


@pytest.fixture(scope="session")
def as_user(stack: LocalStack) -> Iterator[Callable[[str], Api]]:
    clients: dict[str, Api] = {}

    def login(username: str) -> Api:
        if username not in clients:
            client = Api(base_url=stack.url("gateway"), timeout=30)
            response = client.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.text
            client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
            client.username = username
            clients[username] = client
        return clients[username]

    yield login
    for client in clients.values():
        client.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A real Chromium for the tests of one module (Debian's package; `make test` installs it). Not for the
    whole run: Playwright's sync API keeps an event loop running in this thread while it is started, and the
    tests after the console's call asyncio.run()."""
    from playwright.sync_api import sync_playwright

    from console import chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def console(stack: LocalStack, browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """`console("purchaser-a")`: a person logged in through the login page, in a browser context of their own;
    `console()` nobody logged in; `console("purchaser-a", javascript=False)` with JavaScript off."""
    from console import SCREENS, new_person, slug

    people = []
    folder = SCREENS / slug(request.node.name)
    if folder.exists():
        for old in folder.glob("*.png"):
            old.unlink()

    def open_console(username: str | None = None, *, javascript: bool = True) -> Any:
        person = new_person(browser, stack.url("gateway"), folder, javascript=javascript)
        people.append(person)
        if username:
            person.login(username)
        return person

    yield open_console
    for person in people:
        person.context.close()


@pytest.fixture(scope="session")
def anonymous(stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        yield client
