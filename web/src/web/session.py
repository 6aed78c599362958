"""Who is signed in, and the forms they may post.

- The gateway's token lives only in the `console_session` cookie: HttpOnly (no page script can read it),
  SameSite=Strict, Secure when the page came over HTTPS. The console reads the token's claims (name, unit,
  role, expiry) to draw the menu; it never trusts them for anything else — every call to the gateway
  carries the token and the gateway checks it.
- CSRF: every form carries `csrf_token`, an HMAC of the browser's `console_csrf` cookie under the
  console's secret (a signed double submit). A post whose token does not match changes nothing. The
  cookie is renewed at log-in, so a token seen before log-in is worthless after it.
- An expired or refused token sends the person to log in, and after it back to the page they were on."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import jwt
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "console_session"
CSRF_COOKIE = "console_csrf"
FLASH_COOKIE = "console_flash"
NAME_COOKIE = "console_name"  # the person's display name, from /me at log-in (the token carries none)
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Viewer:
    token: str
    username: str
    name: str
    org_id: str
    org_name: str
    role: str
    expires_at: float

    def is_(self, role: str) -> bool:
        return self.role == role


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class NotAllowed(Exception):
    """Signed in, but this page is for another role."""


class CsrfRefused(Exception):
    pass


def viewer_of(request: Request) -> Viewer | None:
    """Who is signed in, read from the session cookie once per request (the page's check and its layout
    both ask)."""
    if "viewer" not in request.state._state:
        request.state.viewer = _read_viewer(request)
    return request.state.viewer


def _read_viewer(request: Request) -> Viewer | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False})
    except jwt.PyJWTError:
        return None
    expires = float(claims.get("exp") or 0)
    if expires and expires < time.time():
        return None
    username = str(claims.get("sub") or "")
    return Viewer(token=token, username=username, name=unquote(request.cookies.get(NAME_COOKIE) or "") or username,
                  org_id=str(claims.get("org") or ""),
                  org_name=str(claims.get("org_name") or ""), role=str(claims.get("role") or ""),
                  expires_at=expires)


def here(request: Request) -> str:
    """The path (and query) to come back to after logging in."""
    path = request.url.path
    if request.method != "GET":  # after a refused post, come back to the page the form was on
        referer = urlsplit(request.headers.get("referer", ""))
        if referer.path and (not referer.netloc or referer.netloc == request.headers.get("host")):
            return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
        return "/"
    return path + (f"?{request.url.query}" if request.url.query else "")


def safe_next(value: str | None) -> str:
    """Only a path of this site: never `//evil.example` or `https://…` (an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def login_url(next_path: str) -> str:
    return "/login" + (f"?next={quote(next_path, safe='/')}" if next_path and next_path != "/" else "")


def require(request: Request, *roles: str) -> Viewer:
    viewer = viewer_of(request)
    if viewer is None:
        raise LoginRequired(here(request))
    if roles and viewer.role not in roles:
        raise NotAllowed()
    return viewer


def secure(request: Request, mode: str) -> bool:
    if mode == "always":
        return True
    if mode == "never":
        return False
    proto = request.headers.get("x-forwarded-proto", request.url.scheme)
    return proto.split(",")[0].strip() == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, *, mode: str,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=secure(request, mode))


class Csrf:
    def __init__(self, secret: str) -> None:
        self.key = secret.encode()

    def token_for(self, seed: str) -> str:
        return hmac.new(self.key, b"csrf:" + seed.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def new_seed() -> str:
        return secrets.token_urlsafe(24)

    def check(self, request: Request, form: FormData | dict[str, Any]) -> None:
        seed = request.cookies.get(CSRF_COOKIE)
        sent = form.get(CSRF_FIELD)
        if not seed or not isinstance(sent, str) or not hmac.compare_digest(self.token_for(seed), sent):
            raise CsrfRefused()
