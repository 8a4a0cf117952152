"""The service dashboard's figures: volume, response and resolution times, SLA compliance and backlog.

Definitions (the page and the API say the same):

- A conversation belongs to the day (in the site's time zone) it was opened; merged-away conversations
  are left out (their messages live on in the conversation they were merged into).
- *Done* means resolved or closed: done at ``resolved_at`` (kept when a resolved conversation is
  closed), else at ``closed_at``. Reopening clears ``resolved_at``, so a reopened conversation counts as
  open from the day it was opened (the desk keeps no earlier resolution on the row).
- First-response and resolution times run from opening to the first reply and to being done, counted
  in business time of the calendar of the conversation's SLA policy (no policy or no calendar: around
  the clock), with the desk's own arithmetic (``rapport.desk.business_hours``). Median and 90th
  percentile use linear interpolation between order statistics (numpy's default, Hyndman & Fan type 7).
- SLA compliance is the share of decided targets that were met. A first-response target is decided once
  answered, flagged as breached, or past due; a resolution target once done, flagged, or past due while
  the clock runs (not pending). Conversations without a target are not counted.
- Backlog at the end of a day: conversations opened before that moment and not done by it.

Who sees what: every figure counts only conversations the actor may see in the desk
(``conversations_visible_to``), so a private team's conversations count only for its members and for
admins (and for whoever they are assigned to): an outsider's totals leave them out, and the team has no
row in the outsider's table. Admins, leads and analysts see every team's and every agent's row and may
filter by any of them. An agent (role agent) sees only their own row and their own team's, and may
filter only by themselves or their team; filtering by anyone else is refused.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

import numpy as np
from django.db.models import Count, DateTimeField, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from rapport.accounts.models import Role, Team, User
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import PermissionDenied
from rapport.desk.business_hours import Calendar, business_time_between
from rapport.desk.models import BusinessCalendar, Channel, Conversation, Message, MessageKind, Status
from rapport.desk.selectors.conversations import conversations_visible_to, private_team_ids_hidden_from

RANGES = (7, 30, 90)
DEFAULT_DAYS = 30
# A longer range is refused: the daily series and the business-time look-up grow with it.
MAX_DAYS = 366
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)
CHANNELS = tuple(str(value) for value in Channel.values)


# The period


@dataclass(frozen=True)
class Period:
    """Whole days, first to last inclusive, in the site's time zone."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.length)]

    def day_ends(self) -> list[datetime]:
        return [
            timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min)) for day in self.days()
        ]


def period_of(
    days: int | None = None, *, first: date | None = None, last: date | None = None, today: date | None = None
) -> Period:
    """The last ``days`` days up to today, or the dates given; ValueError for what is not offered."""
    today = today or timezone.localdate()
    if first is not None or last is not None:
        last = last or today
        first = first or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise ValueError("the first day comes after the last")
        if (last - first).days + 1 > MAX_DAYS:
            raise ValueError(f"choose at most {MAX_DAYS} days")
        return Period(first=first, last=last)
    days = DEFAULT_DAYS if days is None else days
    if days not in RANGES:
        raise ValueError(f"choose one of {', '.join(map(str, RANGES))} days")
    return Period(first=today - timedelta(days=days - 1), last=today)


@dataclass(frozen=True)
class Scope:
    """Filters: one team, one agent (assignee), one channel; None or blank for all."""

    team_id: int | None = None
    agent_id: int | None = None
    channel: str = ""


# Who sees which rows


def sees_every_agent(actor: Actor) -> bool:
    """Admins, leads and analysts see every team's and agent's figures; an agent only their own."""
    actor.require(Perm.DESK_VIEW)
    return actor.user.role in (Role.ADMIN, Role.LEAD, Role.ANALYST)


def check_scope(actor: Actor, scope: Scope) -> None:
    """Refuse filters by another agent, or another team, to someone who sees only their own rows."""
    if sees_every_agent(actor):
        return
    if scope.agent_id is not None and scope.agent_id != actor.user.pk:
        raise PermissionDenied("an agent sees only their own figures", code="permission_denied")
    if scope.team_id is not None and scope.team_id != actor.user.team_id:
        raise PermissionDenied("an agent sees only their own team's figures", code="permission_denied")


