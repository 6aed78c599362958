"""Rendering a page, redirecting after a post, reading a posted form, asking before an irreversible step.

Every page is rendered by `render()`: the layout gets the signed-in person, their menu, the CSRF token of
their forms and the message left by the last post (Post/Redirect/Get). `checked_form()` refuses a post
without a valid CSRF token before anything is read from it. `confirmation()` is the manual's confirmation
step (发布, 确认成交结果, 盖章, 终止): with JavaScript it is a dialog on the page; without it, the same form
posts once to a page that asks, and once more to do it."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from web import texts
from web.format import FILTERS
from web.gateway import ApiError, Gateway
from web.session import CSRF_COOKIE, CSRF_FIELD, FLASH_COOKIE, Csrf, viewer_of

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.filters.update(FILTERS)
TEMPLATES.env.globals.update(error_text=texts.error_text, role_labels=texts.ROLE_LABELS)


def gateway(request: Request) -> Gateway:
    return request.app.state.gateway


def csrf(request: Request) -> Csrf:
    return request.app.state.csrf


def csrf_token(request: Request) -> str:
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_seed", None)
    if not seed:
        seed = request.state.csrf_seed = Csrf.new_seed()
    return csrf(request).token_for(seed)


def _menu(request: Request, role: str) -> list[dict[str, Any]]:
    path, query = request.url.path, request.url.query
    groups: list[dict[str, Any]] = []
    for item in texts.MENUS.get(role, texts.MENUS[""]):
        item_path, _, item_query = item.href.partition("?")
        current = path == item_path and (not item_query or item_query in query) if item_path != "/" else path == "/"
        if not groups or groups[-1]["label"] != item.group:
            groups.append({"label": item.group, "items": []})
        groups[-1]["items"].append({"label": item.label, "href": item.href, "current": current})
    return groups


def render(request: Request, template: str, *, status: int = 200, title: str = "", **context: Any) -> HTMLResponse:
    viewer = viewer_of(request)
    flash = request.cookies.get(FLASH_COOKIE)
    response = TEMPLATES.TemplateResponse(request, template, {
        "viewer": viewer, "menu": _menu(request, viewer.role if viewer else ""), "title": title,
        "csrf_token": csrf_token(request), "csrf_field": CSRF_FIELD,
        "flash": unquote(flash) if flash else None, **context,
    }, status_code=status)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    seed = getattr(request.state, "csrf_seed", None)
    if seed and not request.cookies.get(CSRF_COOKIE):
        set_csrf_cookie(request, response, seed)
    response.headers["Cache-Control"] = "no-store"
    return response


def set_csrf_cookie(request: Request, response: Response, seed: str) -> None:
    from web.session import set_cookie

    set_cookie(response, request, CSRF_COOKIE, seed, mode=request.app.state.settings.cookie_secure)


def redirect(request: Request, url: str, *, flash: str | None = None) -> RedirectResponse:
    """303 to a page after a post; `flash` is the sentence that page shows once (e.g. 项目已发布)."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        from web.session import set_cookie

        set_cookie(response, request, FLASH_COOKIE, quote(flash), mode=request.app.state.settings.cookie_secure,
                   max_age=60)
    return response


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token is known good (else `CsrfRefused`, answered 403)."""
    form = await request.form()
    csrf(request).check(request, form)
    return form


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def upload(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


async def file_part(value: UploadFile) -> tuple[str, bytes, str]:
    """An uploaded file as httpx wants it for a multipart call to the gateway."""
    return (value.filename or "file", await value.read(), value.content_type or "application/octet-stream")


def confirmation(request: Request, form: FormData, *, question: str, detail: str = "",
                 action_label: str = "确认") -> HTMLResponse | None:
    """None when the person already confirmed (`confirmed=yes`); else the page that asks."""
    if text(form, "confirmed") == "yes":
        return None
    carried = [(k, v) for k, v in form.multi_items() if isinstance(v, str) and k not in (CSRF_FIELD, "confirmed")]
    # A password is never written back into a page: the person types it again on the confirmation page.
    fields = [(k, v) for k, v in carried if "password" not in k]
    secrets = sorted({k for k, _ in carried if "password" in k})
    return render(request, "confirm.html", title="请确认", question=question, detail=detail,
                  action=request.url.path, fields=fields, secrets=secrets, action_label=action_label,
                  back=request.headers.get("referer") or "/")


def error_summary(error: ApiError) -> dict[str, Any]:
    """What a page shows of a refusal: the heading, the API's sentence, the fields it concerns."""
    return {"code": error.code, "title": texts.error_text(error.code), "message": error.message,
            "fields": error.fields}
