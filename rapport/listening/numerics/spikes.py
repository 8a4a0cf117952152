"""Mention-volume spikes: a one-sided test of each hour's count against the same hour of earlier weeks.

The test. Mentions are counted per hour. For the hour h being tested, the baseline is the counts of
the same hour of the week (h - 168, h - 336, ...) over the last ``weeks`` weeks that the series holds;
an hour with fewer than ``min_weeks`` weeks of history is not tested. Comparing an hour with the same
hour of earlier weeks is what accounts for the time of day and the day of the week: Monday 09:00 is
compared with earlier Mondays at 09:00, never with Sunday night.

The expected count is the mean of that baseline, raised to ``floor`` so a quiet hour (0 mentions for
weeks) does not turn 2 mentions into a crisis. The counts are taken as Poisson, and the test is the
exact conditional test for two Poisson rates (Przyborowski & Wilenski 1940): under the null hypothesis
the hour and its k baseline hours share one rate, so given their total n = observed + baseline sum, the
hour's count is Binomial(n, 1 / (k + 1)), and the one-sided p-value is P(X >= observed) under it (the
regularised incomplete beta function I_p(observed, n - observed + 1), which also takes the floor's
fractional baseline). Unlike a Poisson test against the baseline mean as if it were known, this
allows for the baseline's own noise: four weeks that happened to be quiet do not make an ordinary hour
a crisis. An hour is a spike when its p-value is below the significance level and its count is at
least ``min_count``. The level is ``alpha`` for every hour, or with ``bonferroni=True`` ``alpha``
divided by the number of hours tested, which bounds the chance of any false alarm in the whole series
by ``alpha`` (use it when scanning a long history; the fixed level suits the hourly check of the
newest hour).

Adjacent spiking hours (gaps of at most ``max_gap_hours``) are one episode: ``merge_episodes`` groups
them, and an episode is known by its first hour, so a check that runs every hour and finds the same
storm still going extends the episode rather than raising a new alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy.special import betainc

HOURS_PER_WEEK = 168
DEFAULT_WEEKS = 4
DEFAULT_MIN_WEEKS = 2
DEFAULT_FLOOR = 1.0
DEFAULT_ALPHA = 0.001
DEFAULT_MIN_COUNT = 5


@dataclass(frozen=True)
class Spike:
    hour: datetime  # the start of the hour
    observed: int
    expected: float
    p_value: float


@dataclass(frozen=True)
class Episode:
    """Consecutive spiking hours: one alert. ``start`` identifies it across repeated checks."""

    start: datetime
    end: datetime  # the start of the last spiking hour
    peak: Spike
    observed: int
    expected: float
    spikes: tuple[Spike, ...]

    @property
    def hours(self) -> int:
        return int((self.end - self.start) / timedelta(hours=1)) + 1


def _weeks_seen(size: int, weeks: int) -> np.ndarray:
    """How many earlier weeks each hour of a series of ``size`` hours can look back on (at most ``weeks``)."""
    return np.minimum(np.arange(size) // HOURS_PER_WEEK, weeks).astype(np.float64)


def expected_counts(
    counts: Sequence[int] | np.ndarray,
    *,
    weeks: int = DEFAULT_WEEKS,
    min_weeks: int = DEFAULT_MIN_WEEKS,
    floor: float = DEFAULT_FLOOR,
) -> np.ndarray:
    """The expected count of each hour from the same hour of earlier weeks; NaN where history is short."""
    if weeks < 1 or not 1 <= min_weeks <= weeks:
        raise ValueError("weeks and min_weeks must satisfy 1 <= min_weeks <= weeks")
    if floor < 0:
        raise ValueError("floor must not be negative")
    values = np.asarray(counts, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError("counts must be one hourly series")
    if values.size and (np.any(values < 0) or not np.all(np.isfinite(values))):
        raise ValueError("counts must be finite and not negative")
    total = np.zeros_like(values)
    seen = np.zeros_like(values)
    for k in range(1, weeks + 1):
        lag = k * HOURS_PER_WEEK
        if lag >= values.size:
            break
        total[lag:] += values[:-lag]
        seen[lag:] += 1
    expected = np.full_like(values, np.nan)
    enough = seen >= min_weeks
    expected[enough] = np.maximum(total[enough] / seen[enough], floor)
    return expected


def detect_spikes(
    counts: Sequence[int] | np.ndarray,
    *,
    start: datetime,
    weeks: int = DEFAULT_WEEKS,
    min_weeks: int = DEFAULT_MIN_WEEKS,
    floor: float = DEFAULT_FLOOR,
    alpha: float = DEFAULT_ALPHA,
    bonferroni: bool = False,
    min_count: int = DEFAULT_MIN_COUNT,
    only_last: int | None = None,
) -> list[Spike]:
    """Spiking hours of an hourly series whose first count is the hour beginning at ``start``.

    ``only_last``: test only the newest that many hours (the rest of the series is history).
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    if floor <= 0:
        # A zero floor would make any mention after silence infinitely unlikely.
        raise ValueError("floor must be positive")
    values = np.asarray(counts, dtype=np.float64)
    expected = expected_counts(values, weeks=weeks, min_weeks=min_weeks, floor=floor)
    testable = ~np.isnan(expected)
    if only_last is not None:
        testable[: max(values.size - only_last, 0)] = False
    tested = np.flatnonzero(testable)
    if tested.size == 0:
        return []
    observed = values[tested]
    weeks_seen = _weeks_seen(values.size, weeks)[tested]
    baseline_total = expected[tested] * weeks_seen
    share = 1.0 / (weeks_seen + 1.0)
    # P(X >= observed) for X ~ Binomial(observed + baseline_total, share); 1 when nothing was observed.
    p_values = np.ones_like(observed)
    some = observed > 0
    p_values[some] = betainc(observed[some], baseline_total[some] + 1.0, share[some])
    level = alpha / tested.size if bonferroni else alpha
    hits = np.flatnonzero((p_values < level) & (observed >= min_count))
    return [
        Spike(
            hour=start + timedelta(hours=int(tested[i])),
            observed=int(observed[i]),
            expected=float(expected[tested[i]]),
            p_value=float(p_values[i]),
        )
        for i in hits
    ]


def merge_episodes(spikes: Sequence[Spike], *, max_gap_hours: int = 1) -> list[Episode]:
    """Group spikes whose hours are at most ``max_gap_hours`` apart (1: only adjacent hours) into episodes."""
    if max_gap_hours < 1:
        raise ValueError("max_gap_hours must be at least 1")
    ordered = sorted(spikes, key=lambda spike: spike.hour)
    groups: list[list[Spike]] = []
    for spike in ordered:
        if groups and spike.hour - groups[-1][-1].hour <= timedelta(hours=max_gap_hours):
            groups[-1].append(spike)
        else:
            groups.append([spike])
    return [
        Episode(
            start=group[0].hour,
            end=group[-1].hour,
            peak=min(group, key=lambda spike: (spike.p_value, -spike.observed)),
            observed=sum(spike.observed for spike in group),
            expected=float(sum(spike.expected for spike in group)),
            spikes=tuple(group),
        )
        for group in groups
    ]


def new_episodes(episodes: Sequence[Episode], alerted_starts: Sequence[datetime]) -> list[Episode]:
    """The episodes not yet alerted, given the start hours of those already alerted."""
    known = set(alerted_starts)
    return [episode for episode in episodes if episode.start not in known]
