"""The agent inbox: which conversations each view and filter holds, a page of them, and how many.

Every view is a set of statuses plus, at most, an equality on an indexed column (assignee, team),
and the inbox order is last message first: each status is read along its index in that order and a
page stops after its rows (see inbox_page); counts stop at COUNT_CAP. Pages are cut by a cursor on
the order rather than by offset, so no page ever counts or skips through the whole table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from rapport.accounts.models import Team, User
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import ValidationFailed
from rapport.desk.models import (
    ACTIVE_STATUSES,
    AgentPresence,
    Channel,
    Conversation,
    Priority,
    SlaState,
    Status,
)
from rapport.desk.selectors.conversations import conversations_visible_to, private_team_ids_hidden_from

VIEWS = ("mine", "unassigned", "team", "breaching", "open", "snoozed", "all")
VIEW_LABELS = {
    "mine": "Mine",
    "unassigned": "Unassigned",
    "team": "My team",
    "breaching": "Breaching SLA",
    "open": "All open",
    "snoozed": "Snoozed",
    "all": "Everything",
}
# "Open" for the inbox: waiting on the desk or on the customer. Snoozed ones have their own view so
# they stay out of the way until they wake.
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)
SLA_FILTERS = ("ok", "near", "breached", "paused")
# Counts stop here: the number an agent acts on is "a lot", and reading further costs time on every poll.
COUNT_CAP = 999
MAX_QUERY = 200
# A clock runs only while the desk owes a reply, and stands still only while it waits on the customer
# or the conversation is resolved (services/sla.py); a closed conversation's clock is finished.
SLA_STATUSES: dict[str, tuple[str, ...]] = {
    "ok": (Status.NEW, Status.OPEN, Status.SNOOZED),
    "near": (Status.NEW, Status.OPEN, Status.SNOOZED),
    "paused": (Status.PENDING, Status.RESOLVED),
}


@dataclass(frozen=True)
class InboxFilters:
    view: str = "open"
    status: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    tag: str = ""
    channel: str = ""
    assignee_id: int | None = None
    unassigned: bool = False
    team_id: int | None = None
    sla: str = ""  # "ok" | "near" | "breached" | "paused" | ""
    created_from: date | None = None
    created_to: date | None = None
    query: str = ""  # full text, over subjects and messages


def filters_as_dict(filters: InboxFilters) -> dict[str, Any]:
    """The filters as JSON-ready data (what a saved view stores), without the empty ones."""
    data: dict[str, Any] = {}
    for key, value in asdict(filters).items():
        if value in ((), "", None, False):
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        data[key] = value
    return data


def _as_int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _as_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _choices(values: Any, allowed: list[str]) -> tuple[str, ...]:
    if not isinstance(values, list | tuple):
        values = [values] if values else []
    return tuple(dict.fromkeys(str(v) for v in values if str(v) in allowed))


def filters_from_dict(data: dict[str, Any]) -> InboxFilters:
    """Filters read back from stored data; values that are no longer valid are dropped, not fatal."""
    known = {f.name for f in fields(InboxFilters)}
    data = {key: value for key, value in data.items() if key in known}
    view = str(data.get("view", "open"))
    sla = str(data.get("sla", ""))
    channel = str(data.get("channel", ""))
    return InboxFilters(
        view=view if view in VIEWS else "open",
        status=_choices(data.get("status"), Status.values),
        priority=_choices(data.get("priority"), Priority.values),
        tag=str(data.get("tag", "")).strip().lower()[:50],
        channel=channel if channel in Channel.values else "",
        assignee_id=_as_int(data.get("assignee_id")),
        unassigned=bool(data.get("unassigned", False)),
        team_id=_as_int(data.get("team_id")),
        sla=sla if sla in SLA_FILTERS else "",
        created_from=_as_date(data.get("created_from")),
        created_to=_as_date(data.get("created_to")),
        query=str(data.get("query", "")).strip()[:MAX_QUERY],
    )


def _sla_condition(state: str, now: datetime) -> Q:
    """The same reading as Conversation.sla_status(now), as a filter."""
    running = Q(sla_paused_at__isnull=True)
    flagged = Q(first_response_breached=True) | Q(resolution_breached=True)
    if state == "paused":
        return Q(sla_paused_at__isnull=False)
    if state == "breached":
        return running & (flagged | Q(sla_due_at__lte=now))
    if state == "near":
        return running & ~flagged & Q(sla_due_at__gt=now, sla_warn_at__lte=now)
    if state == "ok":
        return (
            running
            & ~flagged
            & Q(sla_due_at__gt=now)
            & (Q(sla_warn_at__isnull=True) | Q(sla_warn_at__gt=now))
        )
    raise ValidationFailed(f"unknown SLA state {state!r}", code="invalid_filter")


def _view_condition(actor: Actor, view: str, now: datetime) -> tuple[Q | None, tuple[str, ...]]:
    """What a view holds besides its statuses, and the statuses; None when it can hold nothing."""
    if view == "mine":
        return Q(assignee_id=actor.user.pk), OPEN_STATUSES
    if view == "unassigned":
        return Q(assignee__isnull=True), OPEN_STATUSES
    if view == "team":
        if actor.user.team_id is None:
            return None, ()
        return Q(team_id=actor.user.team_id), OPEN_STATUSES
    if view == "breaching":
        return breaching_condition(now), ACTIVE_STATUSES
    if view == "open":
        return Q(), OPEN_STATUSES
    if view == "snoozed":
        return Q(), (Status.SNOOZED,)
    if view == "all":
        return Q(), tuple(Status.values)
    raise ValidationFailed(f"unknown inbox view {view!r}", code="invalid_filter")


def breaching_condition(now: datetime) -> Q:
    """Past the warning line, or with a target already missed (the caller limits it to active statuses).

    sla_warn_at is at or before sla_due_at, so "warned" covers near and breached running clocks
    whether or not the ticker has flagged them yet; the flags cover targets missed earlier, whose
    clock has moved on to the next target. (A "near" or "breached" sla_state implies one of these.)
    """
    return Q(sla_warn_at__lte=now) | Q(first_response_breached=True) | Q(resolution_breached=True)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _narrowed(
    actor: Actor, filters: InboxFilters, now: datetime
) -> tuple[QuerySet[Conversation], tuple[str, ...]]:
    """Everything but the status condition, and the statuses the view and filters leave."""
    conversations = conversations_visible_to(actor).filter(merged_into__isnull=True)
    condition, statuses = _view_condition(actor, filters.view, now)
    if filters.status:
        statuses = tuple(status for status in statuses if status in filters.status)
    if filters.sla in SLA_STATUSES:
        statuses = tuple(status for status in statuses if status in SLA_STATUSES[filters.sla])
    if condition is None or not statuses:
        return conversations.none(), ()
    conversations = conversations.filter(condition)
    if filters.priority:
        conversations = conversations.filter(priority__in=filters.priority)
    if filters.tag:
        tagged = Conversation.tags.through.objects.filter(tag__name=filters.tag.strip().lower())
        conversations = conversations.filter(pk__in=tagged.values("conversation_id"))
    if filters.channel:
        conversations = conversations.filter(channel=filters.channel)
    if filters.unassigned:
        conversations = conversations.filter(assignee__isnull=True)
    elif filters.assignee_id is not None:
        conversations = conversations.filter(assignee_id=filters.assignee_id)
    if filters.team_id is not None:
        conversations = conversations.filter(team_id=filters.team_id)
    if filters.sla:
        conversations = conversations.filter(_sla_condition(filters.sla, now))
    # Dates are the desk's calendar days: a range includes the whole of its last day.
    if filters.created_from is not None:
        conversations = conversations.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to is not None:
        conversations = conversations.filter(
            created_at__lt=_day_start(filters.created_to + timedelta(days=1))
        )
    if filters.query.strip():
        from rapport.desk.selectors.search import matching_conversation_ids

        conversations = conversations.filter(pk__in=matching_conversation_ids(filters.query.strip()))
    return conversations, statuses


def conversations_matching(actor: Actor, filters: InboxFilters, *, now: datetime) -> QuerySet[Conversation]:
    """The actor's visible conversations in a view, narrowed by the filters, in inbox order."""
    conversations, statuses = _narrowed(actor, filters, now)
    return conversations.filter(status__in=statuses).order_by("-last_message_at", "-id")


