"""The retry schedule: growing waits, full jitter within them, and at least three days of retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from rapport.webhooks.backoff import (
    FLOOR_SHARE,
    MIN_DELAY,
    RETRY_WINDOW,
    SCHEDULE,
    jittered_delay,
    next_attempt_at,
    nominal_delay,
)

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def _drawing(fraction: float):  # type: ignore[no-untyped-def]
    return lambda low, high: low + (high - low) * fraction


def test_the_schedule_is_the_documented_one() -> None:
    assert [delay.total_seconds() for delay in SCHEDULE] == [
        5,
        5 * 60,
        30 * 60,
        2 * 3600,
        5 * 3600,
        10 * 3600,
        10 * 3600,
        14 * 3600,
        20 * 3600,
        24 * 3600,
    ]
    assert timedelta(days=3) == RETRY_WINDOW


@given(st.integers(min_value=1, max_value=200))
def test_nominal_waits_never_shrink(failures: int) -> None:
    assert nominal_delay(failures + 1) >= nominal_delay(failures)


@given(st.integers(min_value=1, max_value=200), fractions)
def test_a_jittered_wait_stays_between_the_floor_and_its_nominal_wait(failures: int, fraction: float) -> None:
    delay = jittered_delay(failures, draw=_drawing(fraction))

    assert max(MIN_DELAY, nominal_delay(failures) * FLOOR_SHARE) <= delay <= nominal_delay(failures)


@given(st.lists(fractions, min_size=1, max_size=400))
def test_retries_cover_at_least_three_days_then_stop(draws: list[float]) -> None:
    """Whatever the jitter draws, a delivery that always fails is retried for the whole window, its
    last attempt falls on the window's end, and it then fails."""
    at = START
    failures = 0
    while True:
        failures += 1
        fraction = draws[(failures - 1) % len(draws)]
        following = next_attempt_at(
            failed_attempts=failures, failed_at=at, window_started_at=START, draw=_drawing(fraction)
        )
        if following is None:
            break
        assert following > at
        at = following
        assert failures < 60

    assert at - START >= RETRY_WINDOW
    assert at == START + RETRY_WINDOW


def test_without_jitter_the_attempts_follow_the_schedule_until_the_window_ends() -> None:
    at: datetime | None = START
    failures, times = 0, []
    while at is not None:
        times.append(at)
        failures += 1
        at = next_attempt_at(
            failed_attempts=failures, failed_at=at, window_started_at=START, draw=lambda lo, hi: hi
        )

    expected, moment = [START], START
    for delay in SCHEDULE:
        moment += delay
        if moment >= START + RETRY_WINDOW:
            break
        expected.append(moment)
    expected.append(START + RETRY_WINDOW)
    assert times == expected
    # 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 14 h, 20 h: the tenth attempt comes after 61.6 hours,
    # the eleventh and last at 72 hours.
    assert len(times) == 11
    assert round((times[-2] - START).total_seconds() / 3600, 1) == 61.6
