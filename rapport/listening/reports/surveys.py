"""CSAT, CES and NPS with confidence intervals, and response rates: over time, per team and per agent.

Answers are counted in SQL per (period or group, survey, score): a survey's scale has at most eleven
scores, so the rows read are a handful per period whatever the number of answers, and the intervals are
computed from those counts by ``numerics.surveys``.

Who sees figures per agent: leads and admins (LISTENING_MANAGE) and analysts, whose work is reporting,
see every agent; an agent sees only their own row. Figures per team and over time are for everyone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from rapport.accounts.models import Role, Team, User
from rapport.accounts.permissions import Actor, Perm
from rapport.listening.models import (
    SCALES,
    InvitationStatus,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)
from rapport.listening.numerics import surveys as numerics
from rapport.listening.reports.periods import Window, slot_of

KINDS: tuple[str, ...] = (SurveyKind.CSAT.value, SurveyKind.CES.value, SurveyKind.NPS.value)
# Invitations that reached the customer: the denominator of the response rate.
DELIVERED = (InvitationStatus.SENT, InvitationStatus.ANSWERED)

ScoreCounts = dict[int, int]


def sees_every_agent(actor: Actor) -> bool:
    """Leads, admins and analysts see every agent's figures; anyone else only their own."""
    actor.require(Perm.LISTENING_VIEW)
    return actor.can(Perm.LISTENING_MANAGE) or actor.user.role == Role.ANALYST


def estimate(kind: str, counts: ScoreCounts) -> numerics.Estimate:
    """The survey's figure from the number of answers per score."""
    scores = [score for score, n in sorted(counts.items()) for _ in range(n)]
    if kind == SurveyKind.CSAT:
        return numerics.csat(scores)
    if kind == SurveyKind.CES:
        low, high = SCALES[SurveyKind.CES]
        return numerics.ces(scores, low=low, high=high)
    return numerics.nps(scores)


def as_dict(found: numerics.Estimate) -> dict[str, Any]:
    """JSON-ready: no answers gives null figures rather than NaN or a meaningless 0."""
    if found.n == 0:
        return {"value": None, "low": None, "high": None, "n": 0}
    return {
        "value": round(found.value, 4),
        "low": round(found.low, 4),
        "high": round(found.high, 4),
        "n": found.n,
    }


def _responses(window: Window, team_id: int | None) -> QuerySet[SurveyResponse]:
    responses = SurveyResponse.objects.filter(answered_at__gte=window.start, answered_at__lt=window.end)
    if team_id is not None:
        responses = responses.filter(team_id=team_id)
    return responses.order_by()


def _invitations(window: Window, team_id: int | None) -> QuerySet[SurveyInvitation]:
    invitations = SurveyInvitation.objects.filter(
        status__in=DELIVERED, sent_at__gte=window.start, sent_at__lt=window.end
    )
    if team_id is not None:
        invitations = invitations.filter(team_id=team_id)
    return invitations.order_by()


@dataclass(frozen=True)
class SurveySeries:
    bucket: str
    labels: list[str]
    # kind -> one {"value", "low", "high", "n"} per period
    kinds: dict[str, list[dict[str, Any]]]
    response_rate: list[dict[str, Any]]
    totals: dict[str, dict[str, Any]] = field(default_factory=dict)


def survey_series(actor: Actor, *, window: Window, team_id: int | None = None) -> SurveySeries:
    """Each survey's figure per day (or week) with its 95% interval, the response rate, and the totals."""
    actor.require(Perm.LISTENING_VIEW)
    slots = window.slots()
    index = {slot: position for position, slot in enumerate(slots)}
    per_slot: dict[str, list[ScoreCounts]] = {kind: [defaultdict(int) for _ in slots] for kind in KINDS}
    overall: dict[str, ScoreCounts] = {kind: defaultdict(int) for kind in KINDS}
    rows = (
        _responses(window, team_id)
        .annotate(slot=window.trunc("answered_at"))
        .values("slot", "kind", "score")
        .annotate(n=Count("id"))
    )
    for row in rows:
        if row["kind"] not in per_slot:
            continue
        overall[row["kind"]][row["score"]] += row["n"]
        position = index.get(slot_of(row["slot"]))
        if position is not None:
            per_slot[row["kind"]][position][row["score"]] += row["n"]
    invited = [0] * len(slots)
    answered = [0] * len(slots)
    invitation_rows = (
        _invitations(window, team_id)
        .annotate(slot=window.trunc("sent_at"))
        .values("slot")
        .annotate(n=Count("id"), answered=Count("id", filter=Q(status=InvitationStatus.ANSWERED)))
    )
    for row in invitation_rows:
        position = index.get(slot_of(row["slot"]))
        if position is not None:
            invited[position] += row["n"]
            answered[position] += row["answered"]
    totals: dict[str, dict[str, Any]] = {kind: as_dict(estimate(kind, overall[kind])) for kind in KINDS}
    totals["response_rate"] = as_dict(numerics.response_rate(sum(answered), sum(invited)))
    return SurveySeries(
        bucket=window.bucket,
        labels=[slot.isoformat() for slot in slots],
        kinds={kind: [as_dict(estimate(kind, counts)) for counts in per_slot[kind]] for kind in KINDS},
        response_rate=[as_dict(numerics.response_rate(a, i)) for a, i in zip(answered, invited, strict=True)],
        totals=totals,
    )


