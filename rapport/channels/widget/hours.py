"""Opening hours as the widget shows them, and the call-back windows it offers: pure, no Django.

Windows are wall-clock slots of the calendar's opening hours (two hours long, the last of an interval
shorter), on the next two days the calendar is open, starting today. A calendar open around the
clock offers 08:00-20:00 local: staff may be there at 3 a.m., but a visitor rarely wants that call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from rapport.desk.business_hours import Calendar, add_business_time, is_open

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WINDOW_MINUTES = 120
# A window ending sooner than this is not offered: nobody could call back in time.
LEAD_TIME = timedelta(minutes=15)
CALLBACK_DAYS = 2
# How far ahead to look for open days (a long holiday closes a fortnight at most, in practice).
SEARCH_DAYS = 14
ROUND_THE_CLOCK_CALLS = ((8 * 60, 20 * 60),)
_KEY = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class OpeningDay:
    day: str
    hours: str


@dataclass(frozen=True)
class CallbackWindow:
    key: str
    start: datetime
    end: datetime
    day_label: str
    label: str


def opening_days(calendar: Calendar) -> list[OpeningDay]:
    """One line a weekday, Monday first: "09:00–12:00, 13:00–17:30" or "Closed"."""
    if calendar.always_open:
        return [OpeningDay(day="Every day", hours="Open 24 hours")]
    return [
        OpeningDay(
            day=name,
            hours=", ".join(f"{hhmm(a)}–{hhmm(b)}" for a, b in sorted(intervals)) or "Closed",
        )
        for name, intervals in zip(WEEKDAY_NAMES, calendar.weekly, strict=True)
    ]


def open_now(calendar: Calendar, now: datetime) -> bool:
    return is_open(calendar, now)


def next_opening(calendar: Calendar, now: datetime) -> datetime:
    """Now when open; else the moment the calendar opens next."""
    return add_business_time(calendar, now, timedelta(0))


def _instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    # Wall-clock arithmetic in the zone, then UTC: 14:00 is 14:00 local on either side of a DST change.
    wall = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minute)
    return wall.astimezone(UTC)


def _call_hours(calendar: Calendar, day: date) -> tuple[tuple[int, int], ...]:
    if calendar.always_open:
        return ROUND_THE_CLOCK_CALLS
    if day in calendar.holidays:
        return ()
    return tuple(sorted(calendar.weekly[day.weekday()]))


def _day_label(day: date, today: date) -> str:
    if day == today:
        return "Today"
    if day == today + timedelta(days=1):
        return "Tomorrow"
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.day} {day.strftime('%B')}"


def _slots(intervals: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    slots = []
    for begin, end in intervals:
        for start in range(begin, end, WINDOW_MINUTES):
            slots.append((start, min(start + WINDOW_MINUTES, end)))
    return slots


def window_key(day: date, start: int, end: int) -> str:
    return f"{day.isoformat()}T{hhmm(start)}-{hhmm(end)}"


def callback_windows(calendar: Calendar, now: datetime) -> list[CallbackWindow]:
    """The windows a visitor may choose now: the rest of today and the next open day (or two)."""
    zone = calendar.zone
    today = now.astimezone(zone).date()
    windows: list[CallbackWindow] = []
    days_with_windows = 0
    for offset in range(SEARCH_DAYS):
        day = today + timedelta(days=offset)
        found = False
        for start, end in _slots(_call_hours(calendar, day)):
            end_at = _instant(day, end, zone)
            if end_at <= now + LEAD_TIME:
                continue
            found = True
            windows.append(
                CallbackWindow(
                    key=window_key(day, start, end),
                    start=_instant(day, start, zone),
                    end=end_at,
                    day_label=_day_label(day, today),
                    label=f"{hhmm(start)}–{hhmm(end)}",
                )
            )
        days_with_windows += found
        if days_with_windows >= CALLBACK_DAYS:
            break
    return windows


def parse_window(calendar: Calendar, key: str) -> CallbackWindow:
    """A window key read back: it must be one slot of the calendar's hours on its day (ValueError)."""
    match = _KEY.match(key)
    if match is None:
        raise ValueError("not a call-back window")
    day = date.fromisoformat(match.group(1))
    start = int(match.group(2)) * 60 + int(match.group(3))
    end = int(match.group(4)) * 60 + int(match.group(5))
    if (start, end) not in _slots(_call_hours(calendar, day)):
        raise ValueError("the window is not within the opening hours of its day")
    zone = calendar.zone
    return CallbackWindow(
        key=key,
        start=_instant(day, start, zone),
        end=_instant(day, end, zone),
        day_label=f"{WEEKDAY_NAMES[day.weekday()]} {day.isoformat()}",
        label=f"{hhmm(start)}–{hhmm(end)}",
    )
