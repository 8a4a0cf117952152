"""What every part of the desk configuration shares: bounds, name checks, audit of a save."""

from __future__ import annotations

from functools import cache
from typing import Any

from rapport.accounts.audit import changed, record_audit, snapshot
from rapport.accounts.permissions import Actor
from rapport.core.errors import ValidationFailed

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_NAME = 100
MAX_HOLIDAYS = 500
MAX_CAPACITY = 1000
# A target longer than a year of business time is a typo, not a promise to a customer.
MAX_TARGET_MINUTES = 366 * 24 * 60
AUTO_CLOSE_DAYS = (1, 90)
NEAR_BREACH_PERCENT = (50, 99)
ATTACHMENT_BYTES = (1024, 50 * 1024 * 1024)
MAX_CHOICES = 100
MAX_CHOICE_LENGTH = 100
MAX_MACRO_BODY = 20_000

CALENDAR_FIELDS = ["name", "time_zone", "always_open", "weekly_hours", "holidays"]
POLICY_FIELDS = [
    "name",
    "position",
    "is_active",
    "priority",
    "customer_tier",
    "customer_tag",
    "calendar",
    "first_response_minutes",
    "resolution_minutes",
]
TEAM_DESK_FIELDS = ["is_private", "route_to_associate", "round_robin", "calendar", "default_capacity"]
SETTINGS_FIELDS = ["auto_close_after_days", "near_breach_percent", "max_attachment_bytes"]
FIELD_FIELDS = ["key", "label", "kind", "choices", "position", "is_active"]
MACRO_FIELDS = ["name", "body", "actions", "team", "is_active"]


@cache
def known_time_zones() -> frozenset[str]:
    """IANA zone names a calendar may use; "localtime" and "Factory" say nothing about a place."""
    from zoneinfo import available_timezones

    return frozenset(available_timezones() - {"localtime", "Factory"})


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def invalid(errors: dict[str, str], code: str) -> ValidationFailed:
    return ValidationFailed(
        "; ".join(f"{key}: {message}" for key, message in errors.items()), code=code, errors=errors
    )


def clean_name(raw: str, errors: dict[str, str], *, what: str, taken: bool) -> str:
    name = raw.strip()
    if not name:
        errors["name"] = f"a {what} needs a name"
    elif len(name) > MAX_NAME:
        errors["name"] = f"at most {MAX_NAME} characters"
    elif taken:
        errors["name"] = f"another {what} is called “{name}”"
    return name


def audit_save(
    actor: Actor, action: str, instance: Any, before: dict[str, Any] | None, fields: list[str]
) -> None:
    after = snapshot(instance, fields)
    if before is None:
        record_audit(actor=actor, action=f"{action}.create", target=instance, after=after)
        return
    old, new = changed(before, after)
    if new:
        record_audit(actor=actor, action=f"{action}.update", target=instance, before=old, after=new)
