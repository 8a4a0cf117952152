"""Listening pages: the dashboard, alerts, themes, mention volume and the survey report.

(urlpatterns are gathered by rapport/listening/urls.py.) Charts are drawn by listening/dashboard.js from
data the pages embed with json_script; every figure is also in a table, so the pages work without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from rapport.accounts.models import Team
from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.core.csv_export import csv_download
from rapport.core.errors import RapportError
from rapport.core.http import htmx
from rapport.listening.models import AlertStatus
from rapport.listening.reports import alerts as alert_reads
from rapport.listening.reports import periods, surveys, trends
from rapport.listening.services.alerts import acknowledge_alert
from rapport.listening.services.themes import refresh_themes_now

ALERTS_SHOWN = 200
# The mentions page shows at most this many days of hourly bars.
MENTION_DAYS = (1, 7, 30)


@dataclass(frozen=True)
class Filters:
    days: int
    team: Team | None
    problem: str = ""

    def query(self) -> str:
        return f"days={self.days}" + (f"&team={self.team.pk}" if self.team else "")


def _filters(request: HttpRequest, *, allowed: tuple[int, ...] = periods.RANGES) -> Filters:
    """The date range and team asked for; what cannot be read falls back to the default, with a note."""
    problem = ""
    days = periods.DEFAULT_DAYS if periods.DEFAULT_DAYS in allowed else allowed[-1]
    raw_days = request.GET.get("days", "")
    if raw_days:
        if raw_days.isdigit() and int(raw_days) in allowed:
            days = int(raw_days)
        else:
            problem = f"Choose {', '.join(map(str, allowed))} days; showing {days}."
    team = None
    raw_team = request.GET.get("team", "")
    if raw_team:
        team = Team.objects.filter(pk=int(raw_team)).first() if raw_team.isdigit() else None
        if team is None:
            problem = (problem + " " if problem else "") + "No such team; showing every team."
    return Filters(days=days, team=team, problem=problem)


def _chart_survey(series: surveys.SurveySeries) -> dict[str, Any]:
    return {"labels": series.labels, "kinds": series.kinds, "response_rate": series.response_rate}


@staff_view(Perm.LISTENING_VIEW)
def dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    filters = _filters(request)
    window = periods.window(filters.days)
    team_id = filters.team.pk if filters.team else None
    sentiment = trends.sentiment_trend(actor, window=window, team_id=team_id)
    survey = surveys.survey_series(actor, window=window, team_id=team_id)
    volume = trends.mention_volume(actor, start=window.start, end=window.end)
    open_alerts = alert_reads.alerts_list(actor, status=AlertStatus.OPEN)
    context = {
        "filters": filters,
        "ranges": periods.RANGES,
        "teams": Team.objects.order_by("name"),
        "sentiment": sentiment,
        "sentiment_chart": {
            "labels": sentiment.labels,
            "shares": sentiment.shares,
            "mean": sentiment.mean,
        },
        "survey": survey,
        "survey_chart": _chart_survey(survey),
        "volume": volume,
        "volume_chart": volume.chart(),
        "themes": trends.latest_themes(actor, limit=5, examples=0),
        "open_alert_count": open_alerts.count(),
        "latest_alerts": list(open_alerts[:5]),
    }
    return render(request, "listening/dashboard.html", context)


# Alerts


@staff_view(Perm.LISTENING_VIEW)
def alerts(request: HttpRequest, actor: Actor) -> HttpResponse:
    status = AlertStatus.ACKNOWLEDGED if request.GET.get("tab") == "acknowledged" else AlertStatus.OPEN
    kind = request.GET.get("kind", "")
    kinds = dict(alert_reads.KIND_CHOICES)
    kind = kind if kind in kinds else ""
    found = alert_reads.alerts_list(actor, status=status, kind=kind)
    return render(
        request,
        "listening/alerts.html",
        {
            "alerts": list(found.select_related("acknowledged_by")[:ALERTS_SHOWN]),
            "count": found.count(),
            "shown": ALERTS_SHOWN,
            "status": status,
            "kind": kind,
            "kinds": alert_reads.KIND_CHOICES,
            "open_count": alert_reads.alerts_list(actor, status=AlertStatus.OPEN).count(),
        },
    )


@staff_view(Perm.LISTENING_VIEW)
def alert_detail(request: HttpRequest, actor: Actor, alert_id: int) -> HttpResponse:
    alert = alert_reads.access_alert(actor, alert_id)
    return render(
        request,
        "listening/alerts_detail.html",
        {"alert": alert, "sources": alert_reads.alert_sources(actor, alert)},
    )


@require_POST
@staff_view(Perm.LISTENING_VIEW)
def acknowledge(request: HttpRequest, actor: Actor, alert_id: int) -> HttpResponse:
    """One click from the list (htmx swaps the row) or the alert's page (back to where it was)."""
    notice, status = "Acknowledged.", 200
    try:
        acknowledge_alert(actor=actor, alert_id=alert_id)
    except RapportError as error:
        if error.status == 404:
            raise
        notice, status = error.detail, error.status
    alert = alert_reads.access_alert(actor, alert_id)
    if htmx(request):
        return render(request, "listening/alerts.html#row", {"alert": alert, "notice": notice}, status=status)
    (messages.success if status == 200 else messages.error)(request, notice)
    return redirect("listening:alert", alert_id=alert.pk)


