"""Working days (工作日) by the Chinese calendar: weekends, statutory holidays and the adjusted working days
(调休上班) the State Council announces each year — not weekdays.

Every deadline the platform states in working days ("合同签订后 2 个工作日内发布合同公告", the award
announcement, the direct-selection summary) is computed here, so they all agree.

The years the `chinese-calendar` package knows come from it. A later year's arrangement is announced each
November or December; until the package has it, an operator adds it in a TOML file (``WORKING_CALENDAR_FILE``):

    [2027]
    holidays = ["2027-01-01", "2027-02-05", ...]   # days off that would be working days
    workdays = ["2027-02-14", ...]                 # weekend days that are working days

A year nobody has described falls back to weekdays without the fixed-date holidays (元旦, 劳动节, 国庆 1–3),
and `described(year)` says so, so the deadline can be shown as provisional rather than silently wrong.

A deadline "within N working days of" a moment ends at the end (北京时间 24:00) of the N-th working day
after the Beijing date of that moment: the day of the moment itself does not count.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar

BEIJING = ZoneInfo("Asia/Shanghai")
FIXED_HOLIDAYS = {(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)}  # the fallback for a year nobody described
LONGEST_RUN_OFF = 30  # no arrangement has more days off in a row (春节 with its weekends is 9): a bad file stops here


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    years: frozenset[int] = field(default_factory=frozenset)  # the years the file describes

    def described(self, year: int) -> bool:
        """Whether the year's official arrangement is known (the package's data or the operator's file)."""
        return year in self.years or _package_knows(year)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if _package_knows(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (`start` itself does not count); `days` ≥ 1."""
        if days < 1:
            raise ValueError("days must be at least 1")
        day, counted, off = start, 0, 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted, off = counted + 1, 0
            else:
                off += 1
                if off > LONGEST_RUN_OFF:
                    raise ValueError(f"no working day in the {LONGEST_RUN_OFF} days after {day - timedelta(off)}")
        return day

    def deadline(self, moment: datetime, days: int) -> datetime:
        """The end (北京时间 24:00, returned in UTC) of the `days`-th working day after `moment`'s Beijing date."""
        last = self.add_working_days(moment.astimezone(BEIJING).date(), days)
        return datetime.combine(last + timedelta(days=1), time(), BEIJING).astimezone(UTC)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many a deadline had used up by `end`."""
        return sum(self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


@lru_cache(maxsize=64)
def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def load(path: Path | str | None) -> WorkingCalendar:
    """The calendar with the operator's file added (None: the package's years only)."""
    if not path:
        return WorkingCalendar()
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    holidays, workdays, years = set(), set(), set()
    for year, arrangement in data.items():
        years.add(int(year))
        holidays |= {date.fromisoformat(d) for d in arrangement.get("holidays", [])}
        workdays |= {date.fromisoformat(d) for d in arrangement.get("workdays", [])}
    if holidays & workdays:
        raise ValueError(f"{path}: days both off and working: {sorted(holidays & workdays)}")
    return WorkingCalendar(frozenset(holidays), frozenset(workdays), frozenset(years))


CHINA = WorkingCalendar()  # the package's years; services with WORKING_CALENDAR_FILE use load(...)
