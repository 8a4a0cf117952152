"""The service dashboard's figures: volume, response and resolution times, SLA compliance and backlog.

Definitions (the page and the API say the same):

- A conversation belongs to the day (in the site's time zone) it was opened; merged-away conversations
  are left out (their messages live on in the conversation they were merged into).
- *Done* means resolved or closed: done at ``resolved_at`` (kept when a resolved conversation is
  closed), else at ``closed_at``; the database keeps this moment as ``Conversation.done_at`` (NULL while
  not done, and for a resolved or closed conversation with neither moment, which the desk never writes).
  Reopening clears ``resolved_at``, so a reopened conversation counts as open from the day it was opened
  (the desk keeps no earlier resolution on the row).
- First-response and resolution times run from opening to the first reply and to being done, counted
  in business time of the calendar of the conversation's SLA policy (no policy or no calendar: around
  the clock), with the desk's own arithmetic (``rapport.desk.business_hours``). Median and 90th
  percentile use linear interpolation between order statistics (numpy's default, Hyndman & Fan type 7).
- SLA compliance is the share of decided targets that were met. A first-response target is decided once
  answered, flagged as breached, or past due; a resolution target once done, flagged, or past due while
  the clock runs (not pending). Conversations without a target are not counted.
- Backlog at the end of a day: conversations opened before that moment and not done by it (one
  recorded as done before it was opened is never open).

Who sees what: every figure counts only conversations the actor may see in the desk
(``conversations_visible_to``), so a private team's conversations count only for its members and for
admins (and for whoever they are assigned to): an outsider's totals leave them out, and the team has no
row in the outsider's table. Admins, leads and analysts see every team's and every agent's row and may
filter by any of them. An agent (role agent) sees only their own row and their own team's, and may
filter only by themselves or their team; filtering by anyone else is refused.

What a report reads grows with the period, not with the history: the conversations opened in it (one
pass), its inbound messages, and for the backlog the conversations open now and those done since the
period began (ranges of the index on ``done_at``). Counting per day compares with each day's end in the
database; per conversation, figures are computed in numpy from integer columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate, pairwise
from typing import Any

import numpy as np
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from rapport.accounts.models import Role, Team, User
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import PermissionDenied
from rapport.desk.business_hours import Calendar, business_time_between
from rapport.desk.models import (
    BusinessCalendar,
    Channel,
    Conversation,
    Message,
    MessageKind,
    SlaPolicy,
    Status,
)
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


# Reading many rows


class DayNumber(Func):
    """How many of the (sorted) day ends a datetime column has reached: the day of the period it falls on,
    0 before the period, ``len(ends)`` from the end on (and for NULL).

    A balanced tree of comparisons, about log2(days) of them per row, written out here rather than as
    Django Case expressions (compiling 365 of those took longer than running the query). TruncDate gives
    the same days in the site's time zone, but on SQLite it calls Python for every row (some 8 µs each).
    """

    output_field = IntegerField()

    def __init__(self, column: str, ends: Sequence[datetime]) -> None:
        super().__init__(F(column))
        self.ends = list(ends)

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, Any]:
        column, params = compiler.compile(self.source_expressions[0])
        if params:
            raise ValueError("DayNumber reads a column, not an expression with parameters")
        bounds = [connection.ops.adapt_datetimefield_value(end) for end in self.ends]

        def between(low: int, high: int) -> tuple[str, list[Any]]:
            if low == high:
                return str(low), []
            middle = (low + high) // 2
            below, below_params = between(low, middle)
            above, above_params = between(middle + 1, high)
            return (
                f"CASE WHEN {column} < %s THEN {below} ELSE {above} END",
                [bounds[middle], *below_params, *above_params],
            )

        return between(0, len(self.ends))


class Microseconds(Func):
    """Microseconds since 1970 of a datetime column, an integer (NULL stays NULL): durations are measured in
    numpy from these, exactly, without making a datetime object for every value."""

    output_field = BigIntegerField()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        # Django keeps datetimes as 'YYYY-MM-DD HH:MM:SS[.ffffff]' text in UTC on SQLite. julianday() keeps
        # only milliseconds, so it gives the whole seconds and the text gives the microseconds.
        template = (
            "(CAST(ROUND((julianday(substr(%(expressions)s, 1, 19)) - 2440587.5) * 86400) AS INTEGER)"
            " * 1000000 + CAST(substr(%(expressions)s, 21) AS INTEGER))"
        )
        sql, params = self.as_sql(compiler, connection, template=template, **extra_context)
        if params:
            raise ValueError("Microseconds reads a column, not an expression with parameters")
        return sql, params

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) * 1000000 AS BIGINT)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def _columns(rows: QuerySet[Any], dtypes: Sequence[type]) -> list[np.ndarray]:
    """The columns of a values_list query as arrays (None becomes NaN in float columns).

    The query runs on the database cursor: its columns are integers and text, which the driver returns as
    they are, and Django's converters (an int() call for every value of an expression) took as long as the
    database did over 200,000 conversations.
    """
    sql, params = rows.query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    # One object array rather than zip(*found): that made an iterator per row, and the garbage collector
    # then went through every object of the process, several times (100 ms at 50,000 rows).
    table = np.array(found, dtype=object).reshape(len(found), len(dtypes))
    return [table[:, i].astype(dtype) for i, dtype in enumerate(dtypes)]


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
    return business_seconds_between(
        calendar,
        np.array([_microseconds(moment) for moment in starts], dtype=np.int64),
        np.array([_microseconds(moment) for moment in ends], dtype=np.int64),
    )


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _microseconds(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def business_seconds_between(calendar: Calendar | None, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The same for moments given as microseconds since 1970 (int64 arrays)."""
    if starts.size == 0:
        return np.zeros(0)
    # Dividing exact integers gives the same floats as datetime.timestamp().
    begin, finish = starts / 1e6, ends / 1e6
    if calendar is None or calendar.always_open:
        return np.maximum(finish - begin, 0.0)
    first, last = (EPOCH + timedelta(microseconds=int(value)) for value in (starts.min(), ends.max()))
    table = OpenTime(calendar, first, last)
    if table.exact:
        return table.seconds_between(begin, finish)
    return np.array(
        [
            business_time_between(
                calendar, EPOCH + timedelta(microseconds=int(a)), EPOCH + timedelta(microseconds=int(b))
            ).total_seconds()
            for a, b in zip(starts, ends, strict=True)
        ]
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
    # Business minutes, in pieces (one array per group and calendar).
    first_response: list[np.ndarray] = field(default_factory=list)
    resolution: list[np.ndarray] = field(default_factory=list)

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
            first_response=Durations.of(np.concatenate([np.zeros(0), *counts.first_response])),
            resolution=Durations.of(np.concatenate([np.zeros(0), *counts.resolution])),
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
    opened = _Opened.read(conversations.filter(created_at__gte=period.start, created_at__lt=period.end), now)
    ends = period.day_ends()

    per_group: dict[Key, _Counts] = defaultdict(_Counts)
    opened.count_sla(per_group)
    opened.measure_durations(per_group)
    _count_open_at_end(conversations, per_group, period.end)

    return ServiceReport(
        period=period,
        scope=scope,
        days=period.days(),
        volume=opened.volume(ends),
        inbound=_inbound(conversations, period),
        backlog=_backlog(conversations, period),
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


NONE = -1  # no team, no assignee, no calendar, in integer columns (ids are positive)
MET, MISSED = 1, 2  # an SLA target's outcome; 0 while undecided or without a target


def _id_or_none(value: int) -> int | None:
    return None if value == NONE else value


@dataclass(frozen=True)
class _Opened:
    """The conversations opened in the period, one entry each, read in one pass over the table.

    Volume, SLA compliance and durations all come from these columns (three queries read the same rows
    before, each visiting the table once per conversation). Moments are microseconds since 1970, which
    floats hold exactly (below 2**53); NaN where there is none.
    """

    group: np.ndarray  # index into keys
    keys: list[Key]
    calendar: np.ndarray
    channel: np.ndarray
    opened_at: np.ndarray
    first_response_at: np.ndarray
    done_at: np.ndarray
    first_response_sla: np.ndarray
    resolution_sla: np.ndarray

    @classmethod
    def read(cls, opened: QuerySet[Conversation], now: datetime) -> _Opened:
        has_fr_target = Q(first_response_due_at__isnull=False)
        has_res_target = Q(resolution_due_at__isnull=False)
        done = Q(status__in=DONE_STATUSES)
        none = Value(NONE)
        (
            team,
            agent,
            policy,
            channel,
            opened_at,
            first_response_at,
            done_at,
            first_response_sla,
            resolution_sla,
        ) = _columns(
            opened.values_list(
                Coalesce("team_id", none),
                Coalesce("assignee_id", none),
                Coalesce("sla_policy_id", none),
                "channel",
                Microseconds("created_at"),
                Microseconds("first_response_at"),
                Microseconds("done_at"),
                _outcome(
                    met=has_fr_target & Q(first_response_breached=False, first_response_at__isnull=False),
                    missed=has_fr_target
                    & (
                        Q(first_response_breached=True)
                        | Q(first_response_at__isnull=True, first_response_due_at__lte=now)
                    ),
                ),
                _outcome(
                    met=has_res_target & done & Q(resolution_breached=False),
                    missed=has_res_target
                    & (
                        Q(resolution_breached=True)
                        | (~done & Q(resolution_due_at__lte=now, sla_paused_at__isnull=True))
                    ),
                ),
            ),
            [np.int64, np.int64, np.int64, str, np.float64, np.float64, np.float64, np.int64, np.int64],
        )
        codes, group = np.unique((team - NONE) << 32 | (agent - NONE), return_inverse=True)
        # A few policies: their calendars are looked up here rather than joined to every row.
        policies = np.unique(policy)
        calendar_of = dict(
            SlaPolicy.objects.filter(pk__in=policies.tolist()).order_by().values_list("pk", "calendar_id")
        )
        calendars = np.array([calendar_of.get(pk) or NONE for pk in policies.tolist()], dtype=np.int64)
        return cls(
            group=group.reshape(-1),
            keys=[
                (_id_or_none((code >> 32) + NONE), _id_or_none((code & 0xFFFFFFFF) + NONE))
                for code in codes.tolist()
            ],
            calendar=calendars[np.searchsorted(policies, policy)],
            channel=channel,
            opened_at=opened_at,
            first_response_at=first_response_at,
            done_at=done_at,
            first_response_sla=first_response_sla,
            resolution_sla=resolution_sla,
        )

    def _per_group(self, chosen: np.ndarray) -> list[int]:
        return np.bincount(self.group[chosen], minlength=len(self.keys)).tolist()

    def count_sla(self, per_group: dict[Key, _Counts]) -> None:
        figures = (
            self._per_group(np.ones(self.group.size, dtype=bool)),
            self._per_group(self.first_response_sla == MET),
            self._per_group(self.first_response_sla == MISSED),
            self._per_group(self.resolution_sla == MET),
            self._per_group(self.resolution_sla == MISSED),
        )
        for key, n, fr_met, fr_missed, res_met, res_missed in zip(self.keys, *figures, strict=True):
            counts = per_group[key]
            counts.conversations += n
            counts.fr_met += fr_met
            counts.fr_missed += fr_missed
            counts.res_met += res_met
            counts.res_missed += res_missed

    def volume(self, ends: Sequence[datetime]) -> dict[str, list[int]]:
        """Conversations opened per channel per day (only channels with any), in the order of CHANNELS."""
        day = np.searchsorted(
            np.array([_microseconds(end) for end in ends], dtype=np.float64), self.opened_at, side="right"
        )
        return {
            channel: np.bincount(day[self.channel == channel], minlength=len(ends)).tolist()
            for channel in CHANNELS
            if (self.channel == channel).any()
        }

    def measure_durations(self, per_group: dict[Key, _Counts]) -> None:
        """Business minutes to the first response and to being done, each on its conversation's calendar."""
        calendar_ids = np.unique(self.calendar).tolist()
        calendars = {
            pk: cal.as_calendar() for pk, cal in BusinessCalendar.objects.in_bulk(calendar_ids).items()
        }
        for calendar_id in calendar_ids:
            on_calendar = self.calendar == calendar_id
            for ends, target in ((self.first_response_at, "first_response"), (self.done_at, "resolution")):
                measured = on_calendar & ~np.isnan(ends)
                if not measured.any():
                    continue
                seconds = business_seconds_between(
                    calendars.get(calendar_id),
                    self.opened_at[measured].astype(np.int64),
                    ends[measured].astype(np.int64),
                )
                group = self.group[measured]
                order = np.argsort(group, kind="stable")
                splits = np.cumsum(np.bincount(group, minlength=len(self.keys)))[:-1]
                for key, positions in zip(self.keys, np.split(order, splits), strict=True):
                    if positions.size:
                        getattr(per_group[key], target).append(seconds[positions] / 60)


def _outcome(*, met: Q, missed: Q) -> Case:
    return Case(When(met, then=Value(MET)), When(missed, then=Value(MISSED)), default=Value(0))


def _inbound(conversations: QuerySet[Conversation], period: Period) -> list[int]:
    """Inbound messages per day, in conversations the actor may see."""
    ends = period.day_ends()
    inbound = [0] * len(ends)
    # EXISTS looks up each message's conversation by its key; IN (subquery) made SQLite list every
    # conversation the actor may see, the whole history, first.
    for row in (
        Message.objects.filter(
            Exists(conversations.filter(pk=OuterRef("conversation_id"))),
            kind=MessageKind.INBOUND,
            created_at__gte=period.start,
            created_at__lt=period.end,
        )
        .order_by()
        .annotate(day=DayNumber("created_at", ends))
        .values("day")
        .annotate(n=Count("id"))
    ):
        inbound[row["day"]] += row["n"]
    return inbound


def _count_open_at_end(
    conversations: QuerySet[Conversation], per_group: dict[Key, _Counts], end: datetime
) -> None:
    """Open at the end: opened before it and either not done, or done at or after it.

    Each part is one range of the index on (done_at, created_at, ...), which also holds what visibility
    and the filters read, so the cost follows what is open now and what was done since the end, not the
    history. SQLite has no histograms and guesses every range alike: given a range on created_at too, or
    a GROUP BY that an index on team_id half orders, it read every conversation through those indexes.
    So the second part counts the opening rather than filtering on it, and both group by expressions.
    """
    opened_before = Q(created_at__lt=end)
    none = Value(NONE)
    for still_open in (
        conversations.filter(opened_before, done_at__isnull=True),
        conversations.filter(done_at__gte=end),
    ):
        rows = still_open.values_list(Coalesce("team_id", none), Coalesce("assignee_id", none)).annotate(
            n=Count("id", filter=opened_before)
        )
        for team_id, agent_id, n in rows:
            per_group[(_id_or_none(team_id), _id_or_none(agent_id))].open_at_end += n


def _backlog(conversations: QuerySet[Conversation], period: Period) -> list[int]:
    """Open at the end of each day. A conversation open at some day's end counts from the day it was opened
    (the first day, if before) to the day before the one it was done on (the last day, if not done by then).
    """
    ends = period.day_ends()
    change = [0] * (len(ends) + 1)
    for row in (
        conversations.filter(done_at__isnull=True, created_at__lt=period.end)
        .annotate(opened=DayNumber("created_at", ends))
        .values("opened")
        .annotate(n=Count("id"))
    ):
        change[row["opened"]] += row["n"]
    # Done before the end of the first day: open at no day's end. Opened after the last day (number
    # len(ends), as done is at most that): none. Not filtering on the opening keeps SQLite on the done_at
    # range (see _count_open_at_end).
    for row in (
        conversations.filter(done_at__gte=ends[0])
        .annotate(opened=DayNumber("created_at", ends), done=DayNumber("done_at", ends))
        .values("opened", "done")
        .annotate(n=Count("id"))
    ):
        if row["done"] > row["opened"]:
            change[row["opened"]] += row["n"]
            change[row["done"]] -= row["n"]
    return list(accumulate(change[:-1]))


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