# Themes


@staff_view(Perm.LISTENING_VIEW)
def themes(request: HttpRequest, actor: Actor) -> HttpResponse:
    found = trends.latest_themes(actor)
    return render(
        request,
        "listening/themes.html",
        {
            "themes": found,
            "run": found[0].theme if found else None,
            "can_refresh": actor.can(Perm.LISTENING_MANAGE),
        },
    )


@require_POST
@staff_view(Perm.LISTENING_MANAGE)
def themes_refresh(request: HttpRequest, actor: Actor) -> HttpResponse:
    refresh_themes_now(actor=actor)
    messages.success(request, "Finding themes: the page shows them when the run is done (a minute or so).")
    return redirect("listening:themes")


# Mentions


@staff_view(Perm.LISTENING_VIEW)
def mention_volume(request: HttpRequest, actor: Actor) -> HttpResponse:
    filters = _filters(request, allowed=MENTION_DAYS)
    end = timezone.now()
    volume = trends.mention_volume(actor, start=end - timedelta(days=filters.days), end=end)
    spikes = list(alert_reads.alerts_list(actor, status="", kind="spike")[:20])
    raw = request.GET.get("spike", "")
    # Someone else's alert is 404, as everywhere; an alert of another kind simply lists no mentions.
    chosen = alert_reads.access_alert(actor, int(raw)) if raw.isdigit() else None
    return render(
        request,
        "listening/mentions.html",
        {
            "filters": filters,
            "ranges": MENTION_DAYS,
            "volume": volume,
            "volume_chart": volume.chart(),
            "spikes": spikes,
            "chosen": chosen,
            "sources": alert_reads.alert_sources(actor, chosen) if chosen else None,
        },
    )


# Survey report


def _report(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    filters = _filters(request)
    window = periods.window(filters.days)
    team_id = filters.team.pk if filters.team else None
    survey = surveys.survey_series(actor, window=window, team_id=team_id)
    return {
        "filters": filters,
        "ranges": periods.RANGES,
        "teams": Team.objects.order_by("name"),
        "window": window,
        "survey": survey,
        "survey_chart": _chart_survey(survey),
        "by_team": surveys.survey_breakdown(actor, window=window, by="team", team_id=team_id),
        "by_agent": surveys.survey_breakdown(actor, window=window, by="agent", team_id=team_id),
        "every_agent": surveys.sees_every_agent(actor),
    }


@staff_view(Perm.LISTENING_VIEW)
def survey_report(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "listening/survey_report.html", _report(request, actor))


@staff_view(Perm.LISTENING_VIEW)
def survey_report_csv(request: HttpRequest, actor: Actor) -> HttpResponse:
    report = _report(request, actor)
    window: periods.Window = report["window"]
    day = timezone.localdate(window.end).isoformat()
    rows: list[Sequence[object]] = [surveys.CSV_HEADER]
    for by in ("team", "agent"):
        rows.extend(surveys.breakdown_csv_rows(by, report[f"by_{by}"]))
    return csv_download(f"survey-report-{day}-{window.days}d.csv", rows)


urlpatterns: list[URLPattern] = [
    path("", dashboard, name="dashboard"),
    path("alerts/", alerts, name="alerts"),
    path("alerts/<int:alert_id>/", alert_detail, name="alert"),
    path("alerts/<int:alert_id>/acknowledge/", acknowledge, name="alert_acknowledge"),
    path("themes/", themes, name="themes"),
    path("themes/refresh/", themes_refresh, name="themes_refresh"),
    path("mentions/", mention_volume, name="mention_volume"),
    path("reports/surveys/", survey_report, name="survey_report"),
    path("reports/surveys.csv", survey_report_csv, name="survey_report_csv"),
]
