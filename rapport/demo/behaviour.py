"""How often simulated customers buy: a BG/NBD-like process, pure Python, no Django.

Each buyer makes a first purchase at a random moment in the window, then buys again as a Poisson
process whose rate is drawn from a Gamma distribution, and after each purchase drops out for good
with a probability drawn from a Beta distribution (Fader, Hardie and Lee, 2005). So many buy once,
a few buy often, and some go quiet.

To produce exactly the number of orders asked for, the rates are scaled by a common factor chosen
after the draws: each possible repeat purchase has the scale at which it first fits in the window,
and the smallest of those thresholds are kept. Scaling a Poisson process's rate keeps it Poisson,
so the shape of the behaviour is unchanged; only its level is set.
"""

from __future__ import annotations

import heapq
import math
import random
from array import array
from dataclasses import dataclass

# Rate heterogeneity (Gamma shape) and dropout (Beta a, b), near the published CDNOW fit in shape
# (r 0.24, a 0.79, b 2.43) but tamer, so a demo store's best customers buy tens of times, not
# thousands.
RATE_SHAPE = 0.6
DROPOUT_A = 1.0
DROPOUT_B = 12.0
BUYER_SHARE = 0.92


@dataclass(frozen=True)
class Purchases:
    """Every purchase as (day, customer), in time order; day is a float from the window's start."""

    day: array[float]
    customer: array[int]
    # Orders per customer, and when each became a customer (NaN for those who never bought).
    counts: array[int]
    first_day: array[float]

    def __len__(self) -> int:
        return len(self.day)


def _repeat_thresholds(
    rng: random.Random,
    births: array[float],
    span: float,
    cap: int,
    dropout: bool,
) -> tuple[array[float], array[int]]:
    thresholds = array("d")
    owners = array("l")
    for index, birth in enumerate(births):
        if math.isnan(birth):
            continue
        rate = max(rng.gammavariate(RATE_SHAPE, 1.0), 1e-12)
        churn = rng.betavariate(DROPOUT_A, DROPOUT_B) if dropout else 0.0
        if churn >= 1.0:
            continue
        allowed = cap if churn <= 0.0 else min(cap, int(math.log(1.0 - rng.random()) / math.log1p(-churn)))
        # t = S_k / (rate * remaining): the rate scale at which the k-th repeat lands inside the window.
        per_scale = 1.0 / (rate * max(span - birth, 1e-9))
        elapsed = 0.0
        for _ in range(allowed):
            elapsed += rng.expovariate(1.0)
            thresholds.append(elapsed * per_scale)
            owners.append(index)
    return thresholds, owners


def simulate_purchases(
    *, customers: int, orders: int, span_days: float, rng: random.Random, buyer_share: float = BUYER_SHARE
) -> Purchases:
    """Exactly `orders` purchases by `customers` customers over `span_days`; buyer_share of them buy."""
    if orders and not customers:
        raise ValueError("orders need customers")
    births = array("d", [math.nan]) * customers
    buyers = min(orders, customers, max(1, round(customers * buyer_share))) if customers and orders else 0
    for index in rng.sample(range(customers), buyers):
        births[index] = rng.random() * span_days
    repeats = orders - buyers
    # No one buys more than 15 times the average: the tail stays believable.
    cap = max(60, 15 * math.ceil(orders / max(buyers, 1)))
    dropout = True
    thresholds, owners = (
        _repeat_thresholds(rng, births, span_days, cap, dropout) if repeats else (array("d"), array("l"))
    )
    while len(thresholds) < repeats:
        # Too few possible purchases for so many orders: let customers stay and buy more.
        cap *= 2
        dropout = False
        thresholds, owners = _repeat_thresholds(rng, births, span_days, cap, dropout)
    day = array("d")
    who = array("l")
    for index, birth in enumerate(births):
        if not math.isnan(birth):
            day.append(birth)
            who.append(index)
    if repeats:
        # The repeats-th smallest threshold is the scale; nsmallest keeps memory to what is kept.
        scale = heapq.nsmallest(repeats, thresholds)[-1]
        ties = repeats - sum(1 for threshold in thresholds if threshold < scale)
        for threshold, owner in zip(thresholds, owners, strict=True):
            if threshold > scale or (threshold == scale and not ties):
                continue
            if threshold == scale:
                ties -= 1
            birth = births[owner]
            day.append(min(span_days, birth + (span_days - birth) * threshold / scale))
            who.append(owner)
    order = sorted(range(len(day)), key=day.__getitem__)
    counts = array("l", [0]) * customers
    for owner in who:
        counts[owner] += 1
    return Purchases(
        day=array("d", (day[i] for i in order)),
        customer=array("l", (who[i] for i in order)),
        counts=counts,
        first_day=births,
    )