@dataclass(frozen=True)
class BreakdownRow:
    key: int | None
    name: str
    figures: dict[str, dict[str, Any]]  # kind -> estimate as a dict
    invited: int
    answered: int
    response_rate: dict[str, Any]


def survey_breakdown(
    actor: Actor, *, window: Window, by: str, team_id: int | None = None
) -> list[BreakdownRow]:
    """One row per team (``by="team"``) or per agent (``by="agent"``), the busiest first."""
    if by not in ("team", "agent"):
        raise ValueError("break down by team or agent")
    actor.require(Perm.LISTENING_VIEW)
    column = f"{by}_id"
    responses = _responses(window, team_id)
    invitations = _invitations(window, team_id)
    if by == "agent" and not sees_every_agent(actor):
        responses = responses.filter(agent=actor.user)
        invitations = invitations.filter(agent=actor.user)
    counts: dict[int | None, dict[str, ScoreCounts]] = defaultdict(
        lambda: {kind: defaultdict(int) for kind in KINDS}
    )
    for row in responses.values(column, "kind", "score").annotate(n=Count("id")):
        if row["kind"] in KINDS:
            counts[row[column]][row["kind"]][row["score"]] += row["n"]
    delivered: dict[int | None, tuple[int, int]] = {
        row[column]: (row["n"], row["answered"])
        for row in invitations.values(column).annotate(
            n=Count("id"), answered=Count("id", filter=Q(status=InvitationStatus.ANSWERED))
        )
    }
    keys = set(counts) | set(delivered)
    model: type[Team] | type[User] = Team if by == "team" else User
    names = {pk: str(obj) for pk, obj in model.objects.in_bulk([k for k in keys if k is not None]).items()}
    rows = []
    for key in keys:
        invited, answered = delivered.get(key, (0, 0))
        rows.append(
            BreakdownRow(
                key=key,
                name=names.get(key, "—") if key is not None else f"No {by}",
                figures={kind: as_dict(estimate(kind, counts[key][kind])) for kind in KINDS},
                invited=invited,
                answered=answered,
                response_rate=as_dict(numerics.response_rate(answered, invited)),
            )
        )
    return sorted(
        rows, key=lambda row: (-sum(f["n"] for f in row.figures.values()), row.key is None, row.name)
    )


CSV_HEADER = [
    "group",
    "name",
    "csat",
    "csat_low",
    "csat_high",
    "csat_answers",
    "ces",
    "ces_low",
    "ces_high",
    "ces_answers",
    "nps",
    "nps_low",
    "nps_high",
    "nps_answers",
    "invited",
    "answered",
    "response_rate",
]


def breakdown_csv_rows(by: str, rows: list[BreakdownRow]) -> list[list[object]]:
    """The rows of the CSV export (cells are made formula-safe by the writer)."""
    lines: list[list[object]] = []
    for row in rows:
        line: list[object] = [by, row.name]
        for kind in KINDS:
            figure = row.figures[kind]
            line += [
                "" if figure["value"] is None else figure["value"],
                "" if figure["low"] is None else figure["low"],
                "" if figure["high"] is None else figure["high"],
                figure["n"],
            ]
        rate = row.response_rate["value"]
        line += [row.invited, row.answered, "" if rate is None else rate]
        lines.append(line)
    return lines
