"""The gateway's own routes: log in, who am I, the token key set."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import select

from gateway.domain import login_keys
from gateway.identity import check_password
from gateway.store import Org, User
from servicekit.app import DB
from servicekit.auth import CurrentUser
from servicekit.errors import Unauthorized, error_body
from servicekit.openapi import errors
from servicekit.types import line

router = APIRouter()

ROLE_LABELS = {"purchaser": "采购人", "supplier": "供应商", "agency": "征集人"}
ORG_KIND_LABELS = {"purchaser": "采购单位", "supplier": "供应商", "agency": "征集人"}


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    role_label: str
    org_id: str
    org_name: str
    org_kind: str
    org_kind_label: str
    org_address: str
    org_contact_name: str
    org_contact_phone: str


async def _login_allowed(request: Request, username: str) -> JSONResponse | None:
    """Counts the attempt; answers the 429 when this account or this address tries too often."""
    limiter, limits = request.app.state.limiter, request.app.state.login_limits
    if limiter is None:
        return None
    client = request.client.host if request.client else None
    for key, limit in zip(login_keys(username=username, client_ip=client), limits, strict=True):
        decision = await limiter.hit(key, limit)
        if not decision.allowed:
            wait = decision.retry_after_seconds
            return JSONResponse(error_body("rate_limited", f"登录尝试过于频繁，请 {wait} 秒后再试"),
                                status_code=429, headers={"Retry-After": str(wait)})
    return None


@router.post("/api/v1/auth/token", response_model=TokenResponse, tags=["auth 登录"],
             summary="Log in (OAuth2 password form): a short-lived bearer token",
             responses=errors(401, 429, codes={401: ["invalid_credentials"]}))
async def login(request: Request, db: DB, username: Annotated[line(80), Form()],
                password: Annotated[str, Form(min_length=1, max_length=200)]):
    if (refused := await _login_allowed(request, username)) is not None:
        return refused
    async with db.read() as session:
        row = (await session.exec(select(User, Org).join(Org).where(User.username == username))).first()
    user, org = row if row else (None, None)
    # argon2 takes tens of milliseconds of CPU: off the event loop, so a log-in never stalls the requests
    # passing through. An unknown user is checked against a dummy hash: both answers take as long.
    ok = await asyncio.to_thread(check_password, user.password_hash if user else None, password)
    if not ok or user is None or org is None or not user.active:
        raise Unauthorized("用户名或密码错误", code="invalid_credentials")
    token, ttl = request.app.state.issuer.issue(username=user.username, org_id=org.org_id, org_name=org.name,
                                                role=user.role)
    return TokenResponse(access_token=token, expires_in=ttl)


@router.get("/api/v1/me", response_model=Me, tags=["auth 登录"], summary="Who the token belongs to")
async def me(principal: CurrentUser, db: DB) -> Me:
    async with db.read() as session:
        row = (await session.exec(select(User, Org).join(Org).where(User.username == principal.username))).first()
    if row is None or not row[0].active:
        raise Unauthorized("此令牌对应的账号已不存在或已停用，请重新登录")
    user, org = row
    return Me(username=user.username, display_name=user.display_name, role=user.role,
              role_label=ROLE_LABELS.get(user.role, user.role), org_id=org.org_id, org_name=org.name,
              org_kind=org.kind, org_kind_label=ORG_KIND_LABELS.get(org.kind, org.kind), org_address=org.address,
              org_contact_name=org.contact_name, org_contact_phone=org.contact_phone)


@router.get("/.well-known/jwks.json", tags=["auth 登录"], summary="Public key set that verifies the tokens")
async def jwks(request: Request) -> dict:
    return {"keys": [request.app.state.issuer.jwk]}
