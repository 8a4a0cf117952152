"""Call-back windows and opening hours, checked across time zones, DST changes and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.channels.widget.hours import (
    LEAD_TIME,
    callback_windows,
    opening_days,
    parse_window,
)
from rapport.desk.business_hours import Calendar, around_the_clock, is_open

LONDON = Calendar(
    time_zone="Europe/London",
    weekly=(((540, 720), (780, 1050)),) * 5 + (((600, 840),), ()),
    holidays=frozenset({date(2026, 12, 25)}),
)


def test_opening_days_list_every_weekday_monday_first() -> None:
    days = opening_days(LONDON)

    assert [(d.day, d.hours) for d in days] == [
        ("Monday", "09:00–12:00, 13:00–17:30"),
        ("Tuesday", "09:00–12:00, 13:00–17:30"),
        ("Wednesday", "09:00–12:00, 13:00–17:30"),
        ("Thursday", "09:00–12:00, 13:00–17:30"),
        ("Friday", "09:00–12:00, 13:00–17:30"),
        ("Saturday", "10:00–14:00"),
        ("Sunday", "Closed"),
    ]


def test_a_round_the_clock_calendar_offers_daytime_calls() -> None:
    windows = callback_windows(around_the_clock(), datetime(2026, 6, 1, 21, 0, tzinfo=UTC))

    assert [w.key for w in windows][:2] == ["2026-06-02T08:00-10:00", "2026-06-02T10:00-12:00"]
    assert {w.day_label for w in windows} == {"Tomorrow", "Wednesday 3 June"}


def test_a_holiday_offers_nothing_and_the_next_open_days_follow() -> None:
    windows = callback_windows(LONDON, datetime(2026, 12, 24, 18, 0, tzinfo=UTC))

    assert sorted({w.key[:10] for w in windows}) == ["2026-12-26", "2026-12-28"]


def test_windows_keep_local_hours_across_the_spring_dst_change() -> None:
    # Sunday 29 March 2026 the clocks go forward; Monday's 09:00 in London is 08:00 UTC.
    windows = callback_windows(LONDON, datetime(2026, 3, 28, 20, 0, tzinfo=UTC))

    monday = [w for w in windows if w.key.startswith("2026-03-30")]
    assert monday[0].start == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert monday[0].label == "09:00–11:00"


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)))
def test_every_offered_window_is_inside_opening_hours_and_ends_in_the_future(moment: datetime) -> None:
    now = moment.replace(tzinfo=UTC)

    windows = callback_windows(LONDON, now)

    assert windows
    assert len({w.key[:10] for w in windows}) <= 2
    for window in windows:
        assert window.start < window.end <= window.start + timedelta(hours=2)
        assert window.end > now + LEAD_TIME
        assert is_open(LONDON, window.start)
        assert is_open(LONDON, window.end - timedelta(seconds=1))
        assert parse_window(LONDON, window.key).start == window.start
