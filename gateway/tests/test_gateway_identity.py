"""Log in, who am I, the key set, tokens checked at the edge, and the per-user rate limits."""

from __future__ import annotations

import json
import time

import jwt
import pytest

from gateway.demo import DEMO_PASSWORD, PURCHASER_A, SUPPLIERS


async def login(client, username: str, password: str = DEMO_PASSWORD):
    return await client.post("/api/v1/auth/token", data={"username": username, "password": password})


async def test_a_demo_account_logs_in_and_the_token_verifies_with_the_published_key_set(gateway):
    response = await login(gateway, "purchaser-a")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 1800

    keys = (await gateway.get("/.well-known/jwks.json")).json()["keys"]
    header = jwt.get_unverified_header(body["access_token"])
    key = next(k for k in keys if k["kid"] == header["kid"])
    claims = jwt.decode(body["access_token"], jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(key)),
                        algorithms=["RS256"], audience="hunan-framework", issuer="hunan-framework-gateway")
    assert (claims["sub"], claims["org"], claims["role"]) == ("purchaser-a", PURCHASER_A.org_id, "purchaser")
    assert claims["org_name"] == PURCHASER_A.name
    assert 0 < claims["exp"] - time.time() <= 1800


async def test_me_names_the_user_the_unit_and_the_role(gateway):
    token = (await login(gateway, "supplier-1")).json()["access_token"]
    me = await gateway.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json() == {
        "username": "supplier-1", "display_name": SUPPLIERS[0].contact_name, "role": "supplier",
        "role_label": "供应商", "org_id": SUPPLIERS[0].org_id, "org_name": SUPPLIERS[0].name,
        "org_kind": "supplier", "org_kind_label": "供应商", "org_address": SUPPLIERS[0].address,
        "org_contact_name": SUPPLIERS[0].contact_name, "org_contact_phone": SUPPLIERS[0].contact_phone}


@pytest.mark.parametrize("username, password", [("purchaser-a", "wrong-password"), ("nobody", DEMO_PASSWORD)])
async def test_a_wrong_password_or_unknown_user_is_the_same_401(gateway, username, password):
    response = await login(gateway, username, password)
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "invalid_credentials", "message": "用户名或密码错误"}}
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_login_form_without_a_password_is_a_422(gateway):
    response = await gateway.post("/api/v1/auth/token", data={"username": "purchaser-a"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_me_without_a_token_is_a_401(gateway):
    response = await gateway.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_an_expired_token_is_refused_at_the_edge_before_any_service(gateway, stubs, tokens):
    expired = tokens.token("purchaser-a", PURCHASER_A.org_id, "purchaser", ttl=-10)
    before = len(stubs["plans"].seen)
    response = await gateway.get("/api/v1/plans", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "token_expired", "message": "登录已过期，请重新登录"}
    assert len(stubs["plans"].seen) == before


async def test_logging_in_with_an_old_token_still_attached_works(gateway, tokens):
    expired = tokens.token("purchaser-a", PURCHASER_A.org_id, "purchaser", ttl=-10)
    response = await gateway.post("/api/v1/auth/token", data={"username": "purchaser-a", "password": DEMO_PASSWORD},
                                  headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 200, response.text


async def test_a_forged_token_is_refused_at_the_edge(gateway, stubs):
    from servicekit.testing import TokenFactory

    forged = TokenFactory.generate().token("purchaser-a", PURCHASER_A.org_id, "purchaser")
    before = len(stubs["orders"].seen)
    for token in (forged, "not-a-jwt"):
        response = await gateway.get("/api/v1/orders", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_token"
    assert len(stubs["orders"].seen) == before


async def test_over_the_per_user_limit_is_a_429_with_retry_after(make_gateway, tokens):
    async with make_gateway(rate_limit_per_second=0.2, rate_limit_burst=3) as gw:
        a = tokens.headers("purchaser-a", PURCHASER_A.org_id, "purchaser")
        b = tokens.headers("purchaser-b", "11430000006100022B", "purchaser")
        answers = [(await gw.get("/api/v1/plans", headers=a)).status_code for _ in range(3)]
        refused = await gw.get("/api/v1/plans", headers=a)
        other_user = await gw.get("/api/v1/plans", headers=b)
        own_route = await gw.get("/api/v1/me", headers=a)
    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= 5  # one request every 5 s; less once time has passed since the burst
    assert refused.json() == {"error": {"code": "rate_limited",
                                        "message": f"请求过于频繁，请 {wait} 秒后再试"}}
    assert refused.headers["x-request-id"]
    assert other_user.status_code == 200  # each user has a budget of their own
    assert own_route.status_code == 429  # the gateway's own routes count too


async def test_without_a_token_the_limit_is_per_client_address(make_gateway):
    async with make_gateway(rate_limit_anonymous_per_second=0.5, rate_limit_anonymous_burst=2) as gw:
        answers = [(await gw.get("/api/v1/announcements")).status_code for _ in range(3)]
        health = await gw.get("/healthz")
    assert answers == [200, 200, 429]
    assert health.status_code == 200  # health checks are never limited
    async with make_gateway(client_ip="10.99.0.1", rate_limit_anonymous_per_second=0.5,
                            rate_limit_anonymous_burst=2) as other_address:
        assert (await other_address.get("/api/v1/announcements")).status_code == 200


async def test_replicas_share_the_limit_through_redis(make_gateway, tokens, redis_url, redis_prefix):
    limits = {"rate_limit_per_second": 0.1, "rate_limit_burst": 4, "rate_limit_redis_url": redis_url,
              "rate_limit_redis_prefix": redis_prefix}
    a = tokens.headers("supplier-2", SUPPLIERS[1].org_id, "supplier")
    async with make_gateway(**limits) as replica_1, make_gateway(**limits) as replica_2:
        answers = []
        for i in range(6):
            replica = replica_1 if i % 2 == 0 else replica_2
            answers.append((await replica.get("/api/v1/catalog/services", headers=a)).status_code)
        await replica_1.service.app.state.limiter.redis.call("DEL", redis_prefix + "user:supplier-2")
    assert answers == [200, 200, 200, 200, 429, 429]


async def test_log_in_attempts_are_limited_per_account_and_address(make_gateway):
    async with make_gateway(login_attempts_per_minute=1, login_attempts_burst=3) as gw:
        answers = [(await login(gw, "supplier-3", "guess")).status_code for _ in range(3)]
        refused = await login(gw, "supplier-3", DEMO_PASSWORD)
        other_account = await login(gw, "supplier-4", DEMO_PASSWORD)
    assert answers == [401, 401, 401]
    assert refused.status_code == 429  # even the right password waits: the limit comes before the check
    assert 1 <= int(refused.headers["retry-after"]) <= 60  # one attempt a minute
    assert refused.json()["error"]["code"] == "rate_limited"
    assert other_account.status_code == 200
