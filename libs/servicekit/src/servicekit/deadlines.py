"""A tracked deadline as the platform shows it (DESIGN §1: "deadlines are tracked and shown, with an
overdue flag"): its last day, when it was done, 已逾期, or what is left (剩余). Pure, shared by the
contracts and orders views so both say the same thing about the same deadline.

A deadline in working days (合同公告, 合同备案) counts what is left on the Chinese calendar
(`servicekit.workdays`); one in calendar days (签订, 付款) counts days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from servicekit.types import SHANGHAI
from servicekit.workdays import WorkingCalendar

LABELS = {"contract_signing": "合同签订", "contract_announcement": "合同公告", "contract_filing": "合同备案",
          "payment": "付款"}


@dataclass(frozen=True)
class Deadline:
    name: str
    due_on: date  # the last day (北京时间): the deadline ends at its 24:00
    done_on: date | None
    overdue: bool  # done after the last day, or not done and the last day has passed
    days_left: int | None = None  # None once done or overdue
    working_days: bool = False  # days_left counts working days
    provisional: bool = False  # the year's holidays are not announced yet: counted on weekdays

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)

    @property
    def marker(self) -> str:
        """已逾期 / 剩余 N 个工作日 (or 天) / 今日截止 / 已按时完成 / 逾期完成."""
        if self.done_on is not None:
            return "逾期完成" if self.overdue else "已按时完成"
        if self.overdue:
            return "已逾期"
        if not self.days_left:
            return "今日截止"
        return f"剩余 {self.days_left} 个工作日" if self.working_days else f"剩余 {self.days_left} 天"


def track(name: str, due: date, done_at: datetime | None, now: datetime,
          calendar: WorkingCalendar | None = None) -> Deadline:
    """The deadline's state at `now`; with a `calendar`, what is left is counted in its working days."""
    done = done_at.astimezone(SHANGHAI).date() if done_at else None
    today = now.astimezone(SHANGHAI).date()
    overdue = (done or today) > due
    left = None
    if done is None and not overdue:
        left = calendar.working_days_between(today, due) if calendar else (due - today).days
    return Deadline(name=name, due_on=due, done_on=done, overdue=overdue, days_left=left,
                    working_days=calendar is not None,
                    provisional=calendar is not None and not calendar.described(due.year))
