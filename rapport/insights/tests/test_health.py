"""Relationship health: the score, its band and the reasons a person reads next to it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.insights.numerics.health import (
    AT_RISK,
    DEFAULT_WEIGHTS,
    HEALTHY,
    WATCH,
    HealthInputs,
    health_of,
    value_at_risk,
)


def test_a_customer_with_nothing_wrong_is_fully_healthy_with_no_reasons() -> None:
    health = health_of(HealthInputs(p_alive=1.0, days_since_last_order=10, typical_gap_days=60))
    assert (health.score, health.band, health.reasons) == (100.0, HEALTHY, ())


def test_a_lapsed_buyer_says_how_long_since_the_last_order_against_the_usual_gap() -> None:
    health = health_of(HealthInputs(p_alive=0.25, days_since_last_order=243, typical_gap_days=61))
    assert health.score == 70.0  # 100 - 40 x 0.75
    assert health.band == HEALTHY
    assert [reason.text for reason in health.reasons] == [
        "No order for 8 months, expected every 2 months (P(still buying) 25%)"
    ]


def test_service_trouble_adds_up_and_the_biggest_cost_comes_first() -> None:
    health = health_of(
        HealthInputs(
            p_alive=0.9,
            open_conversations=3,
            oldest_open_days=14,
            sentiment_30d=-0.6,
            negative_conversations_30d=2,
            defection_90d=True,
            latest_csat=1,
            sla_breaches_90d=3,
            recoveries_12m=2,
        )
    )
    # 100 - 4 (buying) - 15 - 15 - 15 - 10 - 5
    assert health.score == 36.0
    assert health.band == AT_RISK
    assert [reason.signal for reason in health.reasons][:1] in (
        ["open_problems"],
        ["sentiment"],
        ["defection"],
    )
    texts = [reason.text for reason in health.reasons]
    assert "2 negative conversations this month" in texts
    assert "Said they may leave (last 90 days)" in texts
    assert "Latest CSAT 1 of 5" in texts
    assert "2 recoveries in 12 months" in texts
    assert health.reasons[-1].points == 0.0  # recoveries inform, they do not cost


def test_a_middling_customer_is_in_the_watch_band() -> None:
    health = health_of(HealthInputs(p_alive=0.2, latest_csat=2))
    assert health.score == pytest.approx(100 - 32 - 7.5)
    assert health.band == WATCH


def test_a_customer_who_never_bought_loses_nothing_for_buying() -> None:
    assert health_of(HealthInputs(p_alive=None)).score == 100.0


def test_weights_must_be_known_non_negative_and_add_up_to_100() -> None:
    with pytest.raises(ValueError, match="unknown"):
        health_of(HealthInputs(), {**DEFAULT_WEIGHTS, "mood": 0.0})
    with pytest.raises(ValueError, match="negative"):
        health_of(HealthInputs(), {**DEFAULT_WEIGHTS, "buying": -10.0, "sla": 55.0})
    with pytest.raises(ValueError, match="100"):
        health_of(HealthInputs(), {**DEFAULT_WEIGHTS, "buying": 50.0})


def test_value_at_risk_is_the_value_if_active_times_the_chance_they_are_gone() -> None:
    assert value_at_risk(300.0, 0.75) == pytest.approx(100.0)
    assert value_at_risk(0.0, 0.1) == 0.0
    assert value_at_risk(500.0, 1.0) == 0.0


inputs = st.builds(
    HealthInputs,
    p_alive=st.none() | st.floats(0, 1),
    days_since_last_order=st.none() | st.floats(0, 5000),
    typical_gap_days=st.none() | st.floats(1, 2000),
    open_conversations=st.integers(0, 50),
    oldest_open_days=st.floats(0, 1000),
    sentiment_30d=st.none() | st.floats(-1, 1),
    negative_conversations_30d=st.integers(0, 20),
    defection_90d=st.booleans(),
    latest_csat=st.none() | st.integers(1, 5),
    sla_breaches_90d=st.integers(0, 20),
    recoveries_12m=st.integers(0, 10),
)


@given(inputs)
def test_any_inputs_give_a_score_from_0_to_100_in_its_band(health_inputs: HealthInputs) -> None:
    health = health_of(health_inputs)
    assert 0.0 <= health.score <= 100.0
    expected = HEALTHY if health.score >= 70 else WATCH if health.score >= 40 else AT_RISK
    assert health.band == expected
    assert all(reason.text for reason in health.reasons)
    costs = [reason.points for reason in health.reasons]
    assert costs == sorted(costs, reverse=True)


@given(inputs, st.floats(0, 1), st.floats(0, 1))
def test_a_lower_p_alive_never_raises_the_score(health_inputs: HealthInputs, p: float, q: float) -> None:
    low, high = sorted((p, q))
    worse = health_of(HealthInputs(**{**health_inputs.__dict__, "p_alive": low}))
    better = health_of(HealthInputs(**{**health_inputs.__dict__, "p_alive": high}))
    assert worse.score <= better.score
