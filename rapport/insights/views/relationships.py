"""Insights pages: the relationships dashboard (urlpatterns are gathered by rapport/insights/urls.py).

Charts are drawn by insights/relationships.js from data the page embeds with json_script; every figure is
also in a table, so the page works without it. Each table downloads as CSV (``?format=csv&table=...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, URLPattern, path, reverse

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.core.csv_export import csv_download
from rapport.insights.models import ValueTier
from rapport.insights.reports import relationships as reports


@dataclass(frozen=True)
class Filters:
    months: int
    tier: str = ""
    problem: str = ""

    def query(self) -> str:
        """The filters as a query string, for the CSV links."""
        params: dict[str, object] = {"months": self.months}
        if self.tier:
            params["tier"] = self.tier
        return urlencode(params)


def _filters(request: HttpRequest) -> Filters:
    """The months and tier asked for; what cannot be read falls back to the default, with a note."""
    problems: list[str] = []
    raw_months = request.GET.get("months", "")
    months = reports.DEFAULT_MONTHS
    if raw_months.isdigit() and int(raw_months) in reports.RANGES:
        months = int(raw_months)
    elif raw_months:
        problems.append(f"Choose {' or '.join(map(str, reports.RANGES))} months.")
    tier = request.GET.get("tier", "")
    if tier and tier not in ValueTier.values:
        problems.append("No such tier; showing every tier.")
        tier = ""
    return Filters(months=months, tier=tier, problem=" ".join(problems))


def _at_risk_list_url() -> str | None:
    """The lead's at-risk list page, when the project has one."""
    try:
        return reverse("insights:at_risk")
    except NoReverseMatch:
        return None


def _csv(report: reports.RelationshipsReport, table: str) -> HttpResponse:
    name = f"relationships-{table}-{report.months.first.isoformat()}-{report.months.last.isoformat()}.csv"
    return csv_download(name, reports.csv_rows(report, table))


@staff_view(Perm.CUSTOMERS_VIEW)
def relationships(request: HttpRequest, actor: Actor) -> HttpResponse:
    filters = _filters(request)
    report = reports.relationships_report(actor, months=reports.months_of(filters.months), tier=filters.tier)
    if request.GET.get("format") == "csv":
        table = request.GET.get("table", "")
        if table not in reports.TABLES:
            return HttpResponse(
                f"Choose a table: {', '.join(reports.TABLES)}.", status=400, content_type="text/plain"
            )
        return _csv(report, table)
    width = report.cohort_width
    return render(
        request,
        "insights/relationships.html",
        {
            "filters": filters,
            "ranges": reports.RANGES,
            "tiers": ValueTier.choices,
            "report": report,
            "chart": report.chart(),
            "active_days": reports.ACTIVE_DAYS,
            "at_risk_url": _at_risk_list_url(),
            "cohort_columns": list(range(1, width + 1)),
            "cohort_rows": [
                {
                    "cohort": cohort,
                    "cells": [
                        None if share is None else {"share": share, "shade": round(share * 10)}
                        for share in cohort.cells(width)
                    ],
                }
                for cohort in report.cohorts
            ],
        },
    )


urlpatterns: list[URLPattern] = [
    path("relationships/", relationships, name="relationships"),
]
