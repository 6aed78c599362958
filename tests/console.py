"""Driving the console as a person would: a real Chromium (Debian's `chromium`, through Playwright),
one browser context per person, clicks and typing only.

Every page visited through `Person.see()` is saved as a screenshot under `test-results/screens/<test>/`
(for a reviewer to look at each screen) and checked with axe-core in the same browser: a serious or
critical accessibility violation fails the test.

    def test_something(console):
        buyer = console("purchaser-a")          # logged in through the login page
        buyer.open("/plans")                    # screenshot + axe
        buyer.page.get_by_role("link", name="录入计划").click()
        buyer.see("录入计划")                    # after a navigation by click: screenshot + axe
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from gateway.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
SCREENS = ROOT / "test-results" / "screens"
BLOCKING = ("serious", "critical")
_axe = Axe()


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("no chromium on PATH: `make test` installs it (apt-get install chromium fonts-noto-cjk)")
    return path


def slug(text: str) -> str:
    return re.sub(r"[^\w\u4e00-\u9fff-]+", "-", text).strip("-")[:60] or "page"


@dataclass
class Person:
    """One person at one browser (a context of its own: its own cookies)."""

    context: BrowserContext
    page: Page
    base_url: str
    folder: Path
    javascript: bool = True
    username: str | None = None
    shots: int = 0
    violations: list[str] = field(default_factory=list)

    def open(self, path: str, name: str | None = None) -> Page:
        self.page.goto(self.base_url + path)
        self.see(name or path)
        return self.page

    def see(self, name: str) -> Page:
        """The page as it stands now: saved as a screenshot, checked with axe-core."""
        self.page.wait_for_load_state("load")
        self.shots += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.folder / f"{self.shots:02d}-{self.username or 'public'}-{slug(name)}.png"),
                             full_page=True)
        if self.javascript:
            results = _axe.run(self.page)
            blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
            assert not blocking, f"accessibility on {self.page.url}: " + "; ".join(
                f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in blocking)
        return self.page

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.page.goto(self.base_url + "/login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(password)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
        self.username = username
        self.see("登录后")

    def click(self, name: str, role: str = "button", see: str | None = None, **kwargs: Any) -> None:
        """Click a button (or link) by its visible name; the page it leads to is saved and checked."""
        self.page.get_by_role(role, name=name, **kwargs).click()
        self.page.wait_for_load_state("load")
        self.see(see or name)

    def confirm(self, password: str | None = None) -> None:
        """The confirmation step before an irreversible action: a dialog, or a page without JavaScript (where a
        CA password is typed again: the console never writes a password back into a page)."""
        if self.javascript:
            dialog = self.page.get_by_role("dialog")
            expect(dialog).to_be_visible()
            self.see("确认对话框")
            dialog.get_by_role("button", name="确认").click()
        else:
            self.see("确认页")
            if password is not None:
                self.page.get_by_label("请再次输入 CA 密码以确认").fill(password)
            self.page.get_by_role("button", name=re.compile("^确认")).first.click()
        self.page.wait_for_load_state("load")
        self.see("确认后")

    def text(self) -> str:
        return self.page.inner_text("main")


def new_person(browser: Browser, base_url: str, folder: Path, *, javascript: bool = True) -> Person:
    context = browser.new_context(java_script_enabled=javascript, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    return Person(context=context, page=context.new_page(), base_url=base_url, folder=folder, javascript=javascript)