def teams_offered(actor: Actor) -> list[Team]:
    """The teams the actor may filter by: every team they may see conversations of, or their own."""
    if not sees_every_agent(actor):
        return list(Team.objects.filter(pk=actor.user.team_id)) if actor.user.team_id else []
    return list(Team.objects.exclude(pk__in=private_team_ids_hidden_from(actor)).order_by("name"))


def agents_offered(actor: Actor) -> list[User]:
    if not sees_every_agent(actor):
        return [actor.user]
    return list(
        User.objects.filter(is_active=True, role__in=(Role.AGENT, Role.LEAD, Role.ADMIN)).order_by(
            "full_name", "email"
        )
    )


def _conversations(actor: Actor, scope: Scope) -> QuerySet[Conversation]:
    check_scope(actor, scope)
    conversations = conversations_visible_to(actor).filter(merged_into__isnull=True)
    if scope.team_id is not None:
        conversations = conversations.filter(team_id=scope.team_id)
    if scope.agent_id is not None:
        conversations = conversations.filter(assignee_id=scope.agent_id)
    if scope.channel:
        conversations = conversations.filter(channel=scope.channel)
    return conversations.order_by()


def _done_at() -> Coalesce:
    return Coalesce("resolved_at", "closed_at", output_field=DateTimeField())


# Business time, for many conversations at once


class OpenTime:
    """Open time of one calendar accumulated over a stretch, so any duration inside it is two look-ups.

    The stretch is cut at every local midnight and every opening and closing wall-clock time (computed as
    the desk does, so DST gaps fall where the desk puts them); each piece is measured once with the desk's
    ``business_time_between`` and must be wholly open or wholly closed. When a piece is not (it never
    should be), ``exact`` is False and callers measure each duration with the desk's function instead.
    """

    def __init__(self, calendar: Calendar, first: datetime, last: datetime) -> None:
        self.calendar = calendar
        zone = calendar.zone
        day = first.astimezone(zone).date() - timedelta(days=1)
        stop = last.astimezone(zone).date() + timedelta(days=2)
        cuts: set[datetime] = set()
        while day <= stop:
            midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
            cuts.add(midnight.astimezone(UTC))
            for begin, end in calendar.weekly[day.weekday()]:
                cuts.add((midnight + timedelta(minutes=begin)).astimezone(UTC))
                cuts.add((midnight + timedelta(minutes=end)).astimezone(UTC))
            day += timedelta(days=1)
        moments = sorted(cuts)
        self.cuts = np.array([moment.timestamp() for moment in moments])
        lengths = np.diff(self.cuts)
        opened = np.array(
            [business_time_between(calendar, a, b).total_seconds() for a, b in pairwise(moments)]
        )
        self.exact = bool(np.all(np.isclose(opened, 0.0) | np.isclose(opened, lengths)))
        self.slope = np.where(np.isclose(opened, 0.0), 0.0, 1.0)
        self.cumulative = np.concatenate([[0.0], np.cumsum(opened)])

    def _at(self, moments: np.ndarray) -> np.ndarray:
        piece = np.clip(np.searchsorted(self.cuts, moments, side="right") - 1, 0, len(self.cuts) - 2)
        inside = np.clip(moments - self.cuts[piece], 0.0, self.cuts[piece + 1] - self.cuts[piece])
        return self.cumulative[piece] + inside * self.slope[piece]

    def seconds_between(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        return np.maximum(self._at(ends) - self._at(starts), 0.0)


def business_seconds(calendar: Calendar | None, starts: list[datetime], ends: list[datetime]) -> np.ndarray:
    """Business time from each start to its end, in seconds (around the clock without a calendar)."""
    if not starts:
        return np.zeros(0)
    begin = np.array([moment.timestamp() for moment in starts])
    finish = np.array([moment.timestamp() for moment in ends])
    if calendar is None or calendar.always_open:
        return np.maximum(finish - begin, 0.0)
    table = OpenTime(calendar, min(starts), max(ends))
    if table.exact:
        return table.seconds_between(begin, finish)
    return np.array(
        [business_time_between(calendar, a, b).total_seconds() for a, b in zip(starts, ends, strict=True)]
    )


# Figures


@dataclass(frozen=True)
class Durations:
    """Business minutes: how many, the median and the 90th percentile (None without any)."""

    n: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, minutes: np.ndarray) -> Durations:
        if minutes.size == 0:
            return cls(n=0, median=None, p90=None)
        median, p90 = np.percentile(minutes, [50, 90])
        return cls(n=int(minutes.size), median=round(float(median), 1), p90=round(float(p90), 1))


