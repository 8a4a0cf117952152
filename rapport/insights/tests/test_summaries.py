"""RFM summaries from transactions: per-day counting, recency, age, spend, holdout; CDNOW rebuilt exactly."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from rapport.insights.numerics.summaries import rfm_summaries
from rapport.insights.tests import cdnow_data

# Hand-made: "a" buys twice on day 1 (one purchase day), then on days 8 and 15, and once in the holdout;
# "b" buys once; "c" first buys after the calibration end, so is not in the cohort.
IDS = ["a", "a", "a", "a", "b", "a", "c"]
DATES = [
    date(2024, 1, 1),
    date(2024, 1, 1),
    date(2024, 1, 8),
    date(2024, 1, 15),
    date(2024, 1, 22),
    date(2024, 2, 5),
    date(2024, 2, 1),
]
AMOUNTS = [10.0, 5.0, 20.0, 40.0, 7.0, 99.0, 50.0]


def test_several_purchases_on_one_day_count_once_and_spend_excludes_the_first_day() -> None:
    s = rfm_summaries(IDS, DATES, AMOUNTS, calibration_end=date(2024, 1, 29), unit="D")

    assert s.customer_ids.tolist() == ["a", "b"]
    assert s.frequency.tolist() == [2, 0]
    assert s.recency.tolist() == [14.0, 0.0]
    assert s.age.tolist() == [28.0, 7.0]
    assert s.monetary_value.tolist() == [30.0, 0.0]  # (20 + 40) / 2; the first day's 15 is left out
    assert s.holdout_frequency is None


def test_weeks_are_days_over_seven_and_the_holdout_counts_purchase_days() -> None:
    s = rfm_summaries(IDS, DATES, AMOUNTS, calibration_end="2024-01-29", holdout_end="2024-02-26", unit="W")

    assert s.recency.tolist() == [2.0, 0.0]
    assert s.age.tolist() == [4.0, 1.0]
    assert s.holdout_frequency is not None
    assert s.holdout_frequency.tolist() == [1, 0]
    assert s.holdout_duration == 4.0


def test_a_purchase_on_the_calibration_end_day_is_in_calibration() -> None:
    s = rfm_summaries(
        ["a", "a"], ["2024-01-01", "2024-01-10"], [1.0, 2.0], calibration_end="2024-01-10", unit="D"
    )

    assert s.frequency.tolist() == [1]
    assert s.recency.tolist() == s.age.tolist() == [9.0]


def test_mismatched_lengths_and_a_holdout_before_calibration_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        rfm_summaries(["a"], ["2024-01-01", "2024-01-02"], calibration_end="2024-01-10")
    with pytest.raises(ValueError, match="holdout_end"):
        rfm_summaries(["a"], ["2024-01-01"], calibration_end="2024-01-10", holdout_end="2024-01-05")


def test_cdnow_summaries_are_rebuilt_from_the_raw_transactions() -> None:
    ids, days, dollars = cdnow_data.transactions()
    published = cdnow_data.summary_with_spend()

    s = rfm_summaries(ids, days, dollars, calibration_end="1997-09-30", holdout_end="1998-06-30", unit="W")

    assert s.customer_ids.tolist() == published["ID"].astype(int).tolist()
    assert s.frequency.tolist() == published["x"].astype(int).tolist()
    # The published file rounds to cents/hundredths of a week (half up, hence 0.005 and not less).
    np.testing.assert_allclose(s.recency, published["t_x"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(s.age, published["T"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(s.monetary_value, published["zbar"], atol=0.005 + 1e-9)
    # Fader, Hardie & Lee's holdout figures, as the dataset README states them.
    assert s.holdout_frequency is not None
    assert int(s.holdout_frequency.sum()) == 1882
    assert int(s.holdout_frequency[s.frequency == 0].sum()) == 334
    assert s.holdout_duration == 39.0
