"""Listening reports API: the latest themes, mention volume per hour with spikes, survey figures per
period with confidence intervals. All need the `listening:read` scope."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from rapport.accounts.models import Team
from rapport.api.auth import api_actor
from rapport.api.v1.schemas.common import problems
from rapport.core.errors import NotFound, ValidationFailed
from rapport.listening.reports import periods, surveys, trends

router = Router(tags=["listening"])


class ThemeOut(Schema):
    position: int
    label: str
    top_terms: list[str]
    message_count: int = Field(..., description="Messages of the last 30 days mostly about this theme")
    previous_count: int = Field(..., description="The same in the 30 days before")
    # "unknown" when the 30 days before hold no message at all.
    trend: Literal["rising", "falling", "steady", "unknown"]
    example_message_ids: list[int] = Field(
        ..., description="Typical messages, only from conversations the caller may see (needs desk:read)"
    )


class ThemesOut(Schema):
    run_at: datetime | None
    period_start: datetime | None
    period_end: datetime | None
    items: list[ThemeOut]


@router.get("/listening/themes", response={200: ThemesOut, **problems(422)})
def list_themes(request: HttpRequest) -> dict[str, Any]:
    """The latest run of themes (refreshed daily), largest first."""
    found = trends.latest_themes(api_actor(request), examples=10)
    first = found[0].theme if found else None
    return {
        "run_at": first.run_at if first else None,
        "period_start": first.period_start if first else None,
        "period_end": first.period_end if first else None,
        "items": [
            {
                "position": item.theme.position,
                "label": item.theme.label,
                "top_terms": item.theme.top_terms,
                "message_count": item.theme.message_count,
                "previous_count": item.theme.previous_count,
                "trend": item.theme.trend,
                "example_message_ids": [message.pk for message in item.examples],
            }
            for item in found
        ],
    }


class VolumeParams(Schema):
    days: int = Field(7, ge=1, le=90, description="Hours of the last this many days")


class HourOut(Schema):
    hour: datetime = Field(..., description="The start of the hour (UTC)")
    count: int
    mean_sentiment: float | None = Field(..., description="Mean score of the hour's scored mentions")
    spike: bool = Field(..., description="The count is very unlikely for this hour of the week")
    expected: float | None = Field(..., description="For a spike, the usual count of this hour of the week")


class VolumeOut(Schema):
    total: int
    hours: list[HourOut]


@router.get("/listening/mentions/volume", response={200: VolumeOut, **problems(422)})
def mention_volume(request: HttpRequest, params: Query[VolumeParams]) -> dict[str, Any]:
    """Social mentions per hour with their mean sentiment; spikes are tested against the same hour of the
    week over the four weeks before (exact conditional Poisson test, p < 0.001, at least 5 mentions)."""
    end = timezone.now()
    volume = trends.mention_volume(api_actor(request), start=end - timedelta(days=params.days), end=end)
    return {
        "total": volume.total,
        "hours": [
            {
                "hour": hour,
                "count": volume.counts[i],
                "mean_sentiment": volume.mean_sentiment[i],
                "spike": volume.spike[i],
                "expected": volume.expected[i],
            }
            for i, hour in enumerate(volume.hours)
        ],
    }


class SummaryParams(Schema):
    days: int = Field(30, description="7, 30 or 90: the last this many days, per day (per week for 90)")
    team_id: int | None = Field(None, ge=1, description="Only this team's surveys")


class EstimateOut(Schema):
    value: float | None = Field(
        ..., description="CSAT and response rate as a share (0-1); CES 1-7; NPS -100..100"
    )
    low: float | None
    high: float | None
    n: int


class PeriodOut(Schema):
    period: str = Field(..., description="The first day of the period (ISO date)")
    csat: EstimateOut
    ces: EstimateOut
    nps: EstimateOut
    response_rate: EstimateOut


class SummaryOut(Schema):
    bucket: Literal["day", "week"]
    totals: dict[str, EstimateOut]
    periods: list[PeriodOut]


@router.get("/listening/surveys/summary", response={200: SummaryOut, **problems(404, 422)})
def survey_summary(request: HttpRequest, params: Query[SummaryParams]) -> dict[str, Any]:
    """CSAT, CES and NPS per period with 95% confidence intervals, and the response rate."""
    actor = api_actor(request)
    if params.team_id is not None and not Team.objects.filter(pk=params.team_id).exists():
        raise NotFound(f"no team {params.team_id}", code="team_not_found")
    try:
        window = periods.window(params.days)
    except ValueError as error:
        raise ValidationFailed(str(error), code="invalid_days", errors={"days": str(error)}) from error
    series = surveys.survey_series(actor, window=window, team_id=params.team_id)
    return {
        "bucket": series.bucket,
        "totals": series.totals,
        "periods": [
            {
                "period": label,
                "csat": series.kinds["csat"][i],
                "ces": series.kinds["ces"][i],
                "nps": series.kinds["nps"][i],
                "response_rate": series.response_rate[i],
            }
            for i, label in enumerate(series.labels)
        ],
    }
