"""Working days by the Chinese calendar: holidays, adjusted working Saturdays and Sundays, the operator's file."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicekit import workdays
from servicekit.workdays import CHINA, WorkingCalendar


def test_national_day_2026_and_its_adjusted_saturday():
    # 2026: 10月1日–7日 off, Saturday 10月10日 a working day (and Sunday 9月20日).
    assert not any(CHINA.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert CHINA.is_working_day(date(2026, 10, 10)) and CHINA.is_working_day(date(2026, 9, 20))
    # Signed on Wednesday 9月30日: the 1st working day is 10月8日, the 2nd 10月9日.
    assert CHINA.add_working_days(date(2026, 9, 30), 2) == date(2026, 10, 9)
    # Signed on 10月9日 (Friday): the adjusted Saturday counts.
    assert CHINA.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)


def test_spring_festival_2026():
    # 2026 春节: 2月15日–23日 off, Saturdays 2月14日 and 2月28日 working.
    assert CHINA.is_working_day(date(2026, 2, 14)) and CHINA.is_working_day(date(2026, 2, 28))
    assert CHINA.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert CHINA.add_working_days(date(2026, 2, 12), 2) == date(2026, 2, 14)


def test_the_deadline_ends_at_beijing_midnight():
    # 2026-09-30 23:30 北京时间 is 15:30 UTC the same day; deadline: end of 10月9日 北京时间 = 10月9日 16:00 UTC.
    signed = datetime(2026, 9, 30, 15, 30, tzinfo=UTC)
    assert CHINA.deadline(signed, 2) == datetime(2026, 10, 9, 16, 0, tzinfo=UTC)
    # 2026-09-30 16:30 UTC is already 10月1日 00:30 北京时间: the holiday is its date.
    assert CHINA.deadline(datetime(2026, 9, 30, 16, 30, tzinfo=UTC), 2) == datetime(2026, 10, 9, 16, 0, tzinfo=UTC)


YEAR_2026 = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 10))  # +10 working days stays in 2026


@given(start=YEAR_2026, days=st.integers(1, 10))
def test_every_deadline_of_the_year_counts_exactly_its_working_days(start, days):
    end = CHINA.add_working_days(start, days)
    assert CHINA.is_working_day(end)
    assert CHINA.working_days_between(start, end) == days
    assert CHINA.working_days_between(start, end - timedelta(days=1)) == days - 1
    # and it agrees with the package's own reckoning, day by day
    import chinese_calendar
    assert sum(chinese_calendar.is_workday(start + timedelta(i)) for i in range(1, (end - start).days + 1)) == days


def test_a_year_the_package_does_not_know_yet(tmp_path):
    assert not CHINA.described(2031)
    # Fallback: weekdays without the fixed-date holidays, shown as provisional by `described`.
    assert not CHINA.is_working_day(date(2031, 10, 1)) and CHINA.is_working_day(date(2031, 10, 6))
    file = tmp_path / "calendar.toml"
    file.write_text('[2031]\nholidays = ["2031-10-06"]\nworkdays = ["2031-10-11"]\n', encoding="utf-8")
    calendar = workdays.load(file)
    assert calendar.described(2031)
    assert not calendar.is_working_day(date(2031, 10, 6)) and calendar.is_working_day(date(2031, 10, 11))


def test_a_file_that_says_a_day_is_both_is_refused(tmp_path):
    file = tmp_path / "calendar.toml"
    file.write_text('[2031]\nholidays = ["2031-10-06"]\nworkdays = ["2031-10-06"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="both"):
        workdays.load(file)


def test_a_calendar_without_working_days_stops():
    everything_off = WorkingCalendar(holidays=frozenset(date(2031, 1, 1) + timedelta(i) for i in range(60)),
                                     years=frozenset({2031}))
    with pytest.raises(ValueError, match="no working day"):
        everything_off.add_working_days(date(2030, 12, 31), 1)
