"""The gateway as a real process in front of the real services: log in, who am I, tokens refused at the
edge, request ids in the logs, one OpenAPI document, a service down answering a JSON 502 that names it,
and per-user rate limits shared by two gateway replicas through Redis."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import jwt

from devstack.broker import free_port
from gateway.demo import DEMO_PASSWORD, PURCHASER_A
from platform_client import wait_for

REDIS_URL = "redis://127.0.0.1:6379/0"


def login(client: httpx.Client, username: str, password: str = DEMO_PASSWORD) -> httpx.Response:
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_log_in_and_who_am_i(anonymous):
    response = login(anonymous, "purchaser-a")
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["org_id"], me.json()["org_name"], me.json()["role_label"]) == \
        ("purchaser-a", PURCHASER_A.org_id, PURCHASER_A.name, "采购人")


def test_a_wrong_password_is_a_401(anonymous):
    response = login(anonymous, "purchaser-a", "not-the-password")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_an_expired_token_is_a_401(stack, anonymous):
    now = int(time.time())
    expired = jwt.encode({"sub": "purchaser-a", "uid": "purchaser-a", "org": PURCHASER_A.org_id, "role": "purchaser",
                          "iss": "hunan-framework-gateway", "aud": "hunan-framework", "iat": now - 3600,
                          "exp": now - 60}, stack.private_key.read_text(), algorithm="RS256")
    response = anonymous.get("/api/v1/plans", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


def test_the_request_id_reaches_the_service_and_every_log_line(stack, as_user):
    purchaser = as_user("purchaser-a")
    request_id = f"stack-test-{uuid.uuid4().hex}"
    response = purchaser.get("/api/v1/plans", headers={"X-Request-ID": request_id})
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == request_id
    wait_for(lambda: request_id in stack.log_path("gateway").read_text(errors="replace"),
             what="the gateway's access line")
    line = next(text for text in stack.log_path("gateway").read_text().splitlines() if request_id in text)
    assert "GET /api/v1/plans 200" in line and "purchaser-a" in line


def test_announcements_need_no_login(anonymous):
    response = anonymous.get("/api/v1/announcements")
    assert response.status_code == 200, response.text
    # 合同公告 and what an outsider verifies a sealed contract with (README: verifying from outside)
    for path in ("/api/v1/contracts/announcements", "/api/v1/contracts/ca-certificate", "/api/v1/contracts/ca.crl",
                 "/api/v1/contracts/tsa-certificate", "/announcements?kind=contract"):
        response = anonymous.get(path)
        assert response.status_code == 200, (path, response.text)


def test_docs_show_the_routes_of_every_service(anonymous):
    doc = anonymous.get("/openapi.json").json()
    for path in ("/api/v1/auth/token", "/api/v1/me", "/api/v1/plans", "/api/v1/plans/{plan_id}",
                 "/api/v1/catalog/services", "/api/v1/projects/{project_id}/quotes", "/api/v1/announcements",
                 "/api/v1/orders/{order_id}/acceptance"):
        assert path in doc["paths"], path
    assert doc["x-services"] == dict.fromkeys(("plans", "catalog", "bidding", "contracts", "orders"), "ok")
    assert "/healthz" in doc["paths"]  # the gateway's own; the services' health checks are not public


def test_a_service_that_is_down_is_a_json_502_naming_it(stack, as_user):
    purchaser = as_user("purchaser-a")
    stack.kill("orders", signal.SIGTERM)
    try:
        response = purchaser.get("/api/v1/orders")
        assert response.status_code == 502
        assert response.json()["error"] == {"code": "service_unavailable",
                                             "message": "orders 服务暂时不可用，请稍后重试"}
        assert purchaser.get("/api/v1/plans").status_code == 200  # the rest of the platform carries on
    finally:
        stack.start("orders")
    assert purchaser.get("/api/v1/orders").status_code == 200


@contextmanager
def gateway_replica(stack, name: str, **env: str) -> Iterator[httpx.Client]:
    """One more gateway process in front of the same services and account database."""
    port = free_port()
    log = open(stack.workdir / "logs" / f"{name}.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "gateway"], stdout=log, stderr=subprocess.STDOUT,
                               env=stack.env("gateway", {"PORT": str(port), **env}))
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

    def ready() -> bool:
        assert process.poll() is None, f"{name} exited with {process.returncode}"
        try:
            return client.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, timeout=60, what=f"{name} ready")
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=15)
        log.close()


def test_over_the_limit_is_a_429_with_retry_after_on_every_replica(stack):
    limits = {"RATE_LIMIT_REDIS_URL": REDIS_URL, "RATE_LIMIT_REDIS_PREFIX": f"stack-test:{uuid.uuid4().hex}:",
              "RATE_LIMIT_PER_SECOND": "0.1", "RATE_LIMIT_BURST": "4"}
    with gateway_replica(stack, "gateway-replica-1", **limits) as one, \
            gateway_replica(stack, "gateway-replica-2", **limits) as two:
        token = login(one, "supplier-1").json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        answers = [(one if i % 2 else two).get("/api/v1/catalog/services", headers=headers) for i in range(6)]
    assert [a.status_code for a in answers[:4]] == [200] * 4  # the log-in was anonymous: not counted here
    refused = answers[4:]
    assert [a.status_code for a in refused] == [429, 429]
    assert all(int(a.headers["retry-after"]) >= 1 for a in refused)
    assert refused[0].json()["error"]["code"] == "rate_limited"
