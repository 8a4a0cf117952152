"""Survey scores: CSAT, CES, NPS and response rates with intervals that contain them and narrow with n."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.listening.numerics.surveys import ces, csat, nps, response_rate, wilson_interval


def test_csat_is_the_share_of_fours_and_fives_with_the_wilson_interval() -> None:
    result = csat([5, 5, 4, 4, 5, 4, 5, 3, 2, 5])

    assert result.value == 0.8
    assert result.n == 10
    # Wilson 95 % interval for 8 of 10 (z = 1.95996).
    assert result.low == pytest.approx(0.4902, abs=1e-4)
    assert result.high == pytest.approx(0.9433, abs=1e-4)


def test_all_satisfied_keeps_the_interval_inside_zero_and_one() -> None:
    result = csat([5] * 20)

    assert result.value == result.high == 1.0
    assert 0.8 < result.low < 1.0


def test_nps_is_promoters_minus_detractors_with_the_trinomial_interval() -> None:
    result = nps([10, 9, 9, 8, 7, 6, 3, 10, 0, 9])

    assert (result.promoters, result.passives, result.detractors) == (5, 2, 3)
    assert result.value == pytest.approx(20.0)
    half = 1.959964 * ((0.5 + 0.3 - 0.2**2) / 10) ** 0.5 * 100
    assert result.low == pytest.approx(20.0 - half, abs=1e-3)
    assert result.high == pytest.approx(20.0 + half, abs=1e-3)


def test_ces_is_the_mean_with_a_t_interval() -> None:
    result = ces([2, 3, 4, 5, 6])

    assert result.value == 4.0
    # t(0.975, 4) = 2.776; s = 1.5811; half-width = 1.963.
    assert result.low == pytest.approx(4.0 - 1.963, abs=1e-3)
    assert result.high == pytest.approx(4.0 + 1.963, abs=1e-3)


def test_response_rate_is_answered_over_invited() -> None:
    result = response_rate(30, 120)

    assert result.value == 0.25
    assert result.low < 0.25 < result.high


def test_no_answers_give_the_widest_interval() -> None:
    assert csat([]).n == 0
    assert (csat([]).low, csat([]).high) == (0.0, 1.0)
    assert (nps([]).low, nps([]).high) == (-100.0, 100.0)


@pytest.mark.parametrize(
    ("function", "scores"),
    [(csat, [0]), (csat, [6]), (nps, [11]), (nps, [-1]), (ces, [8]), (csat, [4.5]), (csat, [True])],
)
def test_answers_off_the_scale_are_refused(function: object, scores: list[object]) -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        function(scores)  # type: ignore[operator]


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=200))
def test_csat_interval_contains_the_estimate_and_narrows_with_more_of_the_same(scores: list[int]) -> None:
    small, large = csat(scores), csat(scores * 4)

    assert small.low <= small.value <= small.high
    assert large.value == pytest.approx(small.value)
    assert large.high - large.low < small.high - small.low


@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=200))
def test_nps_interval_contains_the_estimate_and_narrows_with_more_of_the_same(scores: list[int]) -> None:
    small, large = nps(scores), nps(scores * 4)

    assert -100 <= small.low <= small.value <= small.high <= 100
    assert large.value == pytest.approx(small.value)
    assert large.high - large.low <= small.high - small.low
    if small.high - small.low > 0:
        assert large.high - large.low < small.high - small.low


@given(st.lists(st.integers(min_value=1, max_value=7), min_size=2, max_size=200))
def test_ces_interval_contains_the_estimate_and_narrows_with_more_of_the_same(scores: list[int]) -> None:
    small, large = ces(scores), ces(scores * 4)

    assert small.low <= small.value <= small.high
    assert large.high - large.low <= small.high - small.low


@given(st.integers(min_value=0, max_value=500), st.integers(min_value=1, max_value=500))
def test_wilson_interval_always_contains_the_share(successes: int, n: int) -> None:
    successes = min(successes, n)

    result = wilson_interval(successes, n)

    assert 0.0 <= result.low <= result.value <= result.high <= 1.0
