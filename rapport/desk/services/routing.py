"""Who takes a conversation: the customer's own associate when they are in, else the least-loaded teammate.

Every assignment records its reason ("associate of this customer", "round robin"), so a lead can see
why a conversation went where it did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from rapport.accounts.audit import record_audit
from rapport.accounts.models import Role, Team, User
from rapport.accounts.permissions import Actor, Perm, role_permissions
from rapport.core.errors import PermissionDenied, ValidationFailed
from rapport.desk.business_hours import is_open
from rapport.desk.events import record_conversation_event
from rapport.desk.models import AgentPresence, BusinessCalendar, Conversation, Status, TeamDesk

# What counts as an agent's load: conversations that need them now, not those waiting on customers.
LOAD_STATUSES = (Status.NEW, Status.OPEN)

REASON_ASSOCIATE = "associate of this customer"
REASON_ROUND_ROBIN = "round robin"
REASON_MANUAL = "assigned by hand"
REASON_TAKEN = "taken by the agent"


@dataclass(frozen=True)
class TeamRules:
    route_to_associate: bool = True
    round_robin: bool = True
    default_capacity: int = 20


def team_rules(team: Team | None) -> TeamRules:
    desk = TeamDesk.objects.filter(team=team).select_related("calendar").first() if team else None
    if desk is None:
        return TeamRules()
    return TeamRules(desk.route_to_associate, desk.round_robin, desk.default_capacity)


def can_take_conversations(user: User) -> bool:
    return user.is_active and Perm.DESK_WORK in role_permissions(user.role)


def open_load(user: User) -> int:
    return Conversation.objects.filter(assignee=user, status__in=LOAD_STATUSES).count()


def _presence(user: User) -> AgentPresence:
    # Read-only: someone who never set a presence is available, with the team's capacity and hours.
    found = AgentPresence.objects.select_related("calendar").filter(user=user).first()
    return found if found is not None else AgentPresence(user=user)


def _team_calendar(team_id: int | None) -> BusinessCalendar | None:
    if team_id is None:
        return None
    desk = TeamDesk.objects.filter(team_id=team_id).select_related("calendar").first()
    return desk.calendar if desk else None


def _works_now(presence: AgentPresence, team_calendar: BusinessCalendar | None, at: datetime) -> bool:
    if not presence.available:
        return False
    calendar = presence.calendar or team_calendar
    return calendar is None or is_open(calendar.as_calendar(), at)


def is_working(user: User, at: datetime) -> bool:
    """Marked available, and inside their hours (their own calendar, else their team's, else always)."""
    presence = _presence(user)
    if not presence.available:
        return False
    team_calendar = _team_calendar(user.team_id) if presence.calendar is None else None
    return _works_now(presence, team_calendar, at)


def capacity_of(user: User, rules: TeamRules) -> int:
    capacity = _presence(user).capacity
    return capacity if capacity is not None else rules.default_capacity


def route_new_conversation(*, conversation: Conversation, at: datetime) -> None:
    """Pick an assignee for a new conversation (the caller saves); leaves it unassigned when no one can."""
    if conversation.assignee_id is not None:
        return
    associate = conversation.customer.associate
    if conversation.team_id is None and associate is not None and associate.team_id is not None:
        conversation.team_id = associate.team_id
    team = Team.objects.filter(pk=conversation.team_id).first() if conversation.team_id else None
    rules = team_rules(team)
    reasons: list[str] = []
    if rules.route_to_associate and associate is not None:
        if not can_take_conversations(associate):
            reasons.append("the associate does not work the desk")
        elif not is_working(associate, at):
            reasons.append("the associate is not working now")
        elif open_load(associate) >= capacity_of(associate, rules):
            reasons.append("the associate is at capacity")
        else:
            _assign(conversation, associate, reason=REASON_ASSOCIATE, actor=None, at=at)
            return
    if rules.round_robin and team is not None:
        chosen = _least_loaded(team, rules, at)
        if chosen is not None:
            _assign(conversation, chosen, reason=f"{REASON_ROUND_ROBIN} in {team.name}", actor=None, at=at)
            return
        reasons.append(f"nobody in {team.name} is working and under capacity")
    elif team is None:
        reasons.append("no team")
    record_conversation_event(
        conversation=conversation,
        kind="conversation.unassigned",
        summary=f"Waiting for an agent: {'; '.join(reasons) or 'routing is off for this team'}",
        data={"reasons": reasons},
    )


def _least_loaded(team: Team, rules: TeamRules, at: datetime) -> User | None:
    """The teammate with the lowest load for their capacity; ties go to whoever waited longest."""
    members = list(
        User.objects.filter(team=team, is_active=True, role__in=[Role.AGENT, Role.LEAD, Role.ADMIN]).annotate(
            load=Count("assigned_conversations", filter=Q(assigned_conversations__status__in=LOAD_STATUSES))
        )
    )
    presences = {
        p.user_id: p
        for p in AgentPresence.objects.select_for_update(of=("self",))
        .filter(user__in=members)
        .select_related("calendar")
    }
    team_calendar = _team_calendar(team.pk)
    best: tuple[float, datetime, int] | None = None
    chosen: User | None = None
    for member in members:
        presence = presences.get(member.pk) or AgentPresence(user=member)
        # Members share the team, so its calendar is read once for all of them.
        if not _works_now(presence, team_calendar, at):
            continue
        capacity = presence.capacity if presence.capacity is not None else rules.default_capacity
        load: int = member.load
        if capacity == 0 or load >= capacity:
            continue
        waited = presence.last_assigned_at or datetime.min.replace(tzinfo=at.tzinfo)
        key = (load / capacity, waited, member.pk)
        if best is None or key < best:
            best, chosen = key, member
    return chosen


def _assign(
    conversation: Conversation, user: User | None, *, reason: str, actor: Actor | None, at: datetime
) -> None:
    previous = conversation.assignee
    conversation.assignee = user
    conversation.assigned_reason = reason if user is not None else ""
    conversation.assigned_at = at if user is not None else None
    conversation.updated_at = at
    if user is not None:
        AgentPresence.objects.update_or_create(user=user, defaults={"last_assigned_at": at})
        if conversation.team_id is None and user.team_id is not None:
            conversation.team_id = user.team_id
        summary = f"Assigned to {user.display_name} ({reason})"
    else:
        summary = f"Unassigned from {previous.display_name if previous else 'nobody'}"
    record_conversation_event(
        conversation=conversation,
        kind="conversation.assigned",
        summary=summary,
        actor=actor,
        data={
            "from": previous.pk if previous else None,
            "to": user.pk if user else None,
            "reason": reason,
        },
    )


@transaction.atomic
def assign_conversation(
    *, actor: Actor, conversation: Conversation, assignee: User | None, team: Team | None = None
) -> Conversation:
    """A lead assigns anyone; an agent may take an unassigned conversation or let go of their own."""
    actor.require(Perm.DESK_WORK)
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("assignee", "customer")
        .get(pk=conversation.pk)
    )
    if not actor.can(Perm.DESK_ASSIGN):
        taking = assignee == actor.user and conversation.assignee_id in (None, actor.user.pk)
        releasing = assignee is None and conversation.assignee_id == actor.user.pk
        if not (taking or releasing):
            raise PermissionDenied("only a lead can reassign a conversation", code="permission_denied")
    if assignee is not None and not can_take_conversations(assignee):
        raise ValidationFailed(f"{assignee.display_name} cannot take conversations", code="invalid_assignee")
    now = timezone.now()
    before = {"assignee": conversation.assignee_id, "team": conversation.team_id}
    if team is not None and team.pk != conversation.team_id:
        conversation.team = team
    if assignee != conversation.assignee:
        reason = REASON_TAKEN if assignee == actor.user else REASON_MANUAL
        _assign(conversation, assignee, reason=reason, actor=actor, at=now)
    after = {"assignee": conversation.assignee_id, "team": conversation.team_id}
    if before != after:
        conversation.save()
        record_audit(
            actor=actor, action="desk.conversation.assign", target=conversation, before=before, after=after
        )
    return conversation


@transaction.atomic
def set_presence(
    *, actor: Actor, user: User, available: bool | None = None, capacity: int | None = None
) -> AgentPresence:
    """An agent marks themselves in or out; a lead may do it for anyone, and sets capacities."""
    actor.require(Perm.DESK_WORK)
    if user != actor.user and not actor.can(Perm.DESK_ASSIGN):
        raise PermissionDenied("only a lead can change someone else's availability", code="permission_denied")
    if capacity is not None and not actor.can(Perm.DESK_ASSIGN):
        raise PermissionDenied("only a lead can set capacity", code="permission_denied")
    presence = AgentPresence.objects.select_for_update().get_or_create(user=user)[0]
    before = {"available": presence.available, "capacity": presence.capacity}
    if available is not None:
        presence.available = available
    if capacity is not None:
        if capacity > 1000:
            raise ValidationFailed("capacity is at most 1000", code="invalid_capacity")
        presence.capacity = capacity
    presence.updated_at = timezone.now()
    presence.save()
    record_audit(
        actor=actor,
        action="desk.presence.change",
        target=presence,
        before=before,
        after={"available": presence.available, "capacity": presence.capacity},
    )
    return presence
