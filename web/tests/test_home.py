"""The home page's to-dos: which lists make which task, deadlines near (≤ 3 days) or overdue, overdue first."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from web.pages.home import agency_todos, ordered, purchaser_todos, supplier_todos, tally, urgency

NOW = datetime(2026, 6, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 北京时间, 10 June


def test_urgency_on_the_beijing_calendar():
    assert urgency(date(2026, 6, 9), NOW) == "overdue"
    assert urgency(date(2026, 6, 10), NOW) == "soon"  # due today: not yet late
    assert urgency(date(2026, 6, 13), NOW) == "soon"
    assert urgency(date(2026, 6, 14), NOW) == ""
    assert urgency(date(2026, 6, 20), NOW, overdue=True) == "overdue"  # the API's own flag wins
    assert urgency(NOW + timedelta(hours=5), NOW) == "soon" and urgency(NOW - timedelta(seconds=1), NOW) == "overdue"
    assert urgency(None, NOW) == ""


def contract(n: int, status: str, due: str, overdue: bool = False) -> dict:
    return {"id": f"C{n}", "contract_no": f"HT{n}", "project_name": f"项目{n}", "status": status,
            "status_label": status, "deadline": {"due_on": due, "overdue": overdue}}


def test_the_purchasers_tasks_overdue_first_then_the_nearest_deadline():
    todos = purchaser_todos({
        "awaiting_confirmation": [{"id": "P1", "project_no": "XM1", "name": "会务", "status": "awaiting_confirmation",
                                   "status_label": "结果待确认"}],
        "contracts_sent": [contract(1, "sent", "2026-07-01"), contract(2, "sent", "2026-06-01", overdue=True)],
        "contracts_supplier_sealed": [contract(3, "supplier_sealed", "2026-06-12")],
        "orders_accepted": [{"id": "O1", "order_no": "DD1", "project_name": "会务", "status": "accepted",
                             "status_label": "已验收", "deadlines": [
                                 {"name": "contract_signing", "due_on": "2026-05-01", "done_on": "2026-04-20",
                                  "overdue": False},
                                 {"name": "payment", "due_on": "2026-06-30", "done_on": None, "overdue": False}]}],
    })
    rows = ordered(todos, NOW)
    assert [(r["number"], r["task"], r["urgency"]) for r in rows] == [
        ("HT2", "确认合同", "overdue"), ("HT3", "合同盖章", "soon"), ("DD1", "支付", ""), ("HT1", "确认合同", ""),
        ("XM1", "确认成交结果", "")]
    assert rows[-1]["href"] == "/projects/P1/result" and rows[2]["deadline_label"] == "付款期限"
    assert tally(rows)[0] == {"task": "确认合同", "count": 2, "overdue": 1}


def test_the_suppliers_and_the_agencys_tasks():
    [quote] = supplier_todos({"quoting": [{"id": "P2", "project_no": "XM2", "name": "印刷", "status": "quoting",
                                           "status_label": "项目报价中", "ends_at": "2026-06-10T12:00:00+08:00"}]})
    assert (quote.href, quote.countdown, quote.deadline) == ("/quoting/P2", True, NOW + timedelta(hours=2))
    todos = agency_todos([
        {"id": "A1", "name": "会议服务", "agreement_no": "HNKJ-1", "status": "active", "status_label": "有效",
         "valid_to": "2026-07-05", "suppliers": [{"name": "星城会务", "status": "suspended", "status_label": "已暂停"}]},
        {"id": "A2", "name": "印刷服务", "agreement_no": "HNKJ-2", "status": "active", "status_label": "有效",
         "valid_to": "2026-07-15", "suppliers": []},
    ], NOW)
    assert [(t.task, t.number) for t in todos] == [("即将到期", "HNKJ-1"), ("已暂停的供应商", "HNKJ-1")]
    assert todos[1].href == "/suppliers?agreement_id=A1&status=suspended"


def test_a_contract_in_force_not_yet_filed_is_the_purchasers_合同备案_task():
    filed = {**contract(4, "purchaser_sealed", "2026-05-01"), "deadlines": [
        {"name": "contract_filing", "due_on": "2026-06-08", "done_on": "2026-06-05", "overdue": False}]}
    late = {**contract(5, "purchaser_sealed", "2026-05-01"), "deadlines": [
        {"name": "contract_announcement", "due_on": "2026-06-03", "done_on": "2026-06-01", "overdue": False},
        {"name": "contract_filing", "due_on": "2026-06-09", "done_on": None, "overdue": True}]}
    [row] = ordered(purchaser_todos({"contracts_in_force": [filed, late]}), NOW)
    assert (row["number"], row["task"], row["urgency"], row["deadline_label"]) == ("HT5", "合同备案", "overdue",
                                                                                   "合同备案期限")
    assert row["href"] == "/contracts/C5"
