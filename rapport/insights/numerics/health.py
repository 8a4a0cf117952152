"""Relationship health: one score from 0 to 100 per customer, with the reasons that moved it (no Django).

The score starts at 100 and loses, for each signal, its weight times how bad the signal is (a severity
from 0, fine, to 1, as bad as it gets), so the weights are the most each signal can cost and they add up
to 100. The default weights put half on buying behaviour, because a customer who stopped buying has left
whatever the desk says, and half on what the service sees:

| signal | weight | severity |
|---|---|---|
| still buying: P(alive) from BG/NBD | 40 | 1 - P(alive) |
| open problems: open conversations, the oldest's age | 15 | half count (full at 3), half age (full at 14 d) |
| sentiment of their messages, last 30 days | 15 | 0 at a mean of +0.05 or more, 1 at -0.6, linear |
| defection intent in the last 90 days | 15 | 1 when any message said they are leaving |
| latest CSAT in the last 180 days | 10 | 1: 1.0, 2: 0.75, 3: 0.4, 4 and 5: 0 |
| SLA breaches in the last 90 days | 5 | one third per breach, full at 3 |

Bands: healthy from 70, watch from 40, at risk below. Recoveries are not a penalty: a customer who was
made whole is not less healthy for it; they show as a reason only ("2 recoveries in 12 months").

Value at risk ranks the at-risk list: what the customer would be worth if surely still active (their CLV
divided by P(alive)) times the probability that they are gone (1 - P(alive)).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

HEALTHY, WATCH, AT_RISK = "healthy", "watch", "at_risk"
HEALTHY_FROM = 70.0
WATCH_FROM = 40.0
# Below this severity a signal costs little and gives no reason of its own.
REASON_FROM = 0.2
MIN_P_ALIVE = 1e-6

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "buying": 40.0,
    "open_problems": 15.0,
    "sentiment": 15.0,
    "defection": 15.0,
    "csat": 10.0,
    "sla": 5.0,
}
CSAT_SEVERITY = {1: 1.0, 2: 0.75, 3: 0.4, 4: 0.0, 5: 0.0}


@dataclass(frozen=True)
class HealthInputs:
    p_alive: float | None = None  # None: never bought, so buying behaviour says nothing yet
    days_since_last_order: float | None = None
    typical_gap_days: float | None = None  # mean days between their orders; None with fewer than two
    open_conversations: int = 0
    oldest_open_days: float = 0.0
    sentiment_30d: float | None = None  # mean score of their messages; None when they wrote none
    negative_conversations_30d: int = 0
    defection_90d: bool = False
    latest_csat: int | None = None
    sla_breaches_90d: int = 0
    recoveries_12m: int = 0


@dataclass(frozen=True)
class Reason:
    signal: str
    text: str
    points: float  # what it cost, 0 for a reason shown as information only


@dataclass(frozen=True)
class Health:
    score: float
    band: str
    reasons: tuple[Reason, ...] = field(default_factory=tuple)


def band_for(score: float) -> str:
    if score >= HEALTHY_FROM:
        return HEALTHY
    if score >= WATCH_FROM:
        return WATCH
    return AT_RISK


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def _months(days: float) -> str:
    months = days / 30.4
    if months < 1.5:
        weeks = max(1, round(days / 7))
        return f"{weeks} week{'s' if weeks != 1 else ''}"
    return f"{round(months)} months"


def _buying(inputs: HealthInputs) -> tuple[float, str]:
    if inputs.p_alive is None:
        return 0.0, ""
    severity = _clamp(1.0 - inputs.p_alive)
    if inputs.days_since_last_order is None:
        return severity, f"P(still buying) {inputs.p_alive:.0%}"
    text = f"No order for {_months(inputs.days_since_last_order)}"
    if inputs.typical_gap_days:
        text += f", expected every {_months(inputs.typical_gap_days)}"
    return severity, f"{text} (P(still buying) {inputs.p_alive:.0%})"


def _open_problems(inputs: HealthInputs) -> tuple[float, str]:
    if inputs.open_conversations <= 0:
        return 0.0, ""
    severity = 0.5 * _clamp(inputs.open_conversations / 3) + 0.5 * _clamp(inputs.oldest_open_days / 14)
    count = inputs.open_conversations
    text = f"{count} open conversation{'s' if count != 1 else ''}"
    if inputs.oldest_open_days >= 1:
        text += f", the oldest {_months(inputs.oldest_open_days)} old"
    return severity, text


def _sentiment(inputs: HealthInputs) -> tuple[float, str]:
    if inputs.sentiment_30d is None:
        return 0.0, ""
    severity = _clamp((0.05 - inputs.sentiment_30d) / 0.65)
    negative = inputs.negative_conversations_30d
    if negative:
        text = f"{negative} negative conversation{'s' if negative != 1 else ''} this month"
    else:
        text = f"Messages this month read {inputs.sentiment_30d:+.2f} on average"
    return severity, text


def _defection(inputs: HealthInputs) -> tuple[float, str]:
    return (1.0, "Said they may leave (last 90 days)") if inputs.defection_90d else (0.0, "")


def _csat(inputs: HealthInputs) -> tuple[float, str]:
    if inputs.latest_csat is None:
        return 0.0, ""
    severity = CSAT_SEVERITY.get(inputs.latest_csat, 0.0)
    return severity, f"Latest CSAT {inputs.latest_csat} of 5"


def _sla(inputs: HealthInputs) -> tuple[float, str]:
    breaches = inputs.sla_breaches_90d
    if breaches <= 0:
        return 0.0, ""
    return _clamp(breaches / 3), f"{breaches} SLA breach{'es' if breaches != 1 else ''} in 90 days"


_SIGNALS = {
    "buying": _buying,
    "open_problems": _open_problems,
    "sentiment": _sentiment,
    "defection": _defection,
    "csat": _csat,
    "sla": _sla,
}


def check_weights(weights: Mapping[str, float]) -> None:
    unknown = set(weights) - set(_SIGNALS)
    if unknown:
        raise ValueError(f"unknown health signals: {', '.join(sorted(unknown))}")
    if any(weight < 0 for weight in weights.values()):
        raise ValueError("health weights cannot be negative")
    if abs(sum(weights.values()) - 100.0) > 1e-6:
        raise ValueError("health weights must add up to 100")


def health_of(inputs: HealthInputs, weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> Health:
    """The score, its band and its reasons, largest cost first."""
    check_weights(weights)
    score = 100.0
    reasons: list[Reason] = []
    for signal, weight in weights.items():
        severity, text = _SIGNALS[signal](inputs)
        cost = weight * severity
        score -= cost
        if text and severity >= REASON_FROM:
            reasons.append(Reason(signal=signal, text=text, points=round(cost, 1)))
    if inputs.recoveries_12m:
        n = inputs.recoveries_12m
        reasons.append(
            Reason(
                signal="recoveries", text=f"{n} recover{'ies' if n != 1 else 'y'} in 12 months", points=0.0
            )
        )
    score = round(max(0.0, min(100.0, score)), 1)
    ordered = sorted(reasons, key=lambda reason: -reason.points)
    return Health(score=score, band=band_for(score), reasons=tuple(ordered))


def value_at_risk(clv: float, p_alive: float) -> float:
    """What the customer would be worth if surely active, times the probability they are gone."""
    if clv <= 0:
        return 0.0
    p = min(1.0, max(MIN_P_ALIVE, p_alive))
    return clv / p * (1.0 - p)
