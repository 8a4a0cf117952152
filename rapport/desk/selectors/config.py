"""Reads for the desk's configuration pages: calendars with a preview, SLA policies, teams, fields, macros.

Configuration is an admin's (Perm.DESK_CONFIGURE). Macros are also a lead's (Perm.DESK_ASSIGN): a
lead sees and manages the shared ones and their own team's, an admin every one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet

from rapport.accounts.models import Role, Team, User
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import NotFound
from rapport.customers.models import Tag
from rapport.desk.business_hours import CalendarError, add_business_time, is_open
from rapport.desk.models import (
    AgentPresence,
    BusinessCalendar,
    CustomField,
    DeskSettings,
    Macro,
    SlaPolicy,
    TeamDesk,
)

# Staff roles that take conversations (the same rule as routing.can_take_conversations).
WORKING_ROLES = (Role.ADMIN, Role.LEAD, Role.AGENT)


# Calendars


def calendars_visible_to(actor: Actor) -> QuerySet[BusinessCalendar]:
    actor.require(Perm.DESK_CONFIGURE)
    return BusinessCalendar.objects.order_by("name")


def access_calendar(actor: Actor, calendar_id: int) -> BusinessCalendar:
    calendar = calendars_visible_to(actor).filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound(f"no calendar {calendar_id}", code="calendar_not_found")
    return calendar


@dataclass(frozen=True)
class CalendarPreview:
    """Whether a calendar is open at a moment, and if not, when it next opens (in its own time zone)."""

    calendar: BusinessCalendar
    open_now: bool
    next_open: datetime | None
    problem: str = ""

    @property
    def next_open_label(self) -> str:
        if self.next_open is None:
            return ""
        moment = self.next_open
        return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M} ({self.calendar.time_zone})"


def preview_calendar(calendar: BusinessCalendar, at: datetime) -> CalendarPreview:
    try:
        pure = calendar.as_calendar()
        if is_open(pure, at):
            return CalendarPreview(calendar=calendar, open_now=True, next_open=None)
        # Zero business time after a closed moment lands on the next opening.
        opens = add_business_time(pure, at, timedelta(0))
    except (CalendarError, ValueError) as error:
        return CalendarPreview(calendar=calendar, open_now=False, next_open=None, problem=str(error))
    return CalendarPreview(
        calendar=calendar, open_now=False, next_open=opens.astimezone(ZoneInfo(calendar.time_zone))
    )


def calendar_previews(actor: Actor, *, at: datetime) -> list[CalendarPreview]:
    return [preview_calendar(calendar, at) for calendar in calendars_visible_to(actor)]


@dataclass(frozen=True)
class CalendarUsage:
    policies: list[str]
    teams: list[str]
    agents: list[str]

    @property
    def in_use(self) -> bool:
        return bool(self.policies or self.teams or self.agents)

    def describe(self) -> str:
        parts = []
        if self.policies:
            parts.append(f"SLA policies {', '.join(self.policies)}")
        if self.teams:
            parts.append(f"teams {', '.join(self.teams)}")
        if self.agents:
            parts.append(f"agents {', '.join(self.agents)}")
        return "; ".join(parts)


def calendar_usage(actor: Actor, calendar: BusinessCalendar) -> CalendarUsage:
    """What runs on this calendar: SLA policies, teams and agents with their own hours."""
    actor.require(Perm.DESK_CONFIGURE)
    return CalendarUsage(
        policies=list(SlaPolicy.objects.filter(calendar=calendar).values_list("name", flat=True)),
        teams=list(TeamDesk.objects.filter(calendar=calendar).values_list("team__name", flat=True)),
        agents=[
            presence.user.display_name
            for presence in AgentPresence.objects.filter(calendar=calendar).select_related("user")
        ],
    )


# SLA policies


def sla_policies_visible_to(actor: Actor) -> QuerySet[SlaPolicy]:
    actor.require(Perm.DESK_CONFIGURE)
    return SlaPolicy.objects.select_related("calendar", "customer_tag").order_by("position", "id")


def access_sla_policy(actor: Actor, policy_id: int) -> SlaPolicy:
    policy = sla_policies_visible_to(actor).filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(f"no SLA policy {policy_id}", code="sla_policy_not_found")
    return policy


def tags_for_policies(actor: Actor) -> QuerySet[Tag]:
    """Customer tags a policy may be limited to."""
    actor.require(Perm.DESK_CONFIGURE)
    return Tag.objects.order_by("name")


# Teams


@dataclass(frozen=True)
class TeamDeskRow:
    team: Team
    # Unsaved defaults when the team's desk was never configured.
    desk: TeamDesk
    members: int


def team_desks_visible_to(actor: Actor) -> list[TeamDeskRow]:
    actor.require(Perm.DESK_CONFIGURE)
    teams = Team.objects.annotate(
        working=Count("members", filter=Q(members__is_active=True, members__role__in=WORKING_ROLES))
    ).order_by("name")
    desks = {desk.team_id: desk for desk in TeamDesk.objects.select_related("calendar")}
    return [
        TeamDeskRow(team=team, desk=desks.get(team.pk) or TeamDesk(team=team), members=team.working)
        for team in teams
    ]


def access_team(actor: Actor, team_id: int) -> Team:
    actor.require(Perm.DESK_CONFIGURE)
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound(f"no team {team_id}", code="team_not_found")
    return team


def team_desk_of(actor: Actor, team: Team) -> TeamDesk:
    """The team's desk rules, or unsaved defaults when none were set."""
    actor.require(Perm.DESK_CONFIGURE)
    return TeamDesk.objects.select_related("calendar").filter(team=team).first() or TeamDesk(team=team)


