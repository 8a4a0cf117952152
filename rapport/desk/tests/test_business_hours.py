"""Business-hours arithmetic: weekends, holidays, DST changes and targets longer than a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.desk.business_hours import (
    SEARCH_LIMIT_DAYS,
    Calendar,
    CalendarError,
    add_business_time,
    around_the_clock,
    business_time_between,
    is_open,
)

LONDON = ZoneInfo("Europe/London")
NINE_TO_FIVE = ((9 * 60, 17 * 60),)
OFFICE = Calendar(time_zone="Europe/London", weekly=(NINE_TO_FIVE,) * 5 + ((), ()))


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def test_friday_afternoon_target_lands_on_monday_morning() -> None:
    # Friday 2026-03-06 16:00, two business hours: one on Friday, one on Monday.
    assert add_business_time(OFFICE, london(2026, 3, 6, 16), timedelta(hours=2)) == london(2026, 3, 9, 10)


def test_target_longer_than_a_day_spans_whole_working_days() -> None:
    assert add_business_time(OFFICE, london(2026, 3, 2, 9), timedelta(hours=16)) == london(2026, 3, 3, 17)


def test_start_outside_hours_begins_at_the_next_opening() -> None:
    assert add_business_time(OFFICE, london(2026, 3, 7, 12), timedelta(minutes=30)) == london(
        2026, 3, 9, 9, 30
    )


def test_holiday_is_skipped() -> None:
    calendar = Calendar(
        time_zone="Europe/London", weekly=OFFICE.weekly, holidays=frozenset({date(2026, 3, 9)})
    )

    assert add_business_time(calendar, london(2026, 3, 6, 16), timedelta(hours=2)) == london(2026, 3, 10, 10)


def test_open_all_day_holds_23_hours_when_clocks_go_forward() -> None:
    calendar = Calendar(time_zone="Europe/London", weekly=(((0, 1440),),) * 7)
    # The UK moved to summer time on 2026-03-29.
    spring = business_time_between(calendar, london(2026, 3, 29), london(2026, 3, 30))
    autumn = business_time_between(calendar, london(2026, 10, 25), london(2026, 10, 26))

    assert spring == timedelta(hours=23)
    assert autumn == timedelta(hours=25)


def test_office_hours_keep_their_wall_clock_across_dst() -> None:
    # Friday before the change 16:00 + 2h: Monday after the change at 10:00 local (now BST).
    assert add_business_time(OFFICE, london(2026, 3, 27, 16), timedelta(hours=2)) == london(2026, 3, 30, 10)


def test_is_open_follows_the_calendar() -> None:
    assert is_open(OFFICE, london(2026, 3, 9, 9))
    assert not is_open(OFFICE, london(2026, 3, 9, 17))
    assert not is_open(OFFICE, london(2026, 3, 8, 12))


CLOSED = ((),) * 6


@pytest.mark.parametrize(
    "weekly",
    [
        pytest.param(((),) * 7, id="never open"),
        pytest.param((((540, 480),), *CLOSED), id="ends before it starts"),
        pytest.param((((0, 1500),), *CLOSED), id="longer than a day"),
        pytest.param((((0, 600), (500, 700)), *CLOSED), id="overlapping"),
        pytest.param(CLOSED, id="six weekdays"),
    ],
)
def test_unusable_calendars_are_refused(weekly: tuple[tuple[tuple[int, int], ...], ...]) -> None:
    with pytest.raises(CalendarError):
        Calendar(weekly=weekly)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_time(OFFICE, datetime(2026, 3, 9, 9), timedelta(hours=1))


# Properties over random calendars, zones with DST, holidays, starts and durations.
ZONES = ["UTC", "Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo"]


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    days = []
    for _ in range(7):
        cuts = sorted(draw(st.sets(st.integers(0, 1440), max_size=4)))
        pairs = tuple((a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b)
        days.append(pairs)
    if not any(days):
        days[0] = ((9 * 60, 17 * 60),)
    holidays = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=20))
    return Calendar(time_zone=draw(st.sampled_from(ZONES)), weekly=tuple(days), holidays=holidays)


starts = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC))
durations = st.timedeltas(timedelta(0), timedelta(days=10))


def _due(calendar: Calendar, start: datetime, duration: timedelta) -> datetime | None:
    """The due time, or None when the calendar is open too rarely to reach it (checked, not assumed)."""
    try:
        return add_business_time(calendar, start, duration)
    except CalendarError:
        horizon = start + timedelta(days=SEARCH_LIMIT_DAYS - 1)
        assert business_time_between(calendar, start, horizon) < duration
        return None


@given(calendar=calendars(), start=starts, duration=durations)
def test_time_between_start_and_due_is_the_target(
    calendar: Calendar, start: datetime, duration: timedelta
) -> None:
    due = _due(calendar, start, duration)
    if due is None:
        return

    assert due >= start
    assert business_time_between(calendar, start, due) == duration


@given(calendar=calendars(), start=starts, first=durations, second=durations)
def test_longer_targets_are_never_due_earlier(
    calendar: Calendar, start: datetime, first: timedelta, second: timedelta
) -> None:
    shorter, longer = sorted([first, second])
    early, late = _due(calendar, start, shorter), _due(calendar, start, longer)

    if early is None:
        assert late is None
    elif late is not None:
        assert early <= late


@given(calendar=calendars(), start=starts, duration=st.timedeltas(timedelta(seconds=1), timedelta(days=5)))
def test_a_target_is_due_during_open_time(calendar: Calendar, start: datetime, duration: timedelta) -> None:
    due = _due(calendar, start, duration)
    if due is None:
        return

    assert is_open(calendar, due - timedelta(microseconds=1))


@given(start=starts, duration=durations, zone=st.sampled_from(ZONES))
def test_around_the_clock_is_plain_elapsed_time(start: datetime, duration: timedelta, zone: str) -> None:
    assert add_business_time(around_the_clock(zone), start, duration) == start + duration
