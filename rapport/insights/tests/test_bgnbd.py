"""BG/NBD: the published CDNOW fit, P(alive), expected purchases, and properties of the likelihood."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime

from rapport.insights.numerics import bgnbd
from rapport.insights.numerics.bgnbd import BgNbdParams
from rapport.insights.tests import cdnow_data

# lifetimes 0.11.3's BetaGeoFitter on the same file, to full precision: the cross-checks below evaluate our
# functions at these parameters and compare with what lifetimes printed for them.
LIFETIMES = BgNbdParams(
    r=0.24259292827982148, alpha=4.413532265271809, a=0.7928859664406578, b=2.4257523826257374
)


def _cdnow() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = cdnow_data.summary()
    return data["frequency"], data["recency"], data["T"]


def test_cdnow_fit_reproduces_the_published_parameters_and_log_likelihood() -> None:
    fit = bgnbd.fit(*_cdnow())

    # Fader, Hardie & Lee (2005), to the precision they publish (3 decimals, LL to 1).
    p = fit.params
    assert (round(p.r, 3), round(p.alpha, 3), round(p.a, 3), round(p.b, 3)) == (0.243, 4.414, 0.793, 2.426)
    assert round(fit.log_likelihood, 1) == -9582.4
    assert fit.converged
    assert fit.customers == 2357
    assert fit.distinct_summaries < fit.customers  # equal summaries were grouped


def test_grouping_equal_summaries_gives_the_same_fit_as_one_row_per_customer() -> None:
    grouped = bgnbd.fit(*_cdnow())
    ungrouped = bgnbd.fit(*_cdnow(), group=False)

    np.testing.assert_allclose(grouped.params.as_array(), ungrouped.params.as_array(), rtol=1e-5)
    assert grouped.log_likelihood == pytest.approx(ungrouped.log_likelihood, abs=1e-6)


def test_the_same_fit_is_found_when_time_is_in_days() -> None:
    x, t_x, big_t = _cdnow()

    fit = bgnbd.fit(x, t_x * 7, big_t * 7)

    # Only alpha carries the time unit; the likelihood shifts by the Jacobian sum(x) ln 7.
    weeks = bgnbd.fit(x, t_x, big_t)
    assert fit.params.alpha == pytest.approx(7 * weeks.params.alpha, rel=1e-5)
    assert fit.params.r == pytest.approx(weeks.params.r, rel=1e-5)
    assert fit.log_likelihood == pytest.approx(weeks.log_likelihood - x.sum() * np.log(7), abs=1e-4)


def test_probability_alive_and_expectations_match_lifetimes_on_cdnow_customers() -> None:
    # ID 1 (x=2), 2 (x=1), 3 (x=0), 157 (x=29, the heaviest buyer), 1001 (x=0, younger).
    x = np.array([2, 1, 0, 29, 0])
    t_x = np.array([30.43, 1.71, 0.0, 37.71, 0.0])
    big_t = np.array([38.86, 38.86, 38.86, 38.0, 33.57])

    alive = bgnbd.probability_alive(LIFETIMES, x, t_x, big_t)
    expected = bgnbd.expected_purchases(LIFETIMES, 39, x, t_x, big_t)
    new = bgnbd.expected_purchases_new_customer(LIFETIMES, np.array([1.0, 39.0, 78.0]))

    # Values printed by lifetimes 0.11.3; it evaluates the same closed forms, so 1e-9 relative is only
    # floating-point noise (our 2F1 is Pfaff-transformed, hence not bit-identical).
    np.testing.assert_allclose(
        alive, [0.7266091367990596, 0.21222738807220765, 1.0, 0.9691335940044058, 1.0], rtol=1e-9
    )
    np.testing.assert_allclose(
        expected,
        [
            1.2259104241744068,
            0.20325062425618798,
            0.19478085793947836,
            20.05366531949664,
            0.21893982195067083,
        ],
        rtol=1e-9,
    )
    np.testing.assert_allclose(new, [0.0531847368956294, 1.195016228446194, 1.857971703527763], rtol=1e-9)


def test_invalid_summaries_are_refused() -> None:
    with pytest.raises(ValueError, match="recency must be between"):
        bgnbd.fit(np.array([1]), np.array([5.0]), np.array([4.0]))
    with pytest.raises(ValueError, match="recency must be 0"):
        bgnbd.fit(np.array([0]), np.array([1.0]), np.array([4.0]))
    with pytest.raises(ValueError, match="whole numbers"):
        bgnbd.fit(np.array([1.5]), np.array([1.0]), np.array([4.0]))


def test_a_fit_recovers_the_parameters_of_simulated_customers() -> None:
    truth = BgNbdParams(r=0.5, alpha=6.0, a=0.8, b=2.5)
    rng = np.random.default_rng(7)
    ages = rng.uniform(20, 52, size=100_000)
    x, t_x = bgnbd.simulate(truth, ages, rng=rng)

    fit = bgnbd.fit(x, t_x, ages)

    # 100,000 customers: standard errors are a few per cent of each parameter; 10 % is a safe bound.
    np.testing.assert_allclose(fit.params.as_array(), truth.as_array(), rtol=0.10)


# Parameters over four orders of magnitude and every kind of valid summary.
positive = st.floats(min_value=0.01, max_value=100.0)
params = st.builds(BgNbdParams, r=positive, alpha=positive, a=positive, b=positive)


@st.composite
def summaries(draw: st.DrawFn) -> tuple[int, float, float]:
    x = draw(st.integers(min_value=0, max_value=500))
    big_t = draw(st.floats(min_value=0.0, max_value=1000.0))
    t_x = 0.0 if x == 0 else draw(st.floats(min_value=0.0, max_value=big_t))
    return x, t_x, big_t


@given(params, st.lists(summaries(), min_size=1, max_size=20))
@settings(max_examples=300, deadline=None)
def test_the_log_likelihood_is_finite_for_every_valid_summary(
    p: BgNbdParams, rows: list[tuple[int, float, float]]
) -> None:
    x, t_x, big_t = (np.array(column, dtype=float) for column in zip(*rows, strict=True))

    ll = bgnbd.log_likelihood(p, x, t_x, big_t)
    value, grad = bgnbd.negative_log_likelihood(np.log(p.as_array()), x, t_x, big_t)

    # A density in the purchase times (not a probability), so it may be above 0 in logs; finite is the claim.
    assert np.all(np.isfinite(ll))
    assert np.isfinite(value)
    assert np.all(np.isfinite(grad))


@given(params, summaries())
@settings(max_examples=300, deadline=None)
def test_probability_alive_is_a_probability_and_one_without_repeat_purchases(
    p: BgNbdParams, row: tuple[int, float, float]
) -> None:
    x, t_x, big_t = row

    alive = float(bgnbd.probability_alive(p, np.array(x), np.array(t_x), np.array(big_t)))

    assert 0.0 <= alive <= 1.0
    if x == 0:
        assert alive == 1.0


@given(
    params,
    summaries(),
    st.floats(min_value=0.01, max_value=200.0),
    st.floats(min_value=1.01, max_value=10.0),
)
@settings(max_examples=300, deadline=None)
def test_expected_purchases_are_non_negative_and_grow_with_the_period(
    p: BgNbdParams, row: tuple[int, float, float], t: float, factor: float
) -> None:
    x, t_x, big_t = (np.array(v, dtype=float) for v in row)

    shorter = float(bgnbd.expected_purchases(p, t, x, t_x, big_t))
    longer = float(bgnbd.expected_purchases(p, t * factor, x, t_x, big_t))
    population = bgnbd.expected_purchases_new_customer(p, np.array([t, t * factor]))

    assert np.isfinite(shorter)
    assert 0.0 <= shorter <= longer * (1 + 1e-9)
    assert 0.0 <= population[0] <= population[1] * (1 + 1e-9)


@given(st.lists(st.floats(min_value=-1.0, max_value=1.0), min_size=4, max_size=4))
@settings(max_examples=50, deadline=None)
def test_the_gradient_points_downhill_away_from_the_optimum(offset: list[float]) -> None:
    x, t_x, big_t, w = bgnbd.group_summaries(*_cdnow())
    direction = np.array(offset)
    assume(np.linalg.norm(direction) > 0.3)
    theta = np.log(LIFETIMES.as_array()) + direction

    value, grad = bgnbd.negative_log_likelihood(theta, x, t_x, big_t, w)

    numerical = approx_fprime(theta, lambda th: bgnbd.negative_log_likelihood(th, x, t_x, big_t, w)[0], 1e-7)
    # Forward differences with a step of 1e-7 on values of ~1e4 are good to about 1e-3 relative.
    np.testing.assert_allclose(grad, numerical, rtol=1e-3, atol=1e-2)
    step = 1e-4 * grad / np.linalg.norm(grad)
    assert bgnbd.negative_log_likelihood(theta - step, x, t_x, big_t, w)[0] < value
    assert bgnbd.negative_log_likelihood(np.log(LIFETIMES.as_array()), x, t_x, big_t, w)[0] < value


def test_a_degenerate_fit_at_the_parameter_bounds_still_gives_finite_expectations() -> None:
    # Everyone bought exactly twice more, at a steady pace: the gamma mixing collapses to a point and the
    # fit runs to the bounds (huge r, alpha and b), where the Jacobi weights of the fallback overflow.
    x = np.full(30, 2.0)
    recency = np.array([280.0 - 2 * n for n in range(30)])
    age = np.array([300.0 - n for n in range(30)])

    fitted = bgnbd.fit(x, recency, age)
    expected = bgnbd.expected_purchases(fitted.params, 90.0, x, recency, age)

    assert np.all(np.isfinite(expected))
    rate = (fitted.params.r + 2.0) / (fitted.params.alpha + age)
    assert expected == pytest.approx(
        rate * 90.0 * bgnbd.probability_alive(fitted.params, x, recency, age), rel=1e-3
    )