@dataclass(frozen=True)
class Compliance:
    met: int
    missed: int

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def share(self) -> float | None:
        return round(self.met / self.decided, 4) if self.decided else None


@dataclass
class _Counts:
    conversations: int = 0
    fr_met: int = 0
    fr_missed: int = 0
    res_met: int = 0
    res_missed: int = 0
    open_at_end: int = 0
    first_response: list[float] = field(default_factory=list)
    resolution: list[float] = field(default_factory=list)

    def add(self, other: _Counts) -> None:
        self.conversations += other.conversations
        self.fr_met += other.fr_met
        self.fr_missed += other.fr_missed
        self.res_met += other.res_met
        self.res_missed += other.res_missed
        self.open_at_end += other.open_at_end
        self.first_response += other.first_response
        self.resolution += other.resolution


@dataclass(frozen=True)
class Figures:
    """The same figures for everything shown, one team, or one agent."""

    key: int | None
    name: str
    conversations: int
    first_response: Durations
    resolution: Durations
    first_response_sla: Compliance
    resolution_sla: Compliance
    open_at_end: int

    @classmethod
    def of(cls, key: int | None, name: str, counts: _Counts) -> Figures:
        return cls(
            key=key,
            name=name,
            conversations=counts.conversations,
            first_response=Durations.of(np.array(counts.first_response)),
            resolution=Durations.of(np.array(counts.resolution)),
            first_response_sla=Compliance(met=counts.fr_met, missed=counts.fr_missed),
            resolution_sla=Compliance(met=counts.res_met, missed=counts.res_missed),
            open_at_end=counts.open_at_end,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "conversations": self.conversations,
            "first_response": vars(self.first_response),
            "resolution": vars(self.resolution),
            "first_response_sla": {
                "met": self.first_response_sla.met,
                "missed": self.first_response_sla.missed,
                "share": self.first_response_sla.share,
            },
            "resolution_sla": {
                "met": self.resolution_sla.met,
                "missed": self.resolution_sla.missed,
                "share": self.resolution_sla.share,
            },
            "open_at_end": self.open_at_end,
        }


@dataclass(frozen=True)
class ServiceReport:
    period: Period
    scope: Scope
    days: list[date]
    # channel -> conversations opened per day (only channels with any)
    volume: dict[str, list[int]]
    inbound: list[int]
    backlog: list[int]
    total: Figures
    by_team: list[Figures]
    by_agent: list[Figures]
    every_agent: bool

    @property
    def labels(self) -> list[str]:
        return [day.isoformat() for day in self.days]

    def daily_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "day": day,
                "channels": [self.volume[channel][i] for channel in self.volume],
                "opened": sum(self.volume[channel][i] for channel in self.volume),
                "inbound": self.inbound[i],
                "backlog": self.backlog[i],
            }
            for i, day in enumerate(self.days)
        ]

    def chart(self) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "volume": [{"channel": channel, "counts": counts} for channel, counts in self.volume.items()],
            "inbound": self.inbound,
            "backlog": self.backlog,
        }


Key = tuple[int | None, int | None]  # (team id, assignee id)


