"""Forms for the desk's configuration pages, and the text formats people type into them.

Opening hours are typed per weekday as "09:00-12:00, 13:00-17:30" (blank or "closed": closed all
day); SLA targets as business time such as "45m", "1h 30m", "8h" or plain minutes ("90"); the
attachment limit as a size such as "20 MB" or "512 KB" (binary units: 1 KB is 1024 bytes). The
forms only parse; the rules (overlaps, bounds, who may do what) live in services.config, whose
errors the views attach to the same field names.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any

from django import forms
from django.db.models import QuerySet

from rapport.accounts.models import Team, User
from rapport.customers.models import Tag
from rapport.customers.tiers import TIER_CHOICES
from rapport.desk.models import BusinessCalendar, CustomFieldKind, Priority, Status
from rapport.desk.services.config import (
    ATTACHMENT_BYTES,
    AUTO_CLOSE_DAYS,
    MAX_CAPACITY,
    NEAR_BREACH_PERCENT,
    WEEKDAYS,
    clean_week,
    hhmm,
    known_time_zones,
)
from rapport.desk.services.macros import MACRO_STATUSES, MACRO_VARIABLES

KB = 1024
MB = 1024 * 1024

_TIME = r"(\d{1,2})(?:[:.](\d{2}))?"
_RANGE = re.compile(rf"{_TIME}\s*(?:-|–|—|to)\s*{_TIME}")
_DURATION = re.compile(r"(?:(\d+)\s*(?:h|hrs?|hours?|:))?\s*(?:(\d+)\s*(?:m|mins?|minutes?)?)?")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(b|bytes?|k|kb|kib|m|mb|mib)?")


def _minute(hours: str, minutes: str | None, text: str) -> int:
    hour, minute = int(hours), int(minutes or 0)
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise ValueError(f"“{text}” has a time that is not on a clock; use 00:00 to 24:00")
    return hour * 60 + minute


def parse_hours(text: str) -> list[tuple[int, int]]:
    """One day's opening hours: "09:00-12:00, 13:00-17:30" -> [(540, 720), (780, 1050)]."""
    cleaned = text.strip().lower()
    if cleaned in ("", "closed"):
        return []
    intervals = []
    for part in re.split(r"[,;]", cleaned):
        part = part.strip()
        if not part:
            continue
        match = _RANGE.fullmatch(part)
        if match is None:
            raise ValueError(f"“{part}” is not a time range; write it like 09:00-17:30")
        start = _minute(match.group(1), match.group(2), part)
        end = _minute(match.group(3), match.group(4), part)
        intervals.append((start, end))
    return intervals


def format_hours(intervals: list[list[int]] | list[tuple[int, int]]) -> str:
    return ", ".join(f"{hhmm(start)}-{hhmm(end)}" for start, end in intervals)


def parse_duration(text: str) -> int | None:
    """Business time in minutes: "90", "45m", "1h 30m", "1h30", "1:30", "8 hours"; blank: no target."""
    cleaned = text.strip().lower()
    if not cleaned:
        return None
    if cleaned.isdigit():
        return int(cleaned)
    if re.search(r"\d\s*d", cleaned):
        raise ValueError("write days as hours of business time, e.g. 24h for three 8-hour days")
    match = _DURATION.fullmatch(cleaned)
    if match is None or not (match.group(1) or match.group(2)):
        raise ValueError(f"“{text.strip()}” is not a duration; write e.g. 45m, 1h 30m, 8h, or minutes")
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def format_duration(minutes: int | None) -> str:
    if minutes is None:
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}m"
    return f"{hours}h {rest}m" if rest else f"{hours}h"


def parse_size(text: str) -> int:
    """A size in bytes from "20 MB", "512 KB", "1.5 MB" or plain bytes."""
    match = _SIZE.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"“{text.strip()}” is not a size; write e.g. 20 MB or 512 KB")
    unit = (match.group(2) or "b")[0]
    return round(float(match.group(1)) * {"b": 1, "k": KB, "m": MB}[unit])


def format_size(size: int) -> str:
    if size >= MB:
        return f"{size / MB:.2f}".rstrip("0").rstrip(".") + " MB"
    if size >= KB:
        return f"{size / KB:.2f}".rstrip("0").rstrip(".") + " KB"
    return f"{size} bytes"


