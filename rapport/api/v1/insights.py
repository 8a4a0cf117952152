"""Insights API: the service dashboard's figures (daily series, and the same figures per team or agent).

Needs the `desk:read` scope. Figures count only conversations the caller may see in the desk; an agent
gets only their own row and their team's, and may not filter by anyone else (403).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from rapport.api.auth import api_actor
from rapport.api.v1.schemas.common import problems
from rapport.core.errors import ValidationFailed
from rapport.insights.reports import service as reports

router = Router(tags=["insights"])


class ServiceParams(Schema):
    days: int = Field(
        reports.DEFAULT_DAYS, description="7, 30 or 90: the last this many days, today included"
    )
    from_date: date | None = Field(None, description="First day (site time zone); replaces days")
    to_date: date | None = Field(None, description=f"Last day, included (at most {reports.MAX_DAYS} days)")
    team_id: int | None = Field(None, ge=1, description="Only conversations of this team")
    agent_id: int | None = Field(None, ge=1, description="Only conversations assigned to this agent")
    channel: Literal["email", "chat", "phone", "web", "social", "api"] | None = None


class DurationsOut(Schema):
    n: int
    median: float | None = Field(..., description="Business minutes")
    p90: float | None = Field(..., description="Business minutes, 90th percentile (linear interpolation)")


class ComplianceOut(Schema):
    met: int
    missed: int
    share: float | None = Field(..., description="Met / (met + missed); none without a decided target")


class FiguresOut(Schema):
    key: int | None = Field(..., description="Team or agent id; null for no team / unassigned / the total")
    name: str
    conversations: int = Field(..., description="Opened in the period")
    first_response: DurationsOut
    resolution: DurationsOut
    first_response_sla: ComplianceOut
    resolution_sla: ComplianceOut
    open_at_end: int = Field(..., description="Open at the end of the period")


class DayOut(Schema):
    day: date
    opened: dict[str, int] = Field(..., description="Conversations opened, per channel")
    inbound_messages: int
    backlog: int = Field(..., description="Open at the end of the day")


class ServiceOut(Schema):
    first_day: date
    last_day: date
    total: FiguresOut
    days: list[DayOut]


class BreakdownOut(Schema):
    first_day: date
    last_day: date
    by: Literal["team", "agent"]
    every_row: bool = Field(..., description="False for an agent, who gets only their own row")
    items: list[FiguresOut]


def _report(request: HttpRequest, params: ServiceParams) -> reports.ServiceReport:
    try:
        if params.from_date is not None or params.to_date is not None:
            period = reports.period_of(first=params.from_date, last=params.to_date)
        else:
            period = reports.period_of(params.days)
    except ValueError as error:
        raise ValidationFailed(str(error), code="invalid_period") from None
    scope = reports.Scope(team_id=params.team_id, agent_id=params.agent_id, channel=params.channel or "")
    return reports.service_report(api_actor(request), period=period, scope=scope)


@router.get("/insights/service", response={200: ServiceOut, **problems(422)})
def service_summary(request: HttpRequest, params: Query[ServiceParams]) -> dict[str, Any]:
    """Volume per channel and inbound messages per day, backlog at each day's end, and the period's
    first-response and resolution times (business minutes, median and p90) and SLA compliance."""
    report = _report(request, params)
    return {
        "first_day": report.period.first,
        "last_day": report.period.last,
        "total": report.total.as_dict(),
        "days": [
            {
                "day": day,
                "opened": {channel: counts[i] for channel, counts in report.volume.items()},
                "inbound_messages": report.inbound[i],
                "backlog": report.backlog[i],
            }
            for i, day in enumerate(report.days)
        ],
    }


class BreakdownParams(ServiceParams):
    by: Literal["team", "agent"] = "team"


@router.get("/insights/service/breakdown", response={200: BreakdownOut, **problems(422)})
def service_breakdown(request: HttpRequest, params: Query[BreakdownParams]) -> dict[str, Any]:
    """The same figures per team or per agent, the busiest first."""
    report = _report(request, params)
    rows = report.by_team if params.by == "team" else report.by_agent
    return {
        "first_day": report.period.first,
        "last_day": report.period.last,
        "by": params.by,
        "every_row": report.every_agent,
        "items": [row.as_dict() for row in rows],
    }
