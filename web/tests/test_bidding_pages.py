"""The pure rules of the bidding pages: the buttons a project row shows by state, when a page reloads by
itself, the window's start and length as typed, and a supplier's own ceiling."""

from __future__ import annotations

from datetime import datetime, timezone

from web.pages import projects, quoting


def row(status: str, **extra) -> dict:
    return {"id": "PJ1", "status": status, **extra}


def labels(project: dict) -> list[str]:
    return [label for label, _, _ in projects.buttons_for(project)]


def test_the_manuals_buttons_by_state():
    assert labels(row("draft")) == ["查看", "编辑", "发布", "终止项目"]
    assert labels(row("quoting", procurement_announcement_id="AN1")) == ["查看", "采购公告", "终止项目"]
    assert labels(row("awaiting_confirmation", procurement_announcement_id="AN1")) == [
        "查看", "确认成交结果", "采购公告", "终止项目"]
    assert labels(row("succeeded", procurement_announcement_id="AN1", award_announcement_id="AN2")) == [
        "查看", "采购公告", "成交结果公告"]
    assert labels(row("terminated")) == ["查看"]


def test_a_page_reloads_only_while_its_status_is_about_to_change():
    assert projects.expects_change(row("scheduled"))
    assert projects.expects_change(row("quoting", window="ended"))
    assert not projects.expects_change(row("quoting", window="open"))
    assert not projects.expects_change(row("awaiting_confirmation"))


def test_the_start_typed_to_the_minute():
    now = datetime(2026, 12, 1, 2, 30, 40, tzinfo=timezone.utc)  # 10:30:40 北京时间
    assert projects.start_of("", now) == (None, True)  # at once
    assert projects.start_of("2026-12-01T10:30", now) == (None, True)  # this minute: at once
    assert projects.start_of("2026-12-01T10:45", now) == (datetime(2026, 12, 1, 2, 45, tzinfo=timezone.utc), True)
    past = projects.start_of("2026-12-01T09:30", now)
    assert past == (datetime(2026, 12, 1, 1, 30, tzinfo=timezone.utc), True)  # sent: the platform refuses it
    assert projects.start_of("tomorrow", now) == (None, False)


def test_the_window_length_in_a_persons_units():
    assert projects.duration_seconds("30", "60") == 1800
    assert projects.duration_seconds("2", "1") == 2
    assert projects.duration_seconds("0", "60") is None
    assert projects.duration_seconds("abc", "60") is None
    assert projects.duration_seconds("3", "7") is None
    assert projects.best_unit(1800) == ("30", "60") and projects.best_unit(2) == ("2", "1")
    assert projects.best_unit(86400) == ("1", "86400")
    assert projects.span_text(5400) == "1 小时 30 分钟" and projects.span_text(7200) == "2 小时"
    assert projects.span_text(150) == "2 分钟 30 秒" and projects.span_text(86400 + 60) == "1 天 1 分钟"
    assert projects.span_text(45) == "45 秒" and projects.span_text(None) == "—"
    assert projects.window_minimum({"starts_at": "2026-05-12 15:30:05 (北京时间)",
                                    "ends_at": "2026-05-12 16:00:05 (北京时间)"}) == 1800
    assert projects.window_minimum({}) is None


def test_the_category_options_list_only_what_is_offered():
    tree = [{"code": "C12", "name": "房地产服务", "offered_services": 3, "children": [
        {"code": "C1204", "name": "物业管理服务", "offered_services": 3, "children": [
            {"code": "C120402", "name": "保洁服务", "offered_services": 0, "children": []},
            {"code": "C120403", "name": "秩序维护服务", "offered_services": 3, "children": []}]}]}]
    assert [code for code, _ in projects.flatten_categories(tree)] == ["C12", "C1204", "C120403"]
    assert projects.flatten_categories(tree)[2][1] == "　　C120403 秩序维护服务（3 项服务）"
    assert projects.category_name(tree, "C120403") == "秩序维护服务"


def test_a_suppliers_own_ceiling_and_when_it_may_quote():
    project = {"status": "quoting", "window": "open", "ceiling_amount": "127200.00",
               "my_services": [{"ceiling_amount": "120000.00"}, {"ceiling_amount": "124800.00"}]}
    assert quoting.my_ceiling(project) == "124800.00"
    assert quoting.my_ceiling({"ceiling_amount": "5.00", "my_services": []}) == "5.00"
    assert quoting.can_quote(project)
    assert not quoting.can_quote({**project, "window": "ended"})
    assert quoting.can_quote({"status": "quoting", "window": None})  # direct selection: no window
    assert not quoting.can_quote({"status": "scheduled", "window": "before"})
