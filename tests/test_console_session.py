"""The console's session, through the gateway at / in a real browser: log in, the token only in an
HttpOnly SameSite=Strict cookie, forms refused without their CSRF token, log out, and an expired session
sent to log in and back to the page it was on."""

from __future__ import annotations

import re
import time

import httpx
import jwt
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.stack


def test_login_page_logout_and_the_cookie_no_script_can_read(console):
    person = console()
    person.open("/", "首页未登录")
    assert person.page.url.endswith("/login")
    expect(person.page.get_by_role("heading", name="登录")).to_be_visible()

    person.page.get_by_label("用户名").fill("purchaser-a")
    person.page.get_by_label("密码").fill("wrong-password")
    person.click("登录", see="密码错误")
    expect(person.page.get_by_role("alert")).to_contain_text("用户名或密码错误")

    person.login("purchaser-a")
    expect(person.page.locator("header")).to_contain_text("湖南省教育厅")
    session = next(c for c in person.context.cookies() if c["name"] == "console_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict" and not session["secure"]
    assert person.page.evaluate("document.cookie").find("console_session") == -1

    person.click("退出", see="退出后")
    assert "/login" in person.page.url
    expect(person.page.get_by_role("status")).to_contain_text("您已安全退出")
    assert not [c for c in person.context.cookies() if c["name"] == "console_session"]


def test_a_post_without_its_csrf_token_changes_nothing(stack, console):
    person = console("purchaser-a")
    cookies = {c["name"]: c["value"] for c in person.context.cookies()}
    with httpx.Client(base_url=stack.url("gateway"), cookies=cookies) as client:
        refused = client.post("/logout", data={"csrf_token": "forged"})
    assert refused.status_code == 403 and "页面已过期" in refused.text
    person.open("/", "仍已登录")
    expect(person.page.locator("header")).to_contain_text("湖南省教育厅")


def test_an_expired_session_goes_to_log_in_and_back_to_the_page(console):
    person = console("purchaser-a")
    # A token the gateway no longer accepts, as when it expired: the console asks to log in again.
    refused = jwt.encode({"sub": "purchaser-a", "org": "11430000006100011A", "org_name": "湖南省教育厅",
                          "role": "purchaser", "exp": int(time.time()) + 600}, "not-the-gateway-key", algorithm="HS256")
    person.context.add_cookies([{"name": "console_session", "value": refused,
                                 "url": person.base_url, "httpOnly": True, "sameSite": "Strict"}])
    person.page.goto(person.base_url + "/plans?status=draft")
    assert re.search(r"/login\?next=/plans", person.page.url)
    person.page.get_by_label("用户名").fill("purchaser-a")
    person.page.get_by_label("密码").fill("demo12345")
    person.click("登录", see="回到原页面")
    assert person.page.url.endswith("/plans?status=draft")


def test_docs_work_without_internet(stack, anonymous):
    docs = anonymous.get("/docs")
    assert docs.status_code == 200 and "/api-docs-assets/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert anonymous.get("/api-docs-assets/swagger-ui-bundle.js").status_code == 200
    redoc = anonymous.get("/redoc")
    assert redoc.status_code == 200 and "/api-docs-assets/redoc.standalone.js" in redoc.text
    assert "fonts.googleapis" not in redoc.text


def test_log_in_limits_count_the_person_behind_the_console_not_the_console(stack):
    """Every log-in through the console reaches the gateway from the console's address: the gateway counts
    the address the console names (X-Forwarded-For, trusted from FORWARDED_ALLOW_IPS), or one office's
    mistyped passwords would lock the whole province out."""
    with httpx.Client(base_url=stack.url("gateway")) as client:
        def attempt(address: str) -> int:
            return client.post("/api/v1/auth/token", data={"username": "supplier-6", "password": "wrong"},
                               headers={"X-Forwarded-For": address}).status_code

        answers = [attempt("198.51.100.7") for _ in range(12)]
        assert answers[0] == 401 and answers[-1] == 429
        assert attempt("198.51.100.8") == 401  # another person at another address is not held back