@cache
def _time_zone_choices() -> list[tuple[str, str]]:
    # Region/City names only: the old aliases (US/Eastern, GB, Etc/GMT+5 with its inverted sign)
    # mislead more than they help.
    regions = {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe"}
    regions |= {"Indian", "Pacific"}
    names = sorted(name for name in known_time_zones() if name.split("/", 1)[0] in regions and "/" in name)
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


def _set_queryset(form: forms.Form, name: str, queryset: QuerySet[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class CalendarForm(forms.Form):
    name = forms.CharField(max_length=100)
    time_zone = forms.ChoiceField(choices=[], initial="UTC")
    always_open = forms.BooleanField(
        required=False,
        label="Open around the clock (24/7)",
        help_text="Weekly hours are kept but not used while this is ticked.",
    )
    holidays = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "2025-12-25\n2025-12-26"}),
        help_text="Closed all day: one date a line, written YYYY-MM-DD.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = list(_time_zone_choices())
        current = str(self.initial.get("time_zone") or "")
        if current and current not in dict(choices):
            choices.append((current, current))
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
        for day in WEEKDAYS:
            self.fields[day] = forms.CharField(
                required=False,
                label=day.capitalize(),
                widget=forms.TextInput(attrs={"placeholder": "closed", "class": "hours"}),
            )
        # Weekdays read best between the time zone and the holidays.
        order = ["name", "time_zone", "always_open", *WEEKDAYS, "holidays"]
        self.fields = {name: self.fields[name] for name in order}

    @classmethod
    def initial_for(cls, calendar: BusinessCalendar) -> dict[str, Any]:
        week = calendar.weekly_hours if len(calendar.weekly_hours or []) == 7 else [[]] * 7
        return {
            "name": calendar.name,
            "time_zone": calendar.time_zone,
            "always_open": calendar.always_open,
            "holidays": "\n".join(calendar.holidays or []),
        } | {day: format_hours(hours) for day, hours in zip(WEEKDAYS, week, strict=True)}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        week: list[list[tuple[int, int]]] = []
        for day in WEEKDAYS:
            try:
                week.append(parse_hours(cleaned.get(day, "")))
            except ValueError as error:
                self.add_error(day, str(error))
                week.append([])
        cleaned["weekly_hours"] = week
        # The service decides overlaps; asking it here shows them with the typing mistakes, not after.
        problems: dict[str, str] = {}
        clean_week(week, problems)
        for day, problem in problems.items():
            if day in self.fields and day not in self.errors:
                self.add_error(day, problem)
        holidays: list[date] = []
        for number, line in enumerate(cleaned.get("holidays", "").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                holidays.append(date.fromisoformat(line.strip()))
            except ValueError:
                self.add_error("holidays", f"line {number}: “{line.strip()}” is not a date; write YYYY-MM-DD")
        cleaned["holiday_dates"] = holidays
        return cleaned


class DurationField(forms.CharField):
    """Business time typed as "1h 30m" or minutes; cleans to minutes, or None when blank."""

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        try:
            return parse_duration(text or "")
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid_duration") from None

    def prepare_value(self, value: Any) -> Any:
        return format_duration(value) if isinstance(value, int) else value


class SlaPolicyForm(forms.Form):
    name = forms.CharField(max_length=100)
    priority = forms.ChoiceField(choices=[("", "Any priority"), *Priority.choices], required=False)
    customer_tag: forms.ModelChoiceField[Tag] = forms.ModelChoiceField(
        queryset=Tag.objects.none(),
        required=False,
        empty_label="Any customer",
        label="Customers tagged",
    )
    customer_tier = forms.ChoiceField(
        choices=[("", "Any value tier"), *[(t, f"{label} or above") for t, label in TIER_CHOICES[1:]]],
        required=False,
        label="Customers of value tier",
        help_text="From lifetime value (Insights); customers not valued yet count as standard.",
    )
    calendar: forms.ModelChoiceField[BusinessCalendar] = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.none(),
        required=False,
        empty_label="Around the clock (24/7)",
        label="Business hours",
    )
    first_response_minutes = DurationField(
        required=False,
        label="First response within",
        help_text="Business time: 45m, 1h 30m, 8h, or minutes (90). Blank: no target.",
    )
    resolution_minutes = DurationField(
        required=False,
        label="Resolve within",
        help_text="Business time, as above; 24h is three 8-hour working days.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(
        self,
        *args: Any,
        tags: QuerySet[Tag],
        calendars: QuerySet[BusinessCalendar],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "customer_tag", tags)
        _set_queryset(self, "calendar", calendars)


class TeamDeskForm(forms.Form):
    is_private = forms.BooleanField(
        required=False,
        label="Private team",
        help_text="Its conversations are seen only by its members and admins.",
    )
    route_to_associate = forms.BooleanField(
        required=False,
        label="Route to the customer's associate",
        help_text="When the associate is working and under capacity.",
    )
    round_robin = forms.BooleanField(
        required=False, label="Round robin", help_text="Otherwise to the least-loaded working member."
    )
    calendar: forms.ModelChoiceField[BusinessCalendar] = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.none(),
        required=False,
        empty_label="Always working (no calendar)",
        label="Working hours",
    )
    default_capacity = forms.IntegerField(
        label="Default capacity",
        help_text="Open conversations a member carries unless set for them; 0 takes none by round robin.",
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_CAPACITY}),
    )

    def __init__(self, *args: Any, calendars: QuerySet[BusinessCalendar], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "calendar", calendars)


