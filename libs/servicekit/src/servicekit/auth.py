"""JWT verification. The gateway signs short-lived tokens (RS256) carrying the user, the unit (org)
and the role; every service verifies them with the gateway's public key and never calls it.

    @router.get("/plans")
    async def my_plans(user: CurrentUser): ...            # any logged-in user
    async def create(user: Annotated[Principal, Depends(require_role("purchaser"))]): ...
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

import jwt
from fastapi import Depends, Request

from servicekit.errors import Forbidden, NotFound, Unauthorized
from servicekit.logging import bind_context

D = TypeVar("D")

Role = Literal["purchaser", "supplier", "agency"]
ROLES: tuple[str, ...] = ("purchaser", "supplier", "agency")
ROLE_NAMES = {"purchaser": "采购人", "supplier": "供应商", "agency": "征集人"}


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    org_id: str
    org_name: str
    role: str

    def is_(self, role: str) -> bool:
        return self.role == role

    def is_party(self, *, purchaser_org_id: str, supplier_id: str) -> bool:
        """The purchaser unit or the supplier of a deal (a contract, an order): the only ones who see it."""
        return ((self.role == "purchaser" and purchaser_org_id == self.org_id)
                or (self.role == "supplier" and supplier_id == self.org_id))

    def party_to(self, deal: D | None, missing: str) -> D:
        """The deal (a row with purchaser_org_id and supplier_id) if this user is one of its parties;
        else NotFound(`missing`): its existence is not confirmed to anyone else."""
        if deal is None or not self.is_party(purchaser_org_id=deal.purchaser_org_id, supplier_id=deal.supplier_id):
            raise NotFound(missing)
        return deal

    def party_filter(self, purchaser_org_id: Any, supplier_id: Any) -> Any:
        """`is_party` as a query condition on a deal table's two columns; None: party to no deal."""
        if self.role == "purchaser":
            return purchaser_org_id == self.org_id
        if self.role == "supplier":
            return supplier_id == self.org_id
        return None


class TokenVerifier:
    """Checks the gateway's RS256 tokens. A token once verified is remembered until it expires: a person's
    next requests skip PyJWT (≈ 0.5 ms of CPU a request, most of it its pure-Python base64url check —
    bench/service_cpu.py). Only a token that verified is remembered, keyed by the token itself; expiry is
    still checked on every use."""

    CACHE_SIZE = 20_000  # people signed in at once on one process; the oldest is forgotten first

    def __init__(self, public_key_pem: str | None, *, issuer: str, audience: str) -> None:
        self.public_key = public_key_pem
        self.issuer = issuer
        self.audience = audience
        self._verified: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None:
            expires, principal = remembered
            if time.time() < expires:
                return principal
            del self._verified[token]
        principal, expires = self._decode(token)
        self._verified[token] = (expires, principal)
        if len(self._verified) > self.CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    def _decode(self, token: str) -> tuple[Principal, float]:
        if not self.public_key:
            raise Unauthorized("本服务未配置令牌公钥（JWT_PUBLIC_KEY_FILE），无法验证登录")
        try:
            claims = jwt.decode(token, self.public_key, algorithms=["RS256"], issuer=self.issuer,
                                audience=self.audience, options={"require": ["exp", "sub", "org", "role"]})
        except jwt.ExpiredSignatureError:
            raise Unauthorized("登录已过期，请重新登录", code="token_expired") from None
        except jwt.InvalidTokenError as bad:
            raise Unauthorized("登录令牌无效，请重新登录", code="invalid_token") from bad
        if claims["role"] not in ROLES:
            raise Unauthorized("登录令牌中的角色无法识别，请重新登录", code="invalid_token")
        return Principal(user_id=str(claims.get("uid", claims["sub"])), username=claims["sub"], org_id=claims["org"],
                         org_name=claims.get("org_name", ""), role=claims["role"]), float(claims["exp"])


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def current_principal(request: Request) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("请先登录（请求头 Authorization: Bearer <令牌>）")
    principal = request.app.state.verifier.verify(token)
    bind_context(user=principal.username, org_id=principal.org_id)
    return principal


async def optional_principal(request: Request) -> Principal | None:
    return await current_principal(request) if bearer_token(request) else None


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: str):
    async def dependency(principal: CurrentUser) -> Principal:
        if principal.role not in roles:
            allowed = "或".join(ROLE_NAMES.get(r, r) for r in roles)
            raise Forbidden(f"只有{allowed}可以这样做；您登录的身份是{ROLE_NAMES.get(principal.role, principal.role)}")
        return principal
    dependency.roles = roles  # type: ignore[attr-defined]  # servicekit.openapi documents its 403
    return dependency


Purchaser = Annotated[Principal, Depends(require_role("purchaser"))]
Supplier = Annotated[Principal, Depends(require_role("supplier"))]
Agency = Annotated[Principal, Depends(require_role("agency"))]