def service_report(
    actor: Actor, *, period: Period, scope: Scope | None = None, now: datetime | None = None
) -> ServiceReport:
    """Every figure of the service dashboard for the period, as far as the actor may see."""
    scope = scope or Scope()
    now = now or timezone.now()
    every_agent = sees_every_agent(actor)
    conversations = _conversations(actor, scope)
    opened = conversations.filter(created_at__gte=period.start, created_at__lt=period.end)
    days = period.days()
    index = {day: i for i, day in enumerate(days)}

    volume: dict[str, list[int]] = {}
    for row in opened.annotate(day=TruncDate("created_at")).values("day", "channel").annotate(n=Count("id")):
        counts = volume.setdefault(row["channel"], [0] * len(days))
        if row["day"] in index:
            counts[index[row["day"]]] += row["n"]
    volume = {channel: volume[channel] for channel in CHANNELS if channel in volume}

    inbound = [0] * len(days)
    for row in (
        Message.objects.filter(
            kind=MessageKind.INBOUND,
            created_at__gte=period.start,
            created_at__lt=period.end,
            conversation__in=conversations.values("pk"),
        )
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"))
    ):
        if row["day"] in index:
            inbound[index[row["day"]]] += row["n"]

    per_group: dict[Key, _Counts] = defaultdict(_Counts)
    _count_sla(opened, per_group, now)
    _count_open_at_end(conversations, per_group, period.end)
    _measure_durations(opened, per_group)

    return ServiceReport(
        period=period,
        scope=scope,
        days=days,
        volume=volume,
        inbound=inbound,
        backlog=_backlog(conversations, period, volume),
        total=Figures.of(None, "All conversations", _sum(per_group.values())),
        by_team=_rows(actor, per_group, by="team", every_agent=every_agent),
        by_agent=_rows(actor, per_group, by="agent", every_agent=every_agent),
        every_agent=every_agent,
    )


def _sum(groups: Iterable[_Counts]) -> _Counts:
    total = _Counts()
    for counts in groups:
        total.add(counts)
    return total


def _count_sla(opened: QuerySet[Conversation], per_group: dict[Key, _Counts], now: datetime) -> None:
    fr_target = Q(first_response_due_at__isnull=False)
    res_target = Q(resolution_due_at__isnull=False)
    done = Q(status__in=DONE_STATUSES)
    rows = opened.values("team_id", "assignee_id").annotate(
        n=Count("id"),
        fr_met=Count(
            "id", filter=fr_target & Q(first_response_breached=False, first_response_at__isnull=False)
        ),
        fr_missed=Count(
            "id",
            filter=fr_target
            & (
                Q(first_response_breached=True)
                | Q(first_response_at__isnull=True, first_response_due_at__lte=now)
            ),
        ),
        res_met=Count("id", filter=res_target & done & Q(resolution_breached=False)),
        res_missed=Count(
            "id",
            filter=res_target
            & (
                Q(resolution_breached=True)
                | (~done & Q(resolution_due_at__lte=now, sla_paused_at__isnull=True))
            ),
        ),
    )
    for row in rows:
        counts = per_group[(row["team_id"], row["assignee_id"])]
        counts.conversations += row["n"]
        counts.fr_met += row["fr_met"]
        counts.fr_missed += row["fr_missed"]
        counts.res_met += row["res_met"]
        counts.res_missed += row["res_missed"]


def _count_open_at_end(
    conversations: QuerySet[Conversation], per_group: dict[Key, _Counts], end: datetime
) -> None:
    still_open = (
        conversations.filter(created_at__lt=end)
        .alias(done_at=_done_at())
        .exclude(Q(status__in=DONE_STATUSES) & Q(done_at__lt=end))
    )
    rows = still_open.values("team_id", "assignee_id").annotate(n=Count("id"))
    for row in rows:
        per_group[(row["team_id"], row["assignee_id"])].open_at_end += row["n"]


