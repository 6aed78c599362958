"""The gateway's own routes: log in, who am I, the token key set."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel
from sqlmodel import select

from gateway.identity import check_password
from gateway.store import Org, User
from servicekit.app import DB
from servicekit.auth import CurrentUser
from servicekit.errors import Unauthorized

router = APIRouter()


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    org_id: str
    org_name: str
    org_kind: str
    org_address: str


@router.post("/api/v1/auth/token", response_model=TokenResponse, tags=["auth"],
             summary="Log in (OAuth2 password form): a short-lived bearer token")
async def login(request: Request, db: DB, username: Annotated[str, Form(max_length=80)],
                password: Annotated[str, Form(max_length=200)]) -> TokenResponse:
    async with db.read() as session:
        row = (await session.exec(select(User, Org).join(Org).where(User.username == username))).first()
    user, org = row if row else (None, None)
    if not check_password(user.password_hash if user else None, password) or not user or not user.active:
        raise Unauthorized("wrong username or password", code="invalid_credentials")
    token, ttl = request.app.state.issuer.issue(username=user.username, org_id=org.org_id, org_name=org.name,
                                                role=user.role)
    return TokenResponse(access_token=token, expires_in=ttl)


@router.get("/api/v1/me", response_model=Me, tags=["auth"], summary="Who the token belongs to")
async def me(principal: CurrentUser, db: DB) -> Me:
    async with db.read() as session:
        row = (await session.exec(select(User, Org).join(Org).where(User.username == principal.username))).first()
    if row is None:
        raise Unauthorized("the account of this token no longer exists")
    user, org = row
    return Me(username=user.username, display_name=user.display_name, role=user.role, org_id=org.org_id,
              org_name=org.name, org_kind=org.kind, org_address=org.address)


@router.get("/.well-known/jwks.json", tags=["auth"], summary="Public key set that verifies the tokens")
async def jwks(request: Request) -> dict:
    return {"keys": [request.app.state.issuer.jwk]}
