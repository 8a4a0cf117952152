"""When to try a failed delivery again: exponential backoff with full jitter over at least three days.

Pure arithmetic, no Django: the delivery service passes times in and stores what comes out.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

# The nominal wait after the n-th failed attempt (n = 1, 2, ...); past the end the last one repeats.
# Close to Standard Webhooks' suggestion (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), stretched so that
# a store that is down over a long weekend still gets its events.
SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
# A delivery is retried until this long after its window started; the last attempt falls on its end.
RETRY_WINDOW = timedelta(days=3)
# Full jitter can draw a wait near zero; a wait is never shorter than this share of its nominal
# wait (nor than MIN_DELAY), which bounds the number of attempts in a window (about 35 at worst).
FLOOR_SHARE = 0.1
MIN_DELAY = timedelta(seconds=1)

Draw = Callable[[float, float], float]


def nominal_delay(failed_attempts: int) -> timedelta:
    """The ceiling of the wait after `failed_attempts` failures (1 for the first failure)."""
    index = min(max(failed_attempts, 1), len(SCHEDULE)) - 1
    return SCHEDULE[index]


def jittered_delay(failed_attempts: int, *, draw: Draw = random.uniform) -> timedelta:
    """Full jitter: a uniform draw between nothing and the nominal wait, so retries of many deliveries
    that failed together (an endpoint's outage) spread out instead of arriving at once."""
    ceiling = nominal_delay(failed_attempts)
    seconds = draw(0.0, ceiling.total_seconds())
    return max(MIN_DELAY, ceiling * FLOOR_SHARE, min(ceiling, timedelta(seconds=seconds)))


def next_attempt_at(
    *, failed_attempts: int, failed_at: datetime, window_started_at: datetime, draw: Draw = random.uniform
) -> datetime | None:
    """When to try again after a failure, or None when the retry window is over (the delivery fails).

    A wait that would end after the window is cut short so that the last attempt happens at the
    window's end: retries always cover the whole window, and the delivery fails soon after it.
    """
    window_end = window_started_at + RETRY_WINDOW
    if failed_at >= window_end:
        return None
    return min(failed_at + jittered_delay(failed_attempts, draw=draw), window_end)
