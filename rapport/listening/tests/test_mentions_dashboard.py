"""Mentions: scoring them, counting them per hour in one query, and one alert per spike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from rapport.listening.models import Alert, AlertKind, MentionSignal
from rapport.listening.services.mentions import (
    check_mention_spikes,
    hourly_mentions,
    score_new_mentions,
)
from rapport.listening.tasks.dashboard import check_mentions_task
from rapport.listening.tests import factories_dashboard as make

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 5, 14, 30, tzinfo=UTC)
SPIKE_HOUR = datetime(2026, 12, 5, 14, tzinfo=UTC)


def _baseline(per_hour: int = 2) -> None:
    """Four weeks and a day of ordinary hours up to (not including) the spike's hour."""
    start = SPIKE_HOUR - timedelta(weeks=4, hours=24)
    hours = int((SPIKE_HOUR - start) / timedelta(hours=1))
    make.hourly_mentions(start, [per_hour] * hours)


def test_new_mentions_are_scored_once() -> None:
    make.mentions_at(SPIKE_HOUR, 3, text="I love this shop, thank you!")

    first = score_new_mentions()
    second = score_new_mentions()

    assert (first, second) == (3, 0)
    signals = list(MentionSignal.objects.all())
    assert len(signals) == 3
    assert all(signal.sentiment_label == "positive" for signal in signals)
    assert all(signal.posted_at.replace(minute=0, second=0) == SPIKE_HOUR for signal in signals)


def test_hourly_counts_take_one_query_whatever_the_number_of_hours(
    django_assert_num_queries: object,
) -> None:
    make.hourly_mentions(SPIKE_HOUR - timedelta(hours=3), [1, 0, 4])

    with django_assert_num_queries(2):  # type: ignore[operator]
        series = hourly_mentions(start=SPIKE_HOUR - timedelta(days=30), end=SPIKE_HOUR)

    assert len(series.counts) == 30 * 24
    assert list(series.counts[-3:]) == [1, 0, 4]
    assert series.counts.sum() == 5


@time_machine.travel(NOW, tick=False)
def test_a_spike_raises_exactly_one_alert_to_the_leads_and_rerunning_raises_none() -> None:
    _baseline()
    storm = make.mentions_at(SPIKE_HOUR, 40, text="Your site is down again, terrible")

    raised = check_mention_spikes()
    again = check_mention_spikes()

    assert len(raised) == 1
    assert again == []
    alert = Alert.objects.get()
    assert alert.kind == AlertKind.SPIKE
    assert alert.cause_key == "spike:2026-12-05T14"
    assert alert.recipient is None
    assert sorted(alert.data["mention_ids"]) == sorted(m.pk for m in storm)
    assert alert.data["counts"] == [40]
    assert alert.data["expected"] == [2.0]


def test_a_storm_that_grows_into_the_next_hour_is_not_alerted_again() -> None:
    with time_machine.travel(NOW, tick=False):
        _baseline()
        make.mentions_at(SPIKE_HOUR, 40)
        assert len(check_mention_spikes()) == 1

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        make.mentions_at(SPIKE_HOUR + timedelta(hours=1), 50)
        assert check_mention_spikes() == []

    assert Alert.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_a_quiet_series_raises_no_alert() -> None:
    _baseline()
    make.mentions_at(SPIKE_HOUR, 3)

    assert check_mention_spikes() == []
    assert not Alert.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_periodic_task_scores_and_checks() -> None:
    _baseline()
    make.mentions_at(SPIKE_HOUR, 40)

    result = check_mentions_task.call()

    assert result["spikes"] == 1
    assert result["scored"] == MentionSignal.objects.count() > 0