def access_team_member(actor: Actor, team: Team, user_id: int) -> User:
    actor.require(Perm.DESK_ASSIGN)
    user = User.objects.filter(pk=user_id, team=team).first()
    if user is None:
        raise NotFound(f"no member {user_id} in {team.name}", code="member_not_found")
    return user


# Desk-wide settings and custom fields


def desk_settings_for(actor: Actor) -> DeskSettings:
    """The desk's settings; the defaults until an admin first saves them."""
    actor.require(Perm.DESK_CONFIGURE)
    return DeskSettings.objects.filter(pk=1).first() or DeskSettings(pk=1)


def custom_fields_visible_to(actor: Actor) -> QuerySet[CustomField]:
    actor.require(Perm.DESK_CONFIGURE)
    return CustomField.objects.order_by("position", "label")


def access_custom_field(actor: Actor, field_id: int) -> CustomField:
    field = custom_fields_visible_to(actor).filter(pk=field_id).first()
    if field is None:
        raise NotFound(f"no custom field {field_id}", code="custom_field_not_found")
    return field


# Macros


def may_manage_macros_of(actor: Actor, team_id: int | None) -> bool:
    """An admin manages every macro; a lead the shared ones and their own team's; nobody else any."""
    if not actor.can(Perm.DESK_ASSIGN):
        return False
    return actor.can(Perm.DESK_CONFIGURE) or team_id is None or team_id == actor.user.team_id


def macros_manageable_by(actor: Actor) -> QuerySet[Macro]:
    actor.require(Perm.DESK_ASSIGN)
    macros = Macro.objects.select_related("team", "created_by").order_by("team__name", "name")
    if not actor.can(Perm.DESK_CONFIGURE):
        macros = macros.filter(Q(team__isnull=True) | Q(team_id=actor.user.team_id))
    return macros


def access_macro(actor: Actor, macro_id: int) -> Macro:
    """A macro the actor manages; NotFound for another team's, as for one that does not exist."""
    macro = macros_manageable_by(actor).filter(pk=macro_id).first()
    if macro is None:
        raise NotFound(f"no macro {macro_id}", code="macro_not_found")
    return macro


def macro_teams_for(actor: Actor) -> QuerySet[Team]:
    """Teams a macro may be given to by this person (besides sharing it with everyone)."""
    actor.require(Perm.DESK_ASSIGN)
    if actor.can(Perm.DESK_CONFIGURE):
        return Team.objects.order_by("name")
    if actor.user.team_id is None:
        return Team.objects.none()
    return Team.objects.filter(pk=actor.user.team_id).order_by("name")


def macro_assignees(actor: Actor) -> QuerySet[User]:
    """Staff a macro may assign conversations to."""
    actor.require(Perm.DESK_ASSIGN)
    return User.objects.filter(is_active=True, role__in=WORKING_ROLES).order_by("full_name", "email")
