"""Survey scores with confidence intervals: CSAT, CES, NPS and response rates (no Django).

- CSAT: the share of answers of 4 or 5 on a 1-5 scale, with the Wilson score interval (Wilson 1927),
  which stays inside [0, 1] and behaves at 0 %, 100 % and small n, unlike the normal approximation.
- CES: the mean effort score (1-7 by default), with a Student t interval on the mean.
- NPS: % promoters (9-10) minus % detractors (0-6) of 0-10 answers, from -100 to 100. Its variance is
  the trinomial one, Var = (p_P + p_D - (p_P - p_D)^2) / n, and the interval is the normal one around
  it, clipped to [-100, 100].
- Response rate: answered / invited, with the Wilson interval.

Every interval contains its point estimate (Wilson's centre is not the estimate, but the interval always
covers it) and narrows as the same answers are seen more often.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import norm
from scipy.stats import t as student_t

DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class NpsEstimate(Estimate):
    promoters: int
    passives: int
    detractors: int


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError("confidence must be in (0, 1)")
    return float(norm.ppf(0.5 + confidence / 2))


def _check_scores(scores: Sequence[int], low: int, high: int, name: str) -> list[int]:
    found = []
    for score in scores:
        if isinstance(score, bool) or int(score) != score or not low <= score <= high:
            raise ValueError(f"{name} answers must be whole numbers from {low} to {high}, not {score!r}")
        found.append(int(score))
    return found


def wilson_interval(successes: int, n: int, confidence: float = DEFAULT_CONFIDENCE) -> Estimate:
    """The share successes / n and its Wilson score interval; n = 0 gives 0 in [0, 1]."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError("need 0 <= successes <= n")
    if n == 0:
        return Estimate(value=0.0, low=0.0, high=1.0, n=0)
    z = _z(confidence)
    share = successes / n
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    # Rounding can leave the bounds a hair inside the estimate at 0 % or 100 %.
    return Estimate(
        value=share, low=max(0.0, min(centre - half, share)), high=min(1.0, max(centre + half, share)), n=n
    )


def csat(scores: Sequence[int], confidence: float = DEFAULT_CONFIDENCE) -> Estimate:
    """Share of satisfied answers (4 or 5 of 1-5)."""
    answers = _check_scores(scores, 1, 5, "CSAT")
    return wilson_interval(sum(1 for score in answers if score >= 4), len(answers), confidence)


def response_rate(answered: int, invited: int, confidence: float = DEFAULT_CONFIDENCE) -> Estimate:
    return wilson_interval(answered, invited, confidence)


def ces(
    scores: Sequence[int], *, low: int = 1, high: int = 7, confidence: float = DEFAULT_CONFIDENCE
) -> Estimate:
    """Mean effort score with a Student t interval (one answer: the interval is the whole scale)."""
    answers = _check_scores(scores, low, high, "CES")
    n = len(answers)
    if n == 0:
        return Estimate(value=float("nan"), low=float(low), high=float(high), n=0)
    mean = sum(answers) / n
    if n == 1:
        return Estimate(value=mean, low=float(low), high=float(high), n=1)
    variance = sum((score - mean) ** 2 for score in answers) / (n - 1)
    half = float(student_t.ppf(0.5 + confidence / 2, n - 1)) * math.sqrt(variance / n)
    return Estimate(value=mean, low=max(float(low), mean - half), high=min(float(high), mean + half), n=n)


def nps(scores: Sequence[int], confidence: float = DEFAULT_CONFIDENCE) -> NpsEstimate:
    """Net Promoter Score (-100..100) with the trinomial normal interval."""
    answers = _check_scores(scores, 0, 10, "NPS")
    n = len(answers)
    promoters = sum(1 for score in answers if score >= 9)
    detractors = sum(1 for score in answers if score <= 6)
    passives = n - promoters - detractors
    if n == 0:
        return NpsEstimate(value=0.0, low=-100.0, high=100.0, n=0, promoters=0, passives=0, detractors=0)
    p_promoter, p_detractor = promoters / n, detractors / n
    score = p_promoter - p_detractor
    variance = max(p_promoter + p_detractor - score * score, 0.0) / n
    half = _z(confidence) * math.sqrt(variance)
    return NpsEstimate(
        value=100 * score,
        low=100 * max(-1.0, score - half),
        high=100 * min(1.0, score + half),
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
    )
