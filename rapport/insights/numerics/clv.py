"""Discounted customer lifetime value from a BG/NBD fit (how often) and a Gamma-Gamma fit (how much).

The formula is the one of ``lifetimes.utils._customer_lifetime_value`` (which follows Fader, Hardie &
Lee (2005) "RFM and CLV: using iso-value curves for customer base analysis", *Journal of Marketing
Research* 42(4), in discrete monthly steps): the horizon is cut into months, each month's expected
purchases are the increase of the BG/NBD conditional expectation over it, and each is valued at the
Gamma-Gamma expected average spend and discounted to today at the end of its month::

    CLV = margin * E[M | x, zbar] * sum_{i=1..H} (E[Y(i f)] - E[Y((i - 1) f)]) / (1 + d)^i

    (E[Y(t)] short for the BG/NBD's E[Y(t) | x, t_x, T])

with H the horizon in months, f the length of a month in the summaries' time unit and d the monthly
discount rate, d = (1 + annual rate)^(1/12) - 1, so that a year of monthly discounting equals the annual
rate. A month is 365.25 / 12 days (30.44 days, 4.348 weeks); ``lifetimes`` uses 30 days or 4.345 weeks,
which ``periods_per_month`` can reproduce. Because the sum telescopes only without discounting, the
undiscounted CLV is exactly E[M] * E[Y(H f)].
"""

from __future__ import annotations

import numpy as np

from rapport.insights.numerics import bgnbd, gamma_gamma
from rapport.insights.numerics.summaries import DAYS_PER_UNIT

DAYS_PER_MONTH = 365.25 / 12


def monthly_rate(annual_discount_rate: float) -> float:
    """The monthly rate that compounds to ``annual_discount_rate`` over twelve months."""
    if annual_discount_rate <= -1:
        raise ValueError("the annual discount rate must be above -100%")
    return float((1.0 + annual_discount_rate) ** (1.0 / 12.0) - 1.0)


def discounted_purchases(
    purchases: bgnbd.BgNbdParams,
    frequency: np.ndarray,
    recency: np.ndarray,
    age: np.ndarray,
    *,
    horizon_months: int = 12,
    annual_discount_rate: float = 0.10,
    unit: str = "W",
    periods_per_month: float | None = None,
) -> np.ndarray:
    """Each customer's expected purchases over the next ``horizon_months``, each month's discounted to today:
    sum_{i=1..H} (E[Y(i f)] - E[Y((i - 1) f)]) / (1 + d)^i. Times a spend per purchase, this is the CLV (for
    when no spend model can be fitted, e.g. too few repeat buyers, a flat average order value can stand in).
    """
    if horizon_months < 0:
        raise ValueError("the horizon must be 0 or more months")
    month = periods_per_month if periods_per_month is not None else DAYS_PER_MONTH / DAYS_PER_UNIT[unit]
    x, t_x, big_t = (np.asarray(v, dtype=np.float64) for v in (frequency, recency, age))
    rate = monthly_rate(annual_discount_rate)
    total = np.zeros(np.broadcast(x, t_x, big_t).shape)
    previous = np.zeros_like(total)
    for i in range(1, horizon_months + 1):
        cumulative = bgnbd.expected_purchases(purchases, i * month, x, t_x, big_t)
        total += (cumulative - previous) / (1.0 + rate) ** i
        previous = cumulative
    return total


def customer_lifetime_value(
    purchases: bgnbd.BgNbdParams,
    spend: gamma_gamma.GammaGammaParams,
    frequency: np.ndarray,
    recency: np.ndarray,
    age: np.ndarray,
    monetary_value: np.ndarray,
    *,
    horizon_months: int = 12,
    annual_discount_rate: float = 0.10,
    unit: str = "W",
    periods_per_month: float | None = None,
    margin: float = 1.0,
) -> np.ndarray:
    """Each customer's discounted value over the next ``horizon_months`` (in the currency of the spend).

    ``unit`` is the summaries' time unit ("D" or "W"); ``periods_per_month`` overrides the length of a month
    in that unit. ``margin`` turns revenue into profit (1.0 keeps revenue). Customers with x = 0 are valued
    at the population's mean spend.
    """
    spend_per_purchase = gamma_gamma.expected_average_spend(
        spend, np.asarray(frequency, dtype=np.float64), np.asarray(monetary_value, dtype=np.float64)
    )
    purchases_now = discounted_purchases(
        purchases,
        frequency,
        recency,
        age,
        horizon_months=horizon_months,
        annual_discount_rate=annual_discount_rate,
        unit=unit,
        periods_per_month=periods_per_month,
    )
    return margin * spend_per_purchase * purchases_now
