"""Discounted CLV from BG/NBD and Gamma-Gamma: lifetimes' figures on CDNOW, discounting and horizon rules."""

from __future__ import annotations

import numpy as np
import pytest

from rapport.insights.numerics import bgnbd, clv, gamma_gamma
from rapport.insights.tests.test_bgnbd import LIFETIMES as PURCHASES
from rapport.insights.tests.test_gamma_gamma import LIFETIMES as SPEND

# CDNOW customers 1 (x=2), 2 (x=1) and 157 (x=29), in weeks.
X = np.array([2.0, 1.0, 29.0])
T_X = np.array([30.43, 1.71, 37.71])
AGE = np.array([38.86, 38.86, 38.0])
ZBAR = np.array([22.35, 11.77, 26.26])


def test_clv_matches_lifetimes_with_its_month_and_monthly_rate() -> None:
    # lifetimes: customer_lifetime_value(..., time=12, discount_rate=0.01, freq="W"), months of 4.345 weeks.
    value = clv.customer_lifetime_value(
        PURCHASES,
        SPEND,
        X,
        T_X,
        AGE,
        ZBAR,
        horizon_months=12,
        annual_discount_rate=1.01**12 - 1,
        periods_per_month=4.345,
    )

    np.testing.assert_allclose(value, [36.278495763627944, 4.637466328570688, 625.3500337089746], rtol=1e-9)


def test_without_discounting_clv_is_expected_spend_times_expected_purchases_over_the_horizon() -> None:
    value = clv.customer_lifetime_value(
        PURCHASES, SPEND, X, T_X, AGE, ZBAR, horizon_months=24, annual_discount_rate=0.0
    )

    weeks = 24 * 365.25 / 12 / 7
    expected = gamma_gamma.expected_average_spend(SPEND, X, ZBAR) * bgnbd.expected_purchases(
        PURCHASES, weeks, X, T_X, AGE
    )
    np.testing.assert_allclose(value, expected, rtol=1e-12)


def test_days_and_weeks_give_the_same_value() -> None:
    weeks = clv.customer_lifetime_value(PURCHASES, SPEND, X, T_X, AGE, ZBAR, unit="W")
    days_params = bgnbd.BgNbdParams(r=PURCHASES.r, alpha=PURCHASES.alpha * 7, a=PURCHASES.a, b=PURCHASES.b)

    days = clv.customer_lifetime_value(days_params, SPEND, X, T_X * 7, AGE * 7, ZBAR, unit="D")

    np.testing.assert_allclose(days, weeks, rtol=1e-10)


def test_a_higher_discount_rate_or_shorter_horizon_lowers_value_and_margin_scales_it() -> None:
    base = clv.customer_lifetime_value(PURCHASES, SPEND, X, T_X, AGE, ZBAR, annual_discount_rate=0.10)
    dearer = clv.customer_lifetime_value(PURCHASES, SPEND, X, T_X, AGE, ZBAR, annual_discount_rate=0.30)
    shorter = clv.customer_lifetime_value(PURCHASES, SPEND, X, T_X, AGE, ZBAR, horizon_months=6)
    profit = clv.customer_lifetime_value(PURCHASES, SPEND, X, T_X, AGE, ZBAR, margin=0.25)

    assert np.all(dearer < base)
    assert np.all(shorter < base)
    np.testing.assert_allclose(profit, 0.25 * base, rtol=1e-12)
    assert clv.customer_lifetime_value(PURCHASES, SPEND, X, T_X, AGE, ZBAR, horizon_months=0).tolist() == [
        0,
        0,
        0,
    ]


def test_clv_is_expected_spend_times_discounted_purchases() -> None:
    value = clv.customer_lifetime_value(PURCHASES, SPEND, X, T_X, AGE, ZBAR, horizon_months=18)

    purchases = clv.discounted_purchases(PURCHASES, X, T_X, AGE, horizon_months=18)

    spend = gamma_gamma.expected_average_spend(SPEND, X, ZBAR)
    np.testing.assert_allclose(value, spend * purchases, rtol=1e-12)
    assert np.all(purchases < bgnbd.expected_purchases(PURCHASES, 18 * 365.25 / 12 / 7, X, T_X, AGE))


def test_twelve_monthly_rates_compound_to_the_annual_rate() -> None:
    assert (1 + clv.monthly_rate(0.10)) ** 12 == pytest.approx(1.10, rel=1e-14)
    with pytest.raises(ValueError, match="above -100%"):
        clv.monthly_rate(-1.0)