def _measure_durations(opened: QuerySet[Conversation], per_group: dict[Key, _Counts]) -> None:
    rows = list(
        opened.filter(Q(first_response_at__isnull=False) | Q(status__in=DONE_STATUSES))
        .annotate(done_at=_done_at())
        .values_list(
            "team_id",
            "assignee_id",
            "sla_policy__calendar_id",
            "created_at",
            "first_response_at",
            "status",
            "done_at",
        )
    )
    calendar_ids = {row[2] for row in rows if row[2] is not None}
    calendars = {pk: cal.as_calendar() for pk, cal in BusinessCalendar.objects.in_bulk(calendar_ids).items()}
    by_calendar: dict[int | None, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_calendar[row[2]].append(row)
    for calendar_id, group in by_calendar.items():
        calendar = calendars.get(calendar_id) if calendar_id is not None else None
        for position, target in ((4, "first_response"), (6, "resolution")):
            measured = [
                row
                for row in group
                if row[position] is not None and (position == 4 or row[5] in DONE_STATUSES)
            ]
            seconds = business_seconds(
                calendar, [row[3] for row in measured], [row[position] for row in measured]
            )
            for row, value in zip(measured, seconds, strict=True):
                getattr(per_group[(row[0], row[1])], target).append(float(value) / 60)


def _backlog(
    conversations: QuerySet[Conversation], period: Period, volume: dict[str, list[int]]
) -> list[int]:
    """Open at the end of each day: open at the start, plus opened, minus done, day by day."""
    before = (
        conversations.filter(created_at__lt=period.start)
        .alias(done_at=_done_at())
        .exclude(Q(status__in=DONE_STATUSES) & Q(done_at__lt=period.start))
        .count()
    )
    index = {day: i for i, day in enumerate(period.days())}
    finished = [0] * period.length
    for row in (
        conversations.filter(status__in=DONE_STATUSES)
        .alias(done_at=_done_at())
        .filter(done_at__gte=period.start, done_at__lt=period.end)
        .annotate(day=TruncDate("done_at"))
        .values("day")
        .annotate(n=Count("id"))
    ):
        if row["day"] in index:
            finished[index[row["day"]]] += row["n"]
    backlog, running = [], before
    for i in range(period.length):
        running += sum(counts[i] for counts in volume.values()) - finished[i]
        backlog.append(running)
    return backlog


def _rows(actor: Actor, per_group: dict[Key, _Counts], *, by: str, every_agent: bool) -> list[Figures]:
    grouped: dict[int | None, _Counts] = defaultdict(_Counts)
    for (team_id, agent_id), counts in per_group.items():
        grouped[team_id if by == "team" else agent_id].add(counts)
    if not every_agent:
        own = actor.user.team_id if by == "team" else actor.user.pk
        grouped = {key: counts for key, counts in grouped.items() if key is not None and key == own}
    keys = [key for key in grouped if key is not None]
    if by == "team":
        names = {pk: team.name for pk, team in Team.objects.in_bulk(keys).items()}
    else:
        names = {pk: user.full_name or user.email for pk, user in User.objects.in_bulk(keys).items()}
    rows = [
        Figures.of(
            key, names.get(key, "—") if key is not None else ("No team" if by == "team" else "Unassigned"), c
        )
        for key, c in grouped.items()
    ]
    return sorted(rows, key=lambda row: (-row.conversations, row.key is None, row.name))


# CSV


TABLES = ("daily", "teams", "agents")


def csv_rows(report: ServiceReport, table: str) -> list[list[object]]:
    """Header and rows of one table of the page (text cells are made formula-safe by the writer)."""
    if table == "daily":
        channels = list(report.volume)
        lines: list[list[object]] = [["day", *channels, "opened", "inbound_messages", "backlog_at_end"]]
        for row in report.daily_rows():
            lines.append(
                [row["day"].isoformat(), *row["channels"], row["opened"], row["inbound"], row["backlog"]]
            )
        return lines
    if table not in TABLES:
        raise ValueError(f"choose one of {', '.join(TABLES)}")
    rows = report.by_team if table == "teams" else report.by_agent
    lines = [
        [
            "team" if table == "teams" else "agent",
            "conversations",
            "first_response_median_min",
            "first_response_p90_min",
            "resolution_median_min",
            "resolution_p90_min",
            "first_response_sla_met",
            "first_response_sla_decided",
            "resolution_sla_met",
            "resolution_sla_decided",
            "open_at_end",
        ]
    ]
    for figures in [*rows, report.total]:
        lines.append(
            [
                figures.name,
                figures.conversations,
                _blank(figures.first_response.median),
                _blank(figures.first_response.p90),
                _blank(figures.resolution.median),
                _blank(figures.resolution.p90),
                figures.first_response_sla.met,
                figures.first_response_sla.decided,
                figures.resolution_sla.met,
                figures.resolution_sla.decided,
                figures.open_at_end,
            ]
        )
    return lines


def _blank(value: float | None) -> object:
    return "" if value is None else value
