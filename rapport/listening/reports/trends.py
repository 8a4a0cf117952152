"""Sentiment of inbound messages per day, mention volume per hour with its spikes, and the latest themes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Sum

from rapport.accounts.permissions import Actor, Perm
from rapport.desk.models import Message
from rapport.desk.selectors.conversations import conversations_visible_to
from rapport.listening.models import MessageSignal, SentimentLabel, Theme
from rapport.listening.reports.periods import Window, slot_of
from rapport.listening.services.mentions import HOUR, hour_floor, spike_series

LABELS = (SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL, SentimentLabel.POSITIVE)


@dataclass(frozen=True)
class SentimentTrend:
    bucket: str
    labels: list[str]
    # label -> share of that period's scored messages (None for a period without any)
    shares: dict[str, list[float | None]]
    mean: list[float | None]
    counts: list[int]

    @property
    def rows(self) -> list[dict[str, Any]]:
        """One row per period, for the table beside the chart."""
        return [
            {
                "label": label,
                "count": self.counts[i],
                "negative": self.shares[SentimentLabel.NEGATIVE][i],
                "neutral": self.shares[SentimentLabel.NEUTRAL][i],
                "positive": self.shares[SentimentLabel.POSITIVE][i],
                "mean": self.mean[i],
            }
            for i, label in enumerate(self.labels)
        ]


def sentiment_trend(actor: Actor, *, window: Window, team_id: int | None = None) -> SentimentTrend:
    """Per day (or week): the share of negative, neutral and positive inbound messages, and the mean score."""
    actor.require(Perm.LISTENING_VIEW)
    slots = window.slots()
    index = {slot: position for position, slot in enumerate(slots)}
    per_label: dict[str, list[int]] = {label: [0] * len(slots) for label in LABELS}
    totals = [0.0] * len(slots)
    signals = MessageSignal.objects.filter(written_at__gte=window.start, written_at__lt=window.end)
    if team_id is not None:
        signals = signals.filter(message__conversation__team_id=team_id)
    rows = (
        signals.order_by()
        .annotate(slot=window.trunc("written_at"))
        .values("slot", "sentiment_label")
        .annotate(n=Count("id"), total=Sum("sentiment_score"))
    )
    for row in rows:
        position = index.get(slot_of(row["slot"]))
        if position is None or row["sentiment_label"] not in per_label:
            continue
        per_label[row["sentiment_label"]][position] += row["n"]
        totals[position] += float(row["total"] or 0.0)
    counts = [sum(per_label[label][i] for label in LABELS) for i in range(len(slots))]
    return SentimentTrend(
        bucket=window.bucket,
        labels=[slot.isoformat() for slot in slots],
        shares={
            str(label): [round(per_label[label][i] / n, 4) if n else None for i, n in enumerate(counts)]
            for label in LABELS
        },
        mean=[round(totals[i] / n, 4) if n else None for i, n in enumerate(counts)],
        counts=counts,
    )


@dataclass(frozen=True)
class MentionVolume:
    hours: list[datetime]
    counts: list[int]
    mean_sentiment: list[float | None]
    spike: list[bool]
    expected: list[float | None]  # for spiking hours, the count the hour of the week usually has

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def spike_hours(self) -> int:
        return sum(self.spike)

    def chart(self) -> dict[str, Any]:
        return {
            "labels": [hour.isoformat() for hour in self.hours],
            "counts": self.counts,
            "sentiment": self.mean_sentiment,
            "spike": self.spike,
        }


def mention_volume(actor: Actor, *, start: datetime, end: datetime) -> MentionVolume:
    """Mentions per hour with their mean sentiment, and which hours were spikes against earlier weeks."""
    actor.require(Perm.LISTENING_VIEW)
    series, found = spike_series(start=start, end=end)
    first = int((hour_floor(start) - series.start) / HOUR)
    by_hour = {spike.hour: spike for spike in found}
    hours = [series.start + i * HOUR for i in range(first, len(series.counts))]
    return MentionVolume(
        hours=hours,
        counts=[int(n) for n in series.counts[first:]],
        mean_sentiment=series.mean_sentiment[first:],
        spike=[hour in by_hour for hour in hours],
        expected=[round(by_hour[hour].expected, 2) if hour in by_hour else None for hour in hours],
    )


@dataclass(frozen=True)
class ThemeView:
    theme: Theme
    examples: list[Message]


def latest_themes(actor: Actor, *, limit: int | None = None, examples: int = 3) -> list[ThemeView]:
    """The latest run's themes, each with example messages from conversations the actor may see only."""
    actor.require(Perm.LISTENING_VIEW)
    latest = Theme.objects.order_by("-run_at").values_list("run_at", flat=True).first()
    if latest is None:
        return []
    themes = list(Theme.objects.filter(run_at=latest).order_by("position"))
    if limit is not None:
        themes = themes[:limit]
    wanted = [pk for theme in themes for pk in theme.example_message_ids]
    visible: dict[int, Message] = {}
    # Without the desk, no examples: a theme's terms and counts tell nobody what one customer wrote.
    if wanted and actor.can(Perm.DESK_VIEW):
        visible = {
            message.pk: message
            for message in Message.objects.filter(
                pk__in=wanted, conversation__in=conversations_visible_to(actor)
            ).select_related("conversation")
        }
    shown: dict[int, list[Message]] = defaultdict(list)
    for theme in themes:
        for pk in theme.example_message_ids:
            if pk in visible and len(shown[theme.pk]) < examples:
                shown[theme.pk].append(visible[pk])
    return [ThemeView(theme=theme, examples=shown[theme.pk]) for theme in themes]
