"""The scripted demo (`make demo`, devstack/walkthrough.py) against the real processes: it runs the
manual's 1.3 flow end to end through the gateway, prints every step with the status the platform
shows, publishes the agreement it needs on a platform that lacks it, and runs again on the same
platform with a fresh plan and project."""

from __future__ import annotations

import pytest

from devstack import walkthrough
from devstack.cli import main as devstack_main

pytestmark = pytest.mark.stack

PROJECT = ["草稿", "草稿", "待开始", "待开始", "项目报价中", "项目报价中", "结果待确认", "项目成功"]
ORDER_AND_CONTRACT = ["待签合同", "待发送", "待确认", "已确认", "供应商已盖章", "采购单位已盖章", "履约中", "已验收", "已支付"]


def test_the_walkthrough_runs_the_whole_secondary_bidding_twice(stack):
    first_lines: list[str] = []
    first = walkthrough.run(stack.url("gateway"), out=first_lines.append, window_seconds=4, lead_seconds=2)
    printed = "\n".join(first_lines)

    assert [label for _, label in first.statuses] == PROJECT + ORDER_AND_CONTRACT
    for number in walkthrough.STEPS:
        assert f"\n{number} " in printed, f"step {number} printed"
    assert "refused (409 quotes_sealed" in printed and "supplier-3 sees 1 quote, its own" in printed
    assert (first.project["status_label"], first.contract["status_label"], first.order["status_label"]) == (
        "项目成功", "采购单位已盖章", "已支付")
    assert first.order["amount"] == first.project["award"]["amount"] == "48600.00"  # supplier-1's revised quote
    line = first.plan["lines"][0]
    assert (line["reserved_amount"], line["consumed_amount"], line["spent_amount"]) == ("0.00", "48600.00", "48600.00")

    second_lines: list[str] = []
    second = walkthrough.run(stack.url("gateway"), out=second_lines.append, window_seconds=4, lead_seconds=2)
    assert second.project["id"] != first.project["id"] and second.plan["id"] != first.plan["id"]
    assert second.project["agreement_id"] == first.project["agreement_id"]  # found, not published again
    assert [label for _, label in second.statuses] == PROJECT + ORDER_AND_CONTRACT


def test_the_demo_command_stops_before_publishing_when_windows_are_long(stack, as_user, capsys):
    # The stack's shortest window is 2 s: a demo allowed to wait only 1 s stops, saying why, and leaves
    # no public project behind (its draft is terminated; a draft was never public).
    code = devstack_main(["demo", "--gateway", stack.url("gateway"), "--window", "2", "--max-window", "1"])
    printed = capsys.readouterr().out
    assert code == 1
    assert "demo stopped: this platform's bidding windows last at least 2 s" in printed
    assert "BIDDING_MIN_DURATION_SECONDS=10 make run" in printed
    assert "④" not in printed
    newest = as_user("purchaser-a").get("/api/v1/projects", params={"limit": 1}).json()["items"][0]
    assert (newest["status_label"], newest["published_at"]) == ("项目终止", None)
