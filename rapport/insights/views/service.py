"""Insights pages: the service dashboard (urlpatterns are gathered by rapport/insights/urls.py).

Charts are drawn by insights/service.js from data the page embeds with json_script; every figure is also
in a table, so the page works without it. Each table downloads as CSV (``?format=csv&table=...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.core.csv_export import csv_download
from rapport.desk.models import Channel
from rapport.insights.reports import service as reports


@dataclass(frozen=True)
class Filters:
    period: reports.Period
    days: int | None  # None when dates were given
    scope: reports.Scope
    problem: str = ""

    def query(self) -> str:
        """The filters as a query string, for the CSV links."""
        params: dict[str, object] = (
            {"days": self.days}
            if self.days is not None
            else {"from": self.period.first.isoformat(), "to": self.period.last.isoformat()}
        )
        if self.scope.team_id is not None:
            params["team"] = self.scope.team_id
        if self.scope.agent_id is not None:
            params["agent"] = self.scope.agent_id
        if self.scope.channel:
            params["channel"] = self.scope.channel
        return urlencode(params)


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _id(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else None


def _filters(request: HttpRequest) -> Filters:
    """The period and filters asked for; what cannot be read falls back to the default, with a note."""
    problems: list[str] = []
    raw_from, raw_to = request.GET.get("from", ""), request.GET.get("to", "")
    first, last = _date(raw_from), _date(raw_to)
    days: int | None = None
    period = None
    if (raw_from and first is None) or (raw_to and last is None):
        problems.append("Dates are written YYYY-MM-DD.")
    elif first is not None or last is not None:
        try:
            period = reports.period_of(first=first, last=last)
        except ValueError as error:
            problems.append(f"{str(error).capitalize()}.")
    if period is None:
        raw_days = request.GET.get("days", "")
        days = reports.DEFAULT_DAYS
        if raw_days.isdigit() and int(raw_days) in reports.RANGES:
            days = int(raw_days)
        elif raw_days:
            problems.append(f"Choose {', '.join(map(str, reports.RANGES))} days.")
        period = reports.period_of(days)
    channel = request.GET.get("channel", "")
    if channel and channel not in Channel.values:
        problems.append("No such channel; showing every channel.")
        channel = ""
    scope = reports.Scope(
        team_id=_id(request.GET.get("team", "")),
        agent_id=_id(request.GET.get("agent", "")),
        channel=channel,
    )
    return Filters(period=period, days=days, scope=scope, problem=" ".join(problems))


def _csv(report: reports.ServiceReport, table: str) -> HttpResponse:
    name = f"service-{table}-{report.period.first.isoformat()}-{report.period.last.isoformat()}.csv"
    return csv_download(name, reports.csv_rows(report, table))


@staff_view(Perm.DESK_VIEW)
def service(request: HttpRequest, actor: Actor) -> HttpResponse:
    filters = _filters(request)
    report = reports.service_report(actor, period=filters.period, scope=filters.scope)
    if request.GET.get("format") == "csv":
        table = request.GET.get("table", "")
        if table not in reports.TABLES:
            return HttpResponse(
                f"Choose a table: {', '.join(reports.TABLES)}.", status=400, content_type="text/plain"
            )
        return _csv(report, table)
    return render(
        request,
        "insights/service.html",
        {
            "filters": filters,
            "ranges": reports.RANGES,
            "report": report,
            "chart": report.chart(),
            "teams": reports.teams_offered(actor),
            "agents": reports.agents_offered(actor),
            "channels": Channel.choices,
            "volume_columns": [Channel(channel).label for channel in report.volume],
        },
    )


urlpatterns: list[URLPattern] = [
    path("service/", service, name="service"),
]
