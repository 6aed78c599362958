"""合同公告 and 合同备案: the platform publishes the contract announcement itself when the last seal (or
the signed scan) puts the contract in force — public, no login, the units' names but no person's name
or phone — and tracks it and the filing against deadlines in working days of the Chinese calendar
(servicekit.workdays: 春节, 国庆 and their adjusted working Saturdays)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import domain, workflow
from contracts.store import Contract, ContractAnnouncement
from servicekit.types import SHANGHAI
from servicekit.workdays import CHINA

PHONE = "0731-80000000"  # every test unit's contact phone (conftest.ContractsWorld.unit)
CONTACT = "测试员"


def beijing(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# ---- the deadlines, on the Chinese calendar --------------------------------------------------------

def test_the_announcement_deadline_crosses_the_spring_festival_and_counts_its_working_saturday():
    # Fri 13 Feb 2026: Sat 14 Feb is an adjusted working day (调休上班), 15–23 Feb are 春节.
    assert domain.working_due_on(CHINA, beijing("2026-02-13T16:00"), 2) == date(2026, 2, 24)
    # Weekdays alone would have said Tue 17 Feb, in the middle of the holiday.


def test_the_announcement_deadline_crosses_national_day_and_ends_on_an_adjusted_saturday():
    assert domain.working_due_on(CHINA, beijing("2026-09-30T10:00"), 2) == date(2026, 10, 9)  # 1–7 Oct off
    due = domain.working_due_on(CHINA, beijing("2026-10-08T10:00"), 2)
    assert due == date(2026, 10, 10) and due.weekday() == 5  # Sat 10 Oct 2026 is a working day
    # Signed 00:30 北京时间 on 8 Oct (still 7 Oct in UTC): the Beijing date counts.
    assert domain.working_due_on(CHINA, datetime(2026, 10, 7, 16, 30, tzinfo=timezone.utc), 2) == date(2026, 10, 10)
    # 合同备案, 7 working days from 30 Sep: 8, 9, 10 (Sat), 12, 13, 14, 15 Oct.
    assert domain.working_due_on(CHINA, beijing("2026-09-30T10:00"), 7) == date(2026, 10, 15)


@settings(max_examples=400, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31, 23, 59),
                    timezones=st.just(timezone.utc)), st.sampled_from([2, 7]))
def test_every_signing_moment_of_2026_gets_its_nth_working_day_in_beijing(signed_at, days):
    due = domain.working_due_on(CHINA, signed_at, days)
    start = signed_at.astimezone(SHANGHAI).date()
    assert CHINA.is_working_day(due) and start < due
    assert CHINA.working_days_between(start, due) == days  # the signing day itself does not count
    assert CHINA.working_days_between(start, due - timedelta(days=1)) == days - 1
    # The same end as the calendar's own deadline: 北京时间 24:00 of the due day.
    assert CHINA.deadline(signed_at, days) == datetime.combine(due + timedelta(days=1), datetime.min.time(),
                                                               SHANGHAI).astimezone(timezone.utc)


# ---- published after the last seal -----------------------------------------------------------------

async def test_the_last_seal_publishes_the_announcement_public_and_without_personal_data(contracts_world):
    w = contracts_world
    cid, purchaser, supplier = await w.confirmed("ca_seal")
    assert (await w.post(f"/api/v1/contracts/{cid}/seal", supplier, json={"ca_password": "ca12345"})).status_code == 200
    half = (await w.get(f"/api/v1/contracts/{cid}", purchaser)).json()
    assert half["announced_at"] is None and [d["name"] for d in half["deadlines"]] == ["contract_signing"]
    assert not await w.events("ContractAnnounced", cid)

    sealed = await w.post(f"/api/v1/contracts/{cid}/seal", purchaser, json={"ca_password": "ca12345"})
    body = sealed.json()
    assert body["announced_at"] is not None and body["announcement_url"]
    deadlines = {d["name"]: d for d in body["deadlines"]}
    assert deadlines["contract_announcement"]["marker"] == "已按时完成" and not deadlines["contract_announcement"]["overdue"]
    signed_on = datetime.fromisoformat(body["signed_at"]).astimezone(SHANGHAI).date()
    assert deadlines["contract_announcement"]["due_on"] == CHINA.add_working_days(signed_on, 2).isoformat()
    assert deadlines["contract_filing"]["due_on"] == CHINA.add_working_days(signed_on, 7).isoformat()
    assert deadlines["contract_filing"]["marker"].startswith("剩余 ") and body["overdue"] is False

    announced = await w.events("ContractAnnounced", cid)
    assert len(announced) == 1 and announced[0]["published_on_time"] is True
    stamped = (await w.events("ContractStamped", cid))[0]
    assert stamped["announcement_due_on"] == deadlines["contract_announcement"]["due_on"]

    listing = await w.client.get("/api/v1/contracts/announcements", params={"limit": 200})  # no token at all
    assert listing.status_code == 200
    item = next(i for i in listing.json()["items"] if i["contract_no"] == body["contract_no"])
    notice = await w.client.get(body["announcement_url"])
    assert notice.status_code == 200 and item["id"] == notice.json()["id"]
    facts = notice.json()
    assert facts["title"] == "办公楼物业管理服务合同公告" and facts["amount"] == "300000.00"
    assert (facts["purchaser_name"], facts["supplier_name"]) == (purchaser.party.name, supplier.party.name)
    assert facts["project_no"] == body["project_no"] and facts["service_name"] == "办公楼物业管理"
    assert facts["published_on_time"] is True and facts["method_label"] == "直接选定"
    text = json.dumps(facts, ensure_ascii=False)
    assert PHONE not in text and CONTACT not in text and "phone" not in text and "contact" not in text
    assert (await w.client.get("/api/v1/contracts/announcements/HGnothing")).status_code == 404


async def test_the_signed_scan_publishes_it_too_and_the_filing_deadline_is_flagged_once_past(contracts_world,
                                                                                            monkeypatch):
    w = contracts_world
    cid, purchaser, supplier = await w.confirmed("offline")
    assert (await w.post(f"/api/v1/contracts/{cid}/seal", supplier, json={"ca_password": "ca12345"})).status_code == 200
    monkeypatch.setattr(workflow, "utcnow", lambda: beijing("2026-09-30T10:00").astimezone(timezone.utc))
    scan = {"file": ("合同扫描件.pdf", b"%PDF-1.4 signed paper scan", "application/pdf")}
    done = await w.post(f"/api/v1/contracts/{cid}/signed-scan", purchaser, files=scan)
    assert done.status_code == 200, done.text
    deadlines = {d["name"]: d for d in done.json()["deadlines"]}
    assert deadlines["contract_announcement"]["due_on"] == "2026-10-09"  # over 国庆
    assert deadlines["contract_announcement"]["marker"] == "已按时完成"
    assert deadlines["contract_filing"]["due_on"] == "2026-10-15"
    # Today (after 15 Oct 2026) with no filing recorded: 已逾期, on the contract and in the list.
    assert deadlines["contract_filing"]["marker"] == "已逾期" and done.json()["overdue"] is True
    listed = (await w.get("/api/v1/contracts", purchaser)).json()["items"]
    assert next(c for c in listed if c["id"] == cid)["overdue"] is True

    monkeypatch.undo()  # the filing is recorded now, late
    assert (await w.post(f"/api/v1/contracts/{cid}/filing", supplier,
                         json={"filing_reference": "湘财备〔2026〕1"})).status_code == 403
    filed = await w.post(f"/api/v1/contracts/{cid}/filing", purchaser, json={"filing_reference": "湘财合备〔2026〕0088"})
    assert filed.status_code == 200, filed.text
    deadlines = {d["name"]: d for d in filed.json()["deadlines"]}
    assert deadlines["contract_filing"]["marker"] == "逾期完成" and filed.json()["overdue"] is False
    assert (await w.events("ContractFiled", cid))[0]["filed_on_time"] is False
    again = await w.post(f"/api/v1/contracts/{cid}/filing", purchaser, json={"filing_reference": "湘财合备〔2026〕0089"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_filed"


async def test_a_contract_in_force_without_its_announcement_is_published_late_and_shown_late(contracts_world):
    w = contracts_world
    cid, purchaser, supplier = await w.confirmed("offline")
    assert (await w.post(f"/api/v1/contracts/{cid}/seal", supplier, json={"ca_password": "ca12345"})).status_code == 200
    scan = {"file": ("合同扫描件.pdf", b"%PDF-1.4 signed paper scan", "application/pdf")}
    assert (await w.post(f"/api/v1/contracts/{cid}/signed-scan", purchaser, files=scan)).status_code == 200
    # As a contract signed before announcements existed: signed in February, no deadline, no notice.
    async with w.service.db.transaction() as session:
        await session.exec(sa.delete(ContractAnnouncement).where(ContractAnnouncement.contract_id == cid))
        await session.exec(sa.update(Contract).where(Contract.id == cid).values(
            announced_at=None, announcement_due_on=None, filing_due_on=None,
            signed_at=beijing("2026-02-13T16:00").astimezone(timezone.utc)))
    assert await workflow.publish_pending(w.service.db, w.service.settings) >= 1
    body = (await w.get(f"/api/v1/contracts/{cid}", purchaser)).json()
    announcement = {d["name"]: d for d in body["deadlines"]}["contract_announcement"]
    assert (announcement["due_on"], announcement["marker"]) == ("2026-02-24", "逾期完成")
    notice = (await w.client.get(body["announcement_url"])).json()
    assert notice["published_on_time"] is False
    assert await workflow.publish_pending(w.service.db, w.service.settings) == 0
