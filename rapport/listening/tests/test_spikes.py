"""Mention spikes: the seasonal Poisson test on synthetic series, and one episode per spike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.listening.numerics.spikes import (
    HOURS_PER_WEEK,
    Spike,
    detect_spikes,
    expected_counts,
    merge_episodes,
    new_episodes,
)

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, 00:00


def _seasonal(weeks: int, seed: int = 1) -> np.ndarray:
    """Poisson counts with a day curve (quiet nights, busy afternoons) and quieter weekends."""
    hours = np.arange(weeks * HOURS_PER_WEEK)
    hour_of_day, day = hours % 24, (hours // 24) % 7
    rate = 3 + 12 * np.exp(-(((hour_of_day - 15) / 4) ** 2))
    rate = rate * np.where(day >= 5, 0.5, 1.0)
    return np.random.default_rng(seed).poisson(rate)


def test_a_spike_is_found_at_its_hour_with_counts_and_p_value() -> None:
    counts = _seasonal(6)
    at = 5 * HOURS_PER_WEEK + 2 * 24 + 10  # Wednesday 10:00 of the sixth week
    counts[at] += 60

    spikes = detect_spikes(counts, start=START, bonferroni=True, alpha=0.01)

    assert [s.hour for s in spikes] == [START + timedelta(hours=at)]
    [spike] = spikes
    assert spike.observed == counts[at]
    assert spike.expected == pytest.approx(np.mean([counts[at - k * HOURS_PER_WEEK] for k in range(1, 5)]))
    assert spike.p_value < 0.01 / (4 * HOURS_PER_WEEK)


@pytest.mark.parametrize("seed", range(5))
def test_a_busy_afternoon_is_not_a_spike_because_afternoons_are_busy(seed: int) -> None:
    counts = _seasonal(8, seed=seed)

    spikes = detect_spikes(counts, start=START, bonferroni=True, alpha=0.01)

    assert spikes == []


def test_hours_without_enough_history_are_not_tested() -> None:
    counts = np.zeros(HOURS_PER_WEEK + 10, dtype=int)
    counts[5] = 1000  # in the first week: nothing to compare with
    counts[HOURS_PER_WEEK + 5] = 1000  # one week of history, min_weeks is 2

    assert detect_spikes(counts, start=START) == []
    assert np.isnan(expected_counts(counts)[: 2 * HOURS_PER_WEEK]).all()


def test_the_floor_keeps_a_few_mentions_after_silence_from_being_a_crisis() -> None:
    counts = np.zeros(3 * HOURS_PER_WEEK, dtype=int)
    counts[-1] = 8

    assert detect_spikes(counts, start=START, min_count=1, floor=2.0) == []
    assert len(detect_spikes(counts, start=START, min_count=1, floor=0.1)) == 1


def test_only_last_tests_the_newest_hours_alone() -> None:
    counts = _seasonal(6)
    counts[-30] += 80
    counts[-1] += 80

    spikes = detect_spikes(counts, start=START, only_last=1)

    assert [s.hour for s in spikes] == [START + timedelta(hours=len(counts) - 1)]


@settings(max_examples=60, deadline=None)
@given(
    profile=st.lists(
        st.integers(min_value=0, max_value=400), min_size=HOURS_PER_WEEK, max_size=HOURS_PER_WEEK
    ),
    weeks=st.integers(min_value=3, max_value=8),
)
def test_a_seasonal_series_without_a_spike_has_none(profile: list[int], weeks: int) -> None:
    counts = np.tile(np.array(profile), weeks)

    assert detect_spikes(counts, start=START, alpha=0.05) == []


@settings(max_examples=60, deadline=None)
@given(
    profile=st.lists(
        st.integers(min_value=0, max_value=50), min_size=HOURS_PER_WEEK, max_size=HOURS_PER_WEEK
    ),
    hour=st.integers(min_value=0, max_value=2 * HOURS_PER_WEEK - 1),
)
def test_a_burst_on_a_seasonal_series_is_the_one_spike_found(profile: list[int], hour: int) -> None:
    counts = np.tile(np.array(profile), 4)
    at = 2 * HOURS_PER_WEEK + hour
    counts[at] += 20 + 10 * profile[at % HOURS_PER_WEEK]

    spikes = detect_spikes(counts, start=START, bonferroni=True)

    assert [s.hour for s in spikes] == [START + timedelta(hours=at)]


def _spike(hour: int, observed: int = 30, p_value: float = 1e-9) -> Spike:
    return Spike(hour=START + timedelta(hours=hour), observed=observed, expected=5.0, p_value=p_value)


def test_adjacent_spiking_hours_are_one_episode() -> None:
    episodes = merge_episodes([_spike(12, 40, 1e-12), _spike(10), _spike(11), _spike(20)])

    assert [(e.start.hour, e.end.hour, e.hours) for e in episodes] == [(10, 12, 3), (20, 20, 1)]
    assert episodes[0].peak.hour.hour == 12
    assert episodes[0].observed == 100
    assert episodes[0].expected == 15.0


def test_a_storm_still_going_an_hour_later_raises_no_second_alert() -> None:
    counts = _seasonal(6)
    storm = len(counts) - 3
    counts[storm:] += 70
    first_check = merge_episodes(detect_spikes(counts[:-1], start=START, only_last=24))
    alerted = [e.start for e in new_episodes(first_check, [])]

    later_check = merge_episodes(detect_spikes(counts, start=START, only_last=24))

    assert len(alerted) == 1
    assert new_episodes(later_check, alerted) == []
    assert later_check[0].hours == 3


@pytest.mark.parametrize(
    "kwargs",
    [{"alpha": 0.0}, {"alpha": 1.0}, {"floor": 0.0}, {"weeks": 2, "min_weeks": 3}, {"min_weeks": 0}],
)
def test_bad_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        detect_spikes([1, 2, 3], start=START, **kwargs)  # type: ignore[arg-type]


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="not negative"):
        detect_spikes([1, -2, 3], start=START)
