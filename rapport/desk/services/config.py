"""Writes for the desk's configuration: calendars, SLA policies, team rules, capacities, fields, macros.

Who may change what (rules in one place, checked by every function here):
- calendars, SLA policies, team routing rules, custom fields and desk-wide settings need
  Perm.DESK_CONFIGURE: admins, signed in (no token scope grants it);
- an agent's capacity and calendar are a lead's call (Perm.DESK_ASSIGN) for the members of their
  own team, and an admin's for anyone;
- macros are managed by leads and admins (Perm.DESK_ASSIGN). An admin manages every macro. A lead
  manages the shared macros (no team) and their own team's, and cannot create, edit or delete
  another team's: that team's lead answers for what its agents send.

Each change is checked completely before anything is written, then saved and audited in one
transaction: a refused change leaves nothing half-written. Validation errors carry `errors`, a
mapping from the argument (or, for opening hours, the weekday) to a message a form can show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from itertools import pairwise
from typing import Any, Literal

from django.db import transaction
from django.db.models import Max

from rapport.accounts.audit import changed, record_audit, snapshot
from rapport.accounts.models import Team, User
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import Conflict, PermissionDenied, ValidationFailed
from rapport.customers.models import Tag
from rapport.desk.business_hours import MINUTES_PER_DAY, CalendarError
from rapport.desk.models import (
    AgentPresence,
    BusinessCalendar,
    Conversation,
    CustomField,
    CustomFieldKind,
    DeskSettings,
    Macro,
    Priority,
    SlaPolicy,
    TeamDesk,
)
from rapport.desk.selectors.config import calendar_usage, may_manage_macros_of
from rapport.desk.services import macros
from rapport.desk.services.routing import can_take_conversations, is_working, open_load

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


def _invalid(errors: dict[str, str], code: str) -> ValidationFailed:
    return ValidationFailed(
        "; ".join(f"{key}: {message}" for key, message in errors.items()), code=code, errors=errors
    )


def _clean_name(raw: str, errors: dict[str, str], *, what: str, taken: bool) -> str:
    name = raw.strip()
    if not name:
        errors["name"] = f"a {what} needs a name"
    elif len(name) > MAX_NAME:
        errors["name"] = f"at most {MAX_NAME} characters"
    elif taken:
        errors["name"] = f"another {what} is called “{name}”"
    return name


def _audit_save(
    actor: Actor, action: str, instance: Any, before: dict[str, Any] | None, fields: list[str]
) -> None:
    after = snapshot(instance, fields)
    if before is None:
        record_audit(actor=actor, action=f"{action}.create", target=instance, after=after)
        return
    old, new = changed(before, after)
    if new:
        record_audit(actor=actor, action=f"{action}.update", target=instance, before=old, after=new)


# Calendars


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
    name = _clean_name(name, errors, what="calendar", taken=others.exists())
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
        raise _invalid(errors, "invalid_calendar")
    target.save()
    _audit_save(actor, "desk.calendar", target, before, CALENDAR_FIELDS)
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


# SLA policies


def _clean_target(minutes: int | None, key: str, errors: dict[str, str]) -> int | None:
    if minutes is None:
        return None
    if not 1 <= minutes <= MAX_TARGET_MINUTES:
        errors[key] = f"between 1 minute and {MAX_TARGET_MINUTES // (24 * 60)} days of business time"
    return minutes


@transaction.atomic
def save_sla_policy(
    *,
    actor: Actor,
    policy: SlaPolicy | None = None,
    name: str,
    priority: str = "",
    customer_tag: Tag | None = None,
    calendar: BusinessCalendar | None = None,
    first_response_minutes: int | None,
    resolution_minutes: int | None,
    is_active: bool = True,
) -> SlaPolicy:
    """Create or change a policy; targets are minutes of business time on the calendar (none: 24/7).

    A new policy goes last, so it never takes over conversations an earlier policy already matches.
    Changes apply to conversations opened afterwards and to those whose priority changes.
    """
    actor.require(Perm.DESK_CONFIGURE)
    errors: dict[str, str] = {}
    others = SlaPolicy.objects.filter(name__iexact=name.strip())
    if policy is not None:
        policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
        others = others.exclude(pk=policy.pk)
    name = _clean_name(name, errors, what="policy", taken=others.exists())
    if priority not in ("", *Priority.values):
        errors["priority"] = f"unknown priority “{priority}”"
    first = _clean_target(first_response_minutes, "first_response_minutes", errors)
    resolution = _clean_target(resolution_minutes, "resolution_minutes", errors)
    if first is None and resolution is None:
        errors["first_response_minutes"] = "set a first-response target, a resolution target, or both"
    elif first is not None and resolution is not None and first > resolution and not errors:
        errors["resolution_minutes"] = "the resolution target cannot come before the first-response target"
    if errors:
        raise _invalid(errors, "invalid_sla_policy")
    target = policy or SlaPolicy(
        position=(SlaPolicy.objects.aggregate(last=Max("position"))["last"] or 0) + 1
    )
    before = snapshot(target, POLICY_FIELDS) if policy is not None else None
    target.name, target.priority, target.is_active = name, priority, is_active
    target.customer_tag, target.calendar = customer_tag, calendar
    target.first_response_minutes, target.resolution_minutes = first, resolution
    target.save()
    _audit_save(actor, "desk.sla_policy", target, before, POLICY_FIELDS)
    return target


@transaction.atomic
def delete_sla_policy(*, actor: Actor, policy: SlaPolicy) -> None:
    """Delete a policy no conversation ran on; one that has served conversations is deactivated instead.

    Deleting a used policy would erase, on every conversation it timed, which targets applied.
    """
    actor.require(Perm.DESK_CONFIGURE)
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    used = Conversation.objects.filter(sla_policy=policy).count()
    if used:
        raise Conflict(
            f"“{policy.name}” has timed {used} conversation{'s' if used != 1 else ''}; "
            "deactivate it instead, so it no longer applies to new ones",
            code="sla_policy_in_use",
        )
    record_audit(
        actor=actor, action="desk.sla_policy.delete", target=policy, before=snapshot(policy, POLICY_FIELDS)
    )
    policy.delete()


def _apply_order(actor: Actor, ordered: list[SlaPolicy]) -> list[SlaPolicy]:
    for position, policy in enumerate(ordered, start=1):
        if policy.position != position:
            record_audit(
                actor=actor,
                action="desk.sla_policy.reorder",
                target=policy,
                before={"position": policy.position},
                after={"position": position},
            )
            policy.position = position
            policy.save(update_fields=["position"])
    return ordered


@transaction.atomic
def reorder_sla_policies(*, actor: Actor, policy_ids: Sequence[int]) -> list[SlaPolicy]:
    """Put every policy in the given order; the first that matches a conversation applies."""
    actor.require(Perm.DESK_CONFIGURE)
    policies = {
        policy.pk: policy for policy in SlaPolicy.objects.select_for_update().order_by("position", "id")
    }
    if sorted(policy_ids) != sorted(policies):
        raise ValidationFailed(
            "give every policy exactly once; the list changed while you were editing it",
            code="invalid_order",
        )
    return _apply_order(actor, [policies[pk] for pk in policy_ids])


@transaction.atomic
def move_sla_policy(*, actor: Actor, policy: SlaPolicy, by: int) -> list[SlaPolicy]:
    """Move a policy up (negative) or down (positive) the order, stopping at either end."""
    actor.require(Perm.DESK_CONFIGURE)
    ordered = list(SlaPolicy.objects.select_for_update().order_by("position", "id"))
    index = next((i for i, item in enumerate(ordered) if item.pk == policy.pk), None)
    if index is None:
        raise ValidationFailed("that policy no longer exists", code="invalid_order")
    moving = ordered.pop(index)
    ordered.insert(max(0, min(len(ordered), index + by)), moving)
    return _apply_order(actor, ordered)


# Teams and agents


def _clean_capacity(capacity: int | None, key: str, errors: dict[str, str]) -> None:
    if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
        errors[key] = f"between 0 and {MAX_CAPACITY} open conversations"


@transaction.atomic
def save_team_desk(
    *,
    actor: Actor,
    team: Team,
    is_private: bool,
    route_to_associate: bool,
    round_robin: bool,
    calendar: BusinessCalendar | None,
    default_capacity: int,
) -> TeamDesk:
    """A team's desk rules: privacy, routing to the customer's associate, round robin, hours, capacity."""
    actor.require(Perm.DESK_CONFIGURE)
    errors: dict[str, str] = {}
    _clean_capacity(default_capacity, "default_capacity", errors)
    if errors:
        raise _invalid(errors, "invalid_team_desk")
    desk = TeamDesk.objects.select_for_update().filter(team=team).first()
    before = snapshot(desk, TEAM_DESK_FIELDS) if desk is not None else None
    desk = desk or TeamDesk(team=team)
    desk.is_private, desk.route_to_associate, desk.round_robin = is_private, route_to_associate, round_robin
    desk.calendar, desk.default_capacity = calendar, default_capacity
    desk.save()
    _audit_save(actor, "desk.team_desk", desk, before, TEAM_DESK_FIELDS)
    return desk


def _require_team_lead(actor: Actor, team_id: int | None, what: str) -> None:
    actor.require(Perm.DESK_ASSIGN)
    if actor.can(Perm.DESK_CONFIGURE):
        return
    if team_id is None or team_id != actor.user.team_id:
        raise PermissionDenied(f"a lead {what} only for their own team", code="permission_denied")


@transaction.atomic
def set_agent_capacity_and_calendar(
    *, actor: Actor, user: User, capacity: int | None, calendar: BusinessCalendar | None
) -> AgentPresence:
    """How many open conversations an agent carries (None: the team's default) and their own hours
    (None: the team's calendar). Whether they are available now is theirs to say (routing.set_presence).
    """
    _require_team_lead(actor, user.team_id, "sets capacity and hours")
    errors: dict[str, str] = {}
    if not can_take_conversations(user):
        errors["user"] = f"{user.display_name} does not take conversations"
    _clean_capacity(capacity, "capacity", errors)
    if errors:
        raise _invalid(errors, "invalid_presence")
    presence = AgentPresence.objects.select_for_update().get_or_create(user=user)[0]
    before = {"capacity": presence.capacity, "calendar": presence.calendar_id}
    presence.capacity, presence.calendar = capacity, calendar
    after = {"capacity": presence.capacity, "calendar": presence.calendar_id}
    if before != after:
        presence.save(update_fields=["capacity", "calendar"])
        old, new = changed(before, after)
        record_audit(actor=actor, action="desk.presence.configure", target=presence, before=old, after=new)
    return presence


@dataclass(frozen=True)
class RosterRow:
    user: User
    available: bool
    working: bool
    capacity: int
    capacity_is_default: bool
    calendar: BusinessCalendar | None
    open_load: int

    @property
    def at_capacity(self) -> bool:
        return self.open_load >= self.capacity


def team_roster(*, actor: Actor, team: Team, at: datetime) -> list[RosterRow]:
    """The team's members who take conversations, as routing sees them now.

    A read, but kept beside the services because it asks routing itself (is_working, open_load)
    whether each member would get the next conversation, so the page never disagrees with it.
    """
    _require_team_lead(actor, team.pk, "sees the roster")
    desk = TeamDesk.objects.filter(team=team).first()
    default_capacity = desk.default_capacity if desk else TeamDesk().default_capacity
    members = [
        user
        for user in User.objects.filter(team=team, is_active=True).order_by("full_name", "email")
        if can_take_conversations(user)
    ]
    presences = {
        presence.user_id: presence
        for presence in AgentPresence.objects.filter(user__in=members).select_related("calendar")
    }
    rows = []
    for user in members:
        presence = presences.get(user.pk)
        capacity = presence.capacity if presence else None
        rows.append(
            RosterRow(
                user=user,
                available=presence.available if presence else True,
                working=is_working(user, at),
                capacity=capacity if capacity is not None else default_capacity,
                capacity_is_default=capacity is None,
                calendar=presence.calendar if presence else None,
                open_load=open_load(user),
            )
        )
    return rows


# Desk-wide settings


@transaction.atomic
def save_desk_settings(
    *, actor: Actor, auto_close_after_days: int, near_breach_percent: int, max_attachment_bytes: int
) -> DeskSettings:
    actor.require(Perm.DESK_CONFIGURE)
    errors: dict[str, str] = {}
    low, high = AUTO_CLOSE_DAYS
    if not low <= auto_close_after_days <= high:
        errors["auto_close_after_days"] = f"between {low} and {high} days"
    low, high = NEAR_BREACH_PERCENT
    if not low <= near_breach_percent <= high:
        errors["near_breach_percent"] = f"between {low} % and {high} % of the target"
    low, high = ATTACHMENT_BYTES
    if not low <= max_attachment_bytes <= high:
        errors["max_attachment_bytes"] = "between 1 KB and 50 MB"
    if errors:
        raise _invalid(errors, "invalid_desk_settings")
    settings = DeskSettings.objects.select_for_update().get_or_create(pk=1)[0]
    before = snapshot(settings, SETTINGS_FIELDS)
    settings.auto_close_after_days = auto_close_after_days
    settings.near_breach_percent = near_breach_percent
    settings.max_attachment_bytes = max_attachment_bytes
    settings.save()
    _audit_save(actor, "desk.settings", settings, before, SETTINGS_FIELDS)
    return settings


# Custom fields


def custom_field_in_use(field: CustomField) -> bool:
    return Conversation.objects.filter(custom_fields__has_key=field.key).exists()


def _clean_choices(kind: str, choices: Sequence[str], errors: dict[str, str]) -> list[str]:
    if kind != CustomFieldKind.CHOICE:
        # Only choice fields have choices; leftovers from a kind picked earlier in the form go.
        return []
    cleaned: list[str] = []
    for raw in choices:
        choice = raw.strip()
        if len(choice) > MAX_CHOICE_LENGTH:
            errors["choices"] = f"each choice has at most {MAX_CHOICE_LENGTH} characters"
        elif choice and choice not in cleaned:
            cleaned.append(choice)
    if not cleaned:
        errors["choices"] = "a choice field needs at least one choice"
    elif len(cleaned) > MAX_CHOICES:
        errors["choices"] = f"at most {MAX_CHOICES} choices"
    return cleaned


@transaction.atomic
def save_custom_field(
    *,
    actor: Actor,
    field: CustomField | None = None,
    key: str,
    label: str,
    kind: str,
    choices: Sequence[str] = (),
    position: int | None = None,
    is_active: bool = True,
) -> CustomField:
    """Define a field conversations can carry. Its key is fixed once created: stored values are
    filed under it. Its kind is fixed once a conversation has a value for it."""
    actor.require(Perm.DESK_CONFIGURE)
    errors: dict[str, str] = {}
    key = key.strip()
    if field is not None:
        field = CustomField.objects.select_for_update().get(pk=field.pk)
        if key != field.key:
            errors["key"] = f"the key of a field cannot change (it stays “{field.key}”)"
        elif kind != field.kind and custom_field_in_use(field):
            errors["kind"] = "conversations already hold values of this field; its kind cannot change"
    elif not re.fullmatch(r"[a-z][a-z0-9_]{0,49}", key):
        errors["key"] = "lower-case letters, digits and underscores, starting with a letter (at most 50)"
    elif CustomField.objects.filter(key=key).exists():
        errors["key"] = f"a field with key “{key}” exists"
    label = label.strip()
    if not label:
        errors["label"] = "a field needs a label"
    elif len(label) > MAX_NAME:
        errors["label"] = f"at most {MAX_NAME} characters"
    if kind not in CustomFieldKind.values:
        errors["kind"] = f"unknown kind “{kind}”"
    cleaned_choices = _clean_choices(kind, choices, errors)
    if position is not None and not 0 <= position <= 10_000:
        errors["position"] = "between 0 and 10000"
    if errors:
        raise _invalid(errors, "invalid_custom_field")
    target = field or CustomField(key=key)
    before = snapshot(target, FIELD_FIELDS) if field is not None else None
    if position is None and field is None:
        position = (CustomField.objects.aggregate(last=Max("position"))["last"] or 0) + 1
    target.label, target.kind, target.choices, target.is_active = label, kind, cleaned_choices, is_active
    if position is not None:
        target.position = position
    target.save()
    _audit_save(actor, "desk.custom_field", target, before, FIELD_FIELDS)
    return target


@transaction.atomic
def delete_custom_field(*, actor: Actor, field: CustomField) -> Literal["deleted", "deactivated"]:
    """Delete a field no conversation holds a value for; a field in use is deactivated instead,
    so its values stay readable on the conversations that have them."""
    actor.require(Perm.DESK_CONFIGURE)
    field = CustomField.objects.select_for_update().get(pk=field.pk)
    if custom_field_in_use(field):
        if field.is_active:
            field.is_active = False
            field.save(update_fields=["is_active"])
            record_audit(
                actor=actor,
                action="desk.custom_field.deactivate",
                target=field,
                before={"is_active": True},
                after={"is_active": False},
            )
        return "deactivated"
    record_audit(
        actor=actor, action="desk.custom_field.delete", target=field, before=snapshot(field, FIELD_FIELDS)
    )
    field.delete()
    return "deleted"


# Macros


def _require_macro_scope(actor: Actor, team_id: int | None) -> None:
    actor.require(Perm.DESK_ASSIGN)
    if not may_manage_macros_of(actor, team_id):
        raise PermissionDenied(
            "a lead manages shared macros and those of their own team", code="permission_denied"
        )


def clean_macro_actions(actions: Mapping[str, Any]) -> dict[str, Any]:
    """The actions a macro applies, normalised, blank ones dropped; raises with errors per action.

    The shape is the one macros.apply_macro runs (one rule for both); on top, whoever a macro
    assigns to must exist now and take conversations, so a macro is not saved broken.
    """
    checked = macros.clean_macro_actions(dict(actions))
    if isinstance(checked.assign, int):
        assignee = User.objects.filter(pk=checked.assign).first()
        if assignee is None or not can_take_conversations(assignee):
            problem = "assign to whoever uses the macro, or to a member of staff who takes conversations"
            raise _invalid({"assign": problem}, "invalid_macro_actions")
    return checked.as_dict()


def _check_body(body: str, errors: dict[str, str]) -> None:
    if len(body) > MAX_MACRO_BODY:
        errors["body"] = f"at most {MAX_MACRO_BODY} characters"
        return
    unknown = macros.unknown_variables(body)
    if unknown:
        names = ", ".join(f"{{{{ {name} }}}}" for name in unknown)
        errors["body"] = f"the desk cannot fill {names}; use the variables listed below the text"


@transaction.atomic
def save_macro(
    *,
    actor: Actor,
    macro: Macro | None = None,
    name: str,
    body: str,
    actions: Mapping[str, Any],
    team: Team | None,
    is_active: bool = True,
) -> Macro:
    """Create or change a macro: a reply text with variables, and actions applied when it is used."""
    if macro is not None:
        macro = Macro.objects.select_for_update().get(pk=macro.pk)
        _require_macro_scope(actor, macro.team_id)
    _require_macro_scope(actor, team.pk if team else None)
    errors: dict[str, str] = {}
    same_scope = Macro.objects.filter(name__iexact=name.strip(), team=team)
    if macro is not None:
        same_scope = same_scope.exclude(pk=macro.pk)
    name = _clean_name(
        name, errors, what="macro of this team" if team else "shared macro", taken=same_scope.exists()
    )
    _check_body(body, errors)
    try:
        cleaned_actions = clean_macro_actions(actions)
    except ValidationFailed as error:
        errors |= error.errors
        cleaned_actions = {}
    if not body.strip() and not cleaned_actions and not errors:
        errors["body"] = "a macro needs a reply text, at least one action, or both"
    if errors:
        raise _invalid(errors, "invalid_macro")
    target = macro or Macro(created_by=actor.user)
    before = snapshot(target, MACRO_FIELDS) if macro is not None else None
    target.name, target.body, target.actions = name, body.strip(), cleaned_actions
    target.team, target.is_active = team, is_active
    target.save()
    _audit_save(actor, "desk.macro", target, before, MACRO_FIELDS)
    return target


@transaction.atomic
def delete_macro(*, actor: Actor, macro: Macro) -> None:
    macro = Macro.objects.select_for_update().get(pk=macro.pk)
    _require_macro_scope(actor, macro.team_id)
    record_audit(actor=actor, action="desk.macro.delete", target=macro, before=snapshot(macro, MACRO_FIELDS))
    macro.delete()
