"""Business-hours arithmetic for SLA clocks: pure functions, no Django, exact across DST and holidays.

Opening hours are wall-clock intervals per weekday in the calendar's time zone. Business time is real
elapsed time inside those intervals: on the night clocks go forward, 00:00-24:00 holds 23 hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# A calendar open at least once a year always reaches its target well inside this many days.
SEARCH_LIMIT_DAYS = 3 * 366

Interval = tuple[int, int]  # minutes from local midnight, start < end <= 1440


class CalendarError(ValueError):
    """The calendar cannot be used: bad intervals, or never open."""


@dataclass(frozen=True)
class Calendar:
    """Weekly opening hours (Monday first) in a time zone, minus holidays; or open all the time."""

    time_zone: str = "UTC"
    weekly: tuple[tuple[Interval, ...], ...] = ((),) * 7
    holidays: frozenset[date] = field(default_factory=frozenset)
    always_open: bool = False

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise CalendarError("weekly hours need one entry per weekday, Monday first")
        for day in self.weekly:
            previous_end = 0
            for start, end in sorted(day):
                if not 0 <= start < end <= MINUTES_PER_DAY:
                    raise CalendarError(f"interval {start}-{end} is not within one day")
                if start < previous_end:
                    raise CalendarError("intervals of one day overlap")
                previous_end = end
        if not self.always_open and not any(self.weekly):
            raise CalendarError("the calendar is never open")
        ZoneInfo(self.time_zone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def around_the_clock(time_zone: str = "UTC") -> Calendar:
    return Calendar(time_zone=time_zone, always_open=True)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("business-hours arithmetic needs time-zone-aware datetimes")
    return moment.astimezone(UTC)


def _local_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock minute; a minute skipped by DST maps to where the clock jumped."""
    wall = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minute)
    return wall.astimezone(UTC)


def _open_spans(calendar: Calendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Open spans in UTC, in order, from the local day containing start onwards."""
    zone = calendar.zone
    day = start.astimezone(zone).date() - timedelta(days=1)
    last_end = datetime.min.replace(tzinfo=UTC)
    for _ in range(SEARCH_LIMIT_DAYS + 2):
        if day not in calendar.holidays:
            for begin, end in sorted(calendar.weekly[day.weekday()]):
                # Wall times inside a DST gap can map two intervals onto the same instants; never
                # count an instant twice.
                span_start = max(_local_instant(day, begin, zone), last_end)
                span_end = _local_instant(day, end, zone)
                if span_end > span_start:
                    yield span_start, span_end
                    last_end = span_end
        day += timedelta(days=1)


def add_business_time(calendar: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The moment `duration` of open time has passed after `start` (a due time for an SLA target)."""
    if duration < timedelta(0):
        raise ValueError("duration cannot be negative")
    cursor = _aware(start)
    if calendar.always_open:
        return cursor + duration
    remaining = duration
    for span_start, span_end in _open_spans(calendar, cursor):
        if span_end <= cursor:
            continue
        begin = max(span_start, cursor)
        available = span_end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise CalendarError(f"the calendar has no open time within {SEARCH_LIMIT_DAYS} days")


def business_time_between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Open time elapsed from start to end (zero when end is not after start)."""
    begin, finish = _aware(start), _aware(end)
    if finish <= begin:
        return timedelta(0)
    if calendar.always_open:
        return finish - begin
    total = timedelta(0)
    for span_start, span_end in _open_spans(calendar, begin):
        if span_start >= finish:
            break
        overlap = min(span_end, finish) - max(span_start, begin)
        if overlap > timedelta(0):
            total += overlap
    return total


def is_open(calendar: Calendar, moment: datetime) -> bool:
    instant = _aware(moment)
    if calendar.always_open:
        return True
    for span_start, span_end in _open_spans(calendar, instant):
        if span_start > instant:
            return False
        if span_start <= instant < span_end:
            return True
    return False
