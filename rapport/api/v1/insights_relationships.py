"""Insights API: the relationships dashboard's figures (CLV distribution, tiers, health bands, the largest
values at risk, defection rate per month, cohort retention and the latest value-model fit).

Needs the `customers:read` scope. Definitions are those of ``rapport.insights.reports.relationships``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from rapport.api.auth import api_actor
from rapport.api.v1.schemas.common import problems
from rapport.core.errors import ValidationFailed
from rapport.insights.reports import relationships as reports

router = Router(tags=["insights"])


class RelationshipsParams(Schema):
    months: int = Field(reports.DEFAULT_MONTHS, description="12 or 24: the last this many whole months")
    tier: Literal["standard", "silver", "gold", "platinum"] | None = Field(
        None, description="Only at-risk customers of this value tier"
    )


class BinOut(Schema):
    clv_from: Decimal = Field(..., description="Lower edge, included")
    clv_below: Decimal | None = Field(..., description="Upper edge, excluded")
    customers: int
    total_clv: Decimal


class GroupOut(Schema):
    key: str
    customers: int
    amount: Decimal = Field(..., description="Total CLV of a tier; total value at risk of a band")


class AtRiskOut(Schema):
    customer_id: int
    name: str
    tier: str = Field(..., description="Blank when the customer has no value yet")
    score: float
    p_alive: float | None
    clv: Decimal
    value_at_risk: Decimal
    reasons: list[str]


class MonthOut(Schema):
    month: str = Field(..., description="YYYY-MM")
    active_at_start: int = Field(..., description="Bought within the 365 days before the month began")
    defected: int = Field(..., description="Of those, no longer active at the month's end")
    active_at_end: int
    rate: float | None = Field(..., description="defected / active_at_start; null without active customers")


class CohortOut(Schema):
    month: str = Field(..., description="Month of the cohort's first purchase, YYYY-MM")
    customers: int
    retention: list[float] = Field(
        ..., description="Share of the cohort buying in month 1, 2, ... after; only months already over"
    )


class FitOut(Schema):
    fitted_at: datetime
    customers: int
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    p: float | None
    q: float | None
    gamma: float | None


class RelationshipsOut(Schema):
    first_month: date
    last_month: date
    history_as_of: datetime | None = Field(
        ...,
        description="When the insights refresh (daily, and after each order import) counted the defection "
        "and cohort figures from the orders; null when they were read from the orders for this request. "
        "The months are the whole months before this moment's month when the month has turned since.",
    )
    valued_customers: int
    total_clv: Decimal
    clv_bins: list[BinOut]
    tiers: list[GroupOut]
    bands: list[GroupOut]
    at_risk: list[AtRiskOut]
    defection: list[MonthOut]
    cohorts: list[CohortOut]
    fit: FitOut | None


@router.get("/insights/relationships", response={200: RelationshipsOut, **problems(422)})
def relationships_summary(request: HttpRequest, params: Query[RelationshipsParams]) -> dict[str, Any]:
    """The relationships dashboard: CLV bins (log-scaled, 1-2-5 steps), customers and CLV per tier,
    customers and value at risk per health band, the 20 largest values at risk, the defection rate per
    month (active: bought within 365 days) and retention by first-purchase cohort."""
    try:
        months = reports.months_of(params.months)
    except ValueError as error:
        raise ValidationFailed(str(error), code="invalid_period") from None
    report = reports.relationships_report(api_actor(request), months=months, tier=params.tier or "")
    fit = report.fit
    return {
        "first_month": report.months.first,
        "last_month": report.months.last,
        "history_as_of": report.history_as_of,
        "valued_customers": report.valued_customers,
        "total_clv": report.total_clv,
        "clv_bins": [
            {"clv_from": b.low, "clv_below": b.high, "customers": b.customers, "total_clv": b.total_clv}
            for b in report.bins
        ],
        "tiers": [{"key": g.key, "customers": g.customers, "amount": g.amount} for g in report.tiers],
        "bands": [{"key": g.key, "customers": g.customers, "amount": g.amount} for g in report.bands],
        "at_risk": [vars(row) for row in report.at_risk],
        "defection": [
            {
                "month": row.month,
                "active_at_start": row.active_at_start,
                "defected": row.defected,
                "active_at_end": row.active_at_end,
                "rate": row.rate,
            }
            for row in report.defection
        ],
        "cohorts": [
            {"month": c.month, "customers": c.size, "retention": [s for s in c.shares if s is not None]}
            for c in report.cohorts
        ],
        "fit": None
        if fit is None
        else {
            name: getattr(fit, name)
            for name in (
                "fitted_at",
                "customers",
                "r",
                "alpha",
                "a",
                "b",
                "log_likelihood",
                "p",
                "q",
                "gamma",
            )
        },
    }