class MemberForm(forms.Form):
    capacity = forms.IntegerField(
        required=False,
        label="Capacity",
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_CAPACITY, "placeholder": "default"}),
    )
    calendar: forms.ModelChoiceField[BusinessCalendar] = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.none(),
        required=False,
        empty_label="Team's hours",
        label="Hours",
    )

    def __init__(self, *args: Any, calendars: QuerySet[BusinessCalendar], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "calendar", calendars)


class DeskSettingsForm(forms.Form):
    auto_close_after_days = forms.IntegerField(
        label="Close resolved conversations after (days)",
        help_text=f"{AUTO_CLOSE_DAYS[0]} to {AUTO_CLOSE_DAYS[1]} days without a reply from the customer.",
        widget=forms.NumberInput(attrs={"min": AUTO_CLOSE_DAYS[0], "max": AUTO_CLOSE_DAYS[1]}),
    )
    near_breach_percent = forms.IntegerField(
        label="Near breach at (% of the target)",
        help_text=f"{NEAR_BREACH_PERCENT[0]} to {NEAR_BREACH_PERCENT[1]} %.",
        widget=forms.NumberInput(attrs={"min": NEAR_BREACH_PERCENT[0], "max": NEAR_BREACH_PERCENT[1]}),
    )
    max_attachment_bytes = forms.CharField(
        label="Largest attachment",
        help_text=f"{format_size(ATTACHMENT_BYTES[0])} to {format_size(ATTACHMENT_BYTES[1])}, e.g. 20 MB.",
    )

    def clean_max_attachment_bytes(self) -> int:
        try:
            return parse_size(self.cleaned_data["max_attachment_bytes"])
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid_size") from None


class CustomFieldForm(forms.Form):
    key = forms.CharField(
        max_length=50,
        help_text="Where values are stored, e.g. order_channel. It cannot change later.",
    )
    label = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=CustomFieldKind.choices)
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For choice fields: one choice a line.",
    )
    position = forms.IntegerField(required=False, help_text="Lower comes first. Blank: last.")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # Disabled: the browser does not send it and Django keeps the stored key.
            self.fields["key"].disabled = True

    def clean_choices(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]


class MacroForm(forms.Form):
    name = forms.CharField(max_length=100)
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Reply text",
        help_text="Filled in when the macro is used: "
        + ", ".join(f"{{{{ {name} }}}}" for name in MACRO_VARIABLES)
        + ". Anything the desk cannot fill stays as written for the agent to complete.",
    )
    team: forms.ModelChoiceField[Team] = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="Shared with every team"
    )
    status = forms.ChoiceField(
        required=False,
        label="Set status",
        choices=[("", "Leave as it is"), *((s.value, s.label) for s in MACRO_STATUSES)],
    )
    priority = forms.ChoiceField(
        required=False, label="Set priority", choices=[("", "Leave as it is"), *Priority.choices]
    )
    add_tags = forms.CharField(required=False, label="Add tags", help_text="Separated by commas.")
    assign = forms.ChoiceField(required=False, label="Assign to", choices=[])
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, teams: QuerySet[Team], assignees: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "team", teams)
        field = self.fields["assign"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", "Leave as it is"),
            ("me", "Whoever uses the macro"),
            *((str(user.pk), user.display_name) for user in assignees),
        ]

    @staticmethod
    def initial_for(actions: dict[str, Any]) -> dict[str, Any]:
        return {
            "status": actions.get("status", ""),
            "priority": actions.get("priority", ""),
            "add_tags": ", ".join(actions.get("add_tags", [])),
            "assign": str(actions.get("assign", "")),
        }

    def actions(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "status": data["status"],
            "priority": data["priority"],
            "add_tags": [tag for tag in data["add_tags"].split(",") if tag.strip()],
            # Staff are chosen by id; "me" stands for whoever uses the macro.
            "assign": int(data["assign"]) if data["assign"].isdigit() else data["assign"],
        }


def describe_actions(actions: dict[str, Any], names: dict[int, str]) -> str:
    """What a macro does besides its reply, in words: "status → Resolved · tags billing, refund"."""
    parts = []
    if actions.get("status") in Status.values:
        parts.append(f"status → {Status(actions['status']).label}")
    if actions.get("priority") in Priority.values:
        parts.append(f"priority → {Priority(actions['priority']).label}")
    if actions.get("add_tags"):
        parts.append(f"tags {', '.join(actions['add_tags'])}")
    assign = actions.get("assign")
    if assign == "me":
        parts.append("assign to whoever uses it")
    elif assign:
        parts.append(f"assign to {names.get(assign, 'a former member of staff')}")
    return " · ".join(parts)
