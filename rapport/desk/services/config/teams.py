"""Team routing rules, agents' capacity and hours, and the team roster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from rapport.accounts.audit import changed, record_audit, snapshot
from rapport.accounts.models import Team, User
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import PermissionDenied
from rapport.desk.models import (
    AgentPresence,
    BusinessCalendar,
    TeamDesk,
)
from rapport.desk.services.config._common import MAX_CAPACITY, TEAM_DESK_FIELDS, audit_save, invalid
from rapport.desk.services.routing import can_take_conversations, is_working, open_load


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
        raise invalid(errors, "invalid_team_desk")
    desk = TeamDesk.objects.select_for_update().filter(team=team).first()
    before = snapshot(desk, TEAM_DESK_FIELDS) if desk is not None else None
    desk = desk or TeamDesk(team=team)
    desk.is_private, desk.route_to_associate, desk.round_robin = is_private, route_to_associate, round_robin
    desk.calendar, desk.default_capacity = calendar, default_capacity
    desk.save()
    audit_save(actor, "desk.team_desk", desk, before, TEAM_DESK_FIELDS)
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
        raise invalid(errors, "invalid_presence")
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
