"""Social mentions: their sentiment, their hourly volume, and one alert to the leads per spike.

Spikes are found by ``numerics.spikes`` (each hour against the same hour of the week in earlier weeks,
an exact conditional Poisson test). The check runs every few minutes over the last weeks of hourly
counts and tests the newest day of hours, so a storm is seen within minutes and a check that ran late
still finds it. A spike is alerted once: an episode whose hours overlap an episode already alerted is
the same storm (it may have grown, or a late mention may have moved its first hour), so no second alert.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db.models import Avg, Count
from django.db.models.functions import TruncHour
from django.utils import timezone

from rapport.channels.models import SocialMention
from rapport.listening.models import Alert, AlertKind, MentionSignal
from rapport.listening.numerics import spikes
from rapport.listening.runtime import score_sentiments, sentiment_model_version
from rapport.listening.services.alerts import raise_alert
from rapport.listening.services.config import listening_settings

SCORE_BATCH = 500
# Hours of the newest stretch tested on each check; older hours are history only.
TESTED_HOURS = 24
# Mention ids listed on a spike's alert; beyond this the page says how many more there were.
MAX_MENTIONS_PER_ALERT = 500
HOUR = timedelta(hours=1)


def score_new_mentions(*, limit: int = 5000) -> int:
    """Score mentions that have no sentiment yet, oldest first, in batches; returns how many were scored."""
    engine = listening_settings().sentiment_engine
    version = sentiment_model_version(engine)
    scored = 0
    while scored < limit:
        batch = list(
            SocialMention.objects.filter(signal__isnull=True)
            .order_by("id")
            .values_list("id", "text", "posted_at")[: min(SCORE_BATCH, limit - scored)]
        )
        if not batch:
            break
        results = score_sentiments([text or "" for _, text, _ in batch], engine)
        # ignore_conflicts: a concurrent run that scored the same mention first wins, harmlessly.
        MentionSignal.objects.bulk_create(
            [
                MentionSignal(
                    mention_id=mention_id,
                    posted_at=posted_at,
                    sentiment_score=result.score,
                    sentiment_label=result.label,
                    model_version=version,
                )
                for (mention_id, _, posted_at), result in zip(batch, results, strict=True)
            ],
            ignore_conflicts=True,
        )
        scored += len(batch)
    return scored


def hour_floor(moment: datetime) -> datetime:
    """The start of the UTC hour the moment falls in (hours are UTC hours everywhere here)."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class HourlySeries:
    start: datetime  # the first hour
    counts: np.ndarray  # mentions per hour
    mean_sentiment: list[float | None]  # mean score of the scored mentions of each hour


def hourly_mentions(*, start: datetime, end: datetime) -> HourlySeries:
    """Mentions per hour from the hour of ``start`` to the hour before ``end``: one GROUP BY query each
    for the counts and the mean sentiment, whatever the number of hours."""
    first = hour_floor(start)
    # The last hour may be under way (end is now): it is counted so far.
    hours = max(math.ceil((end - first) / HOUR), 0)
    counts = np.zeros(hours, dtype=np.int64)
    means: list[float | None] = [None] * hours
    rows = (
        SocialMention.objects.filter(posted_at__gte=first, posted_at__lt=end)
        .annotate(hour=TruncHour("posted_at", tzinfo=UTC))
        .order_by()
        .values("hour")
        .annotate(n=Count("id"))
    )
    for row in rows:
        index = int((row["hour"] - first) / HOUR)
        if 0 <= index < hours:
            counts[index] = row["n"]
    sentiment_rows = (
        MentionSignal.objects.filter(posted_at__gte=first, posted_at__lt=end)
        .annotate(hour=TruncHour("posted_at", tzinfo=UTC))
        .order_by()
        .values("hour")
        .annotate(mean=Avg("sentiment_score"))
    )
    for row in sentiment_rows:
        index = int((row["hour"] - first) / HOUR)
        if 0 <= index < hours and row["mean"] is not None:
            means[index] = round(float(row["mean"]), 4)
    return HourlySeries(start=first, counts=counts, mean_sentiment=means)


def spike_series(
    *, start: datetime, end: datetime, weeks: int = spikes.DEFAULT_WEEKS
) -> tuple[HourlySeries, list[spikes.Spike]]:
    """Hourly mentions from ``start`` to ``end`` with the spiking hours among them (the weeks before
    ``start`` are read as the baseline)."""
    history_start = hour_floor(start) - timedelta(weeks=weeks)
    series = hourly_mentions(start=history_start, end=end)
    shown = max(math.ceil((end - hour_floor(start)) / HOUR), 0)
    found = spikes.detect_spikes(series.counts, start=series.start, weeks=weeks, only_last=shown)
    return series, found


def _alerted_hours(since: datetime) -> set[datetime]:
    """Every spiking hour of the spikes alerted since then (kept in the alert's data as ISO hours)."""
    hours: set[datetime] = set()
    alerts = Alert.objects.filter(kind=AlertKind.SPIKE, raised_at__gte=since)
    for data in alerts.values_list("data", flat=True):
        for text in (data or {}).get("hours", []):
            hours.add(datetime.fromisoformat(text))
    return hours


def spike_cause_key(start: datetime) -> str:
    return f"spike:{start.astimezone(UTC).strftime('%Y-%m-%dT%H')}"


def check_mention_spikes(*, now: datetime | None = None, weeks: int = spikes.DEFAULT_WEEKS) -> list[Alert]:
    """Test the newest hours of mention volume; raise one alert to the leads for each new spike."""
    now = now or timezone.now()
    end = hour_floor(now) + HOUR  # the hour under way counts: a storm is seen before the hour ends
    series = hourly_mentions(start=end - timedelta(weeks=weeks) - TESTED_HOURS * HOUR, end=end)
    found = spikes.detect_spikes(series.counts, start=series.start, weeks=weeks, only_last=TESTED_HOURS)
    # An episode tested now began at most a day or two ago; older alerts cannot overlap it.
    known = _alerted_hours(now - timedelta(days=7))
    raised = []
    for episode in spikes.merge_episodes(found):
        if any(spike.hour in known for spike in episode.spikes):
            continue
        alert = _raise_spike_alert(episode)
        if alert is not None:
            raised.append(alert)
    return raised


def _raise_spike_alert(episode: spikes.Episode) -> Alert | None:
    mention_ids: list[int] = []
    for spike in episode.spikes:
        mention_ids += list(
            SocialMention.objects.filter(posted_at__gte=spike.hour, posted_at__lt=spike.hour + HOUR)
            .order_by("posted_at", "id")
            .values_list("id", flat=True)[: MAX_MENTIONS_PER_ALERT - len(mention_ids)]
        )
    hours = episode.hours
    return raise_alert(
        kind=AlertKind.SPIKE,
        cause_key=spike_cause_key(episode.start),
        title=(
            f"Mention spike: {episode.observed} mentions in {hours} hour{'s' if hours != 1 else ''} "
            f"(about {episode.expected:.0f} expected)"
        ),
        detail=(
            f"From {episode.start:%Y-%m-%d %H:00} UTC; the busiest hour had {episode.peak.observed} "
            f"mentions against {episode.peak.expected:.1f} usual for that hour of the week "
            f"(p = {episode.peak.p_value:.1e})."
        ),
        recipient=None,
        data={
            "mention_ids": mention_ids,
            "hours": [spike.hour.isoformat() for spike in episode.spikes],
            "counts": [spike.observed for spike in episode.spikes],
            "expected": [round(spike.expected, 2) for spike in episode.spikes],
            "observed": episode.observed,
        },
    )