def inbox_rows(conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """What a row shows (customer, assignee, team, tags), loaded in a fixed number of queries."""
    return conversations.select_related("customer", "assignee", "team").prefetch_related("tags")


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after the row with this last message time and id, in inbox order."""

    last_message_at: datetime
    id: int

    def as_params(self) -> dict[str, str]:
        return {"before": self.last_message_at.isoformat(), "before_id": str(self.id)}

    @classmethod
    def parse(cls, before: str, before_id: str) -> Cursor | None:
        try:
            moment = datetime.fromisoformat(before)
            return cls(moment if timezone.is_aware(moment) else timezone.make_aware(moment), int(before_id))
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class InboxPage:
    """A page of rows (with only what a row shows: see ROW_FIELDS) and each row's tag names."""

    rows: list[Conversation]
    next_cursor: Cursor | None
    is_first: bool
    tag_names: dict[int, list[str]] = field(default_factory=dict)


# What the inbox list shows of a conversation, its customer and its assignee: no more is loaded for a
# page (nor its team), which halves the time spent turning rows into objects. Reading another field
# of a row costs a query per row; the view tests count queries.
ROW_FIELDS = (
    "subject",
    "status",
    "priority",
    "channel",
    "last_message_at",
    "sla_policy",
    "sla_due_at",
    "sla_warn_at",
    "sla_paused_at",
    "first_response_breached",
    "resolution_breached",
    "first_response_due_at",
    "resolution_due_at",
    "customer__name",
    "assignee__full_name",
    "assignee__email",
)


def _page_rows(pks: list[int]) -> tuple[list[Conversation], dict[int, list[str]]]:
    """The page's rows in the given order, and their tags' names (one query, no tag objects)."""
    loaded = Conversation.objects.filter(pk__in=pks).select_related("customer", "assignee").only(*ROW_FIELDS)
    by_id = {row.pk: row for row in loaded}
    tag_names: dict[int, list[str]] = {}
    pairs = (
        Conversation.tags.through.objects.filter(conversation_id__in=pks)
        .order_by("tag__name")
        .values_list("conversation_id", "tag__name")
    )
    for conversation_id, name in pairs:
        tag_names.setdefault(conversation_id, []).append(name)
    return [by_id[pk] for pk in pks if pk in by_id], tag_names


def _walks_by_status(filters: InboxFilters) -> bool:
    """Whether reading each status along its index beats letting the database sort the matches.

    Walking an index newest first stops after a page when most rows pass the other filters; for a
    filter that may pass only a handful of rows in a big status (a rare tag, a search, a missed
    target long ago, a creation date range) the walk would read that whole status, and sorting
    the few matches is cheaper.
    """
    return not (
        filters.query.strip()
        or filters.tag
        or filters.sla == "breached"
        or filters.created_from is not None
        or filters.created_to is not None
    )


def inbox_page(
    actor: Actor, filters: InboxFilters, *, now: datetime, size: int, after: Cursor | None = None
) -> InboxPage:
    """One page in inbox order starting after the cursor, in a number of queries fixed by the view.

    A view spans several statuses, and no index gives rows of several statuses in time order: with
    `status IN (...)` the database sorts every matching row to find the newest fifty. Instead each
    status is read along its own index (status, -last_message_at, -id), newest first, stopping after
    a page; the few candidates are merged here, and only the page's rows are then loaded in full.
    """
    conversations, statuses = _narrowed(actor, filters, now)
    if after is not None:
        # The first term is a range on the index; the second breaks ties between equal times.
        conversations = conversations.filter(last_message_at__lte=after.last_message_at).filter(
            Q(last_message_at__lt=after.last_message_at) | Q(pk__lt=after.id)
        )
    newest_first = ("-last_message_at", "-id")
    if _walks_by_status(filters):
        parts = [conversations.filter(status=status) for status in statuses]
    elif set(statuses) == set(Status.values):
        # Every status: a condition on status would only steer the database onto its index.
        parts = [conversations]
    else:
        parts = [conversations.filter(status__in=statuses)] if statuses else []
    candidates: list[tuple[datetime, int]] = []
    for part in parts:
        candidates += part.order_by(*newest_first).values_list("last_message_at", "pk")[: size + 1]
    candidates.sort(reverse=True)
    more = len(candidates) > size
    keys = candidates[:size]
    rows, tag_names = _page_rows([pk for _, pk in keys]) if keys else ([], {})
    next_cursor = Cursor(*keys[-1]) if more and keys else None
    return InboxPage(rows=rows, next_cursor=next_cursor, is_first=after is None, tag_names=tag_names)


def view_counts(actor: Actor, *, now: datetime) -> dict[str, int]:
    """How many conversations each view holds (capped at COUNT_CAP + 1), one bounded query each."""
    counts: dict[str, int] = {}
    visible = conversations_visible_to(actor).filter(merged_into__isnull=True)
    for view in VIEWS:
        if view == "all":
            continue
        condition, statuses = _view_condition(actor, view, now)
        if condition is None:
            counts[view] = 0
            continue
        # A sliced count reads at most COUNT_CAP + 1 index entries, however big the view is.
        matching = visible.filter(condition, status__in=statuses).order_by()
        counts[view] = matching[: COUNT_CAP + 1].count()
    return counts


def count_label(count: int) -> str:
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


@dataclass(frozen=True)
class SlaBadge:
    state: str
    label: str
    due_at: datetime | None


def duration_label(delta: timedelta) -> str:
    """A short human span: "under a minute", "25 min", "3 h", "4 d"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d"


def sla_badge(conversation: Conversation, now: datetime) -> SlaBadge:
    """What the SLA column says: the state and, for a running clock, when it falls or fell due."""
    state = conversation.sla_status(now)
    due = conversation.sla_due_at
    if state == SlaState.BREACHED:
        if conversation.first_response_breached and conversation.first_response_due_at:
            due = conversation.first_response_due_at
        elif conversation.resolution_breached and conversation.resolution_due_at:
            due = conversation.resolution_due_at
        label = f"breached {duration_label(now - due)} ago" if due is not None else "breached"
        return SlaBadge(state, label, due)
    if state in (SlaState.OK, SlaState.NEAR) and due is not None:
        return SlaBadge(state, f"due in {duration_label(due - now)}", due)
    if state == SlaState.PAUSED:
        return SlaBadge(state, "paused", None)
    if state == SlaState.MET:
        return SlaBadge(state, "met", None)
    return SlaBadge(state, "", None)


def is_available(actor: Actor) -> bool:
    """Whether the actor takes new conversations now (no presence row yet: available, the default)."""
    actor.require(Perm.DESK_VIEW)
    presence = AgentPresence.objects.filter(user_id=actor.user.pk).only("available").first()
    return presence.available if presence is not None else True


def assignable_agents(actor: Actor) -> QuerySet[User]:
    """People a conversation can be handed to from the inbox: active staff who work the desk."""
    actor.require(Perm.DESK_VIEW)
    return User.objects.filter(is_active=True, role__in=["admin", "lead", "agent"]).order_by(
        "full_name", "email"
    )


def agent_choices(actor: Actor) -> list[tuple[int, str]]:
    """assignable_agents as (id, name) for pickers: 160 staff read as pairs cost a fifth of as users."""
    rows = assignable_agents(actor).values_list("id", "full_name", "email")
    # The name is User.display_name's.
    return [(pk, full_name or email) for pk, full_name, email in rows]


def inbox_teams(actor: Actor) -> QuerySet[Team]:
    """Teams to filter by: all but the private teams whose conversations the actor cannot see."""
    actor.require(Perm.DESK_VIEW)
    return Team.objects.exclude(pk__in=private_team_ids_hidden_from(actor)).order_by("name")
