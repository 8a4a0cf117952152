"""Business-hours calendars: opening hours per weekday, holidays, time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import pairwise

from django.db import transaction

from rapport.accounts.audit import record_audit, snapshot
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import Conflict
from rapport.desk.business_hours import MINUTES_PER_DAY, CalendarError
from rapport.desk.models import (
    BusinessCalendar,
)
from rapport.desk.selectors.config import calendar_usage
from rapport.desk.services.config._common import (
    CALENDAR_FIELDS,
    MAX_HOLIDAYS,
    WEEKDAYS,
    audit_save,
    clean_name,
    hhmm,
    invalid,
    known_time_zones,
)


def clean_week(
    weekly_hours: Sequence[Sequence[tuple[int, int]]], errors: dict[str, str]
) -> list[list[list[int]]]:
    """The week sorted and stored as lists; each day's problem (reversed, outside a day, overlapping)
    goes into errors under the weekday's name. Forms call it too, to show every day's problem at once."""
    if len(weekly_hours) != 7:
        errors["weekly_hours"] = "give opening hours for each of the seven weekdays, Monday first"
        return [[] for _ in WEEKDAYS]
    week: list[list[list[int]]] = []
    for day_name, day in zip(WEEKDAYS, weekly_hours, strict=True):
        intervals = sorted((int(start), int(end)) for start, end in day)
        for start, end in intervals:
            if start >= end:
                errors[day_name] = (
                    f"{hhmm(start)}-{hhmm(end)} ends before it starts; split overnight hours over two days"
                )
            elif start < 0 or end > MINUTES_PER_DAY:
                errors[day_name] = f"{hhmm(start)}-{hhmm(end)} is not within one day (00:00 to 24:00)"
        if day_name not in errors:
            for (start, end), (next_start, next_end) in pairwise(intervals):
                if next_start < end:
                    errors[day_name] = (
                        f"{hhmm(start)}-{hhmm(end)} overlaps {hhmm(next_start)}-{hhmm(next_end)}"
                    )
                    break
        week.append([[start, end] for start, end in intervals])
    return week


def _clean_holidays(holidays: Sequence[date | str], errors: dict[str, str]) -> list[str]:
    days: set[date] = set()
    for raw in holidays:
        if isinstance(raw, date):
            days.add(raw)
            continue
        try:
            days.add(date.fromisoformat(raw.strip()))
        except ValueError:
            errors["holidays"] = f"“{raw}” is not a date; write one date a line as YYYY-MM-DD"
            break
    if len(days) > MAX_HOLIDAYS:
        errors["holidays"] = f"at most {MAX_HOLIDAYS} holidays"
    return [day.isoformat() for day in sorted(days)]


@transaction.atomic
def save_calendar(
    *,
    actor: Actor,
    calendar: BusinessCalendar | None = None,
    name: str,
    time_zone: str,
    always_open: bool,
    weekly_hours: Sequence[Sequence[tuple[int, int]]],
    holidays: Sequence[date | str] = (),
) -> BusinessCalendar:
    """Create a calendar, or change one; weekly hours are minutes from local midnight, Monday first."""
    actor.require(Perm.DESK_CONFIGURE)
    errors: dict[str, str] = {}
    others = BusinessCalendar.objects.filter(name__iexact=name.strip())
    if calendar is not None:
        calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        others = others.exclude(pk=calendar.pk)
    name = clean_name(name, errors, what="calendar", taken=others.exists())
    time_zone = time_zone.strip()
    if time_zone not in known_time_zones():
        errors["time_zone"] = f"“{time_zone}” is not a known time zone; choose one such as Europe/London"
    week = clean_week(weekly_hours, errors)
    if not always_open and not any(week) and not errors.keys() & set(WEEKDAYS):
        errors["weekly_hours"] = (
            "the calendar is never open: give opening hours for at least one weekday, "
            "or mark it open around the clock"
        )
    days = _clean_holidays(holidays, errors)
    target = calendar or BusinessCalendar()
    before = snapshot(target, CALENDAR_FIELDS) if calendar is not None else None
    target.name, target.time_zone, target.always_open = name, time_zone, always_open
    target.weekly_hours, target.holidays = week, days
    if not errors:
        # The pure calendar is what SLA clocks will run on; anything it refuses must not be stored.
        try:
            target.as_calendar()
        except CalendarError as error:
            errors["weekly_hours"] = str(error)
    if errors:
        raise invalid(errors, "invalid_calendar")
    target.save()
    audit_save(actor, "desk.calendar", target, before, CALENDAR_FIELDS)
    return target


@transaction.atomic
def delete_calendar(*, actor: Actor, calendar: BusinessCalendar) -> None:
    """Delete a calendar nothing runs on.

    Refused while an SLA policy uses it (its due times would lose their hours), and also while a
    team or an agent does: they would silently fall back to "always working" and take
    conversations at night.
    """
    actor.require(Perm.DESK_CONFIGURE)
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    usage = calendar_usage(actor, calendar)
    if usage.in_use:
        raise Conflict(
            f"“{calendar.name}” is in use by {usage.describe()}; choose another calendar for them first",
            code="calendar_in_use",
        )
    record_audit(
        actor=actor,
        action="desk.calendar.delete",
        target=calendar,
        before=snapshot(calendar, CALENDAR_FIELDS),
    )
    calendar.delete()
