"""Defection and cohort counts: checked month end by month end, and windows equal to counting alone."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.insights.numerics.retention import (
    RetentionCounts,
    defection_by_month,
    first_purchase_days,
    retention_counts,
)

ORIGIN = date(2023, 1, 1)
purchase_lists = st.lists(st.tuples(st.integers(1, 6), st.integers(0, 900)), min_size=0, max_size=40)


def _starts(first: date, count: int) -> np.ndarray:
    return (np.datetime64(first, "M") + np.arange(count + 1)).astype("datetime64[D]")


def _arrays(purchases: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    ids = np.array([customer for customer, _ in purchases], dtype=np.int64)
    days = np.array([ORIGIN + timedelta(days=offset) for _, offset in purchases], dtype="datetime64[D]")
    return ids, days


def _brute_force(
    ids: list[int], days: list[date], starts: list[date], active_days: int
) -> tuple[list[int], list[int]]:
    def active_at(moment: date) -> set[int]:
        return {
            c for c, d in zip(ids, days, strict=True) if moment - timedelta(days=active_days) <= d < moment
        }

    sets = [active_at(moment) for moment in starts]
    return [len(s) for s in sets], [len(before - after) for before, after in pairwise(sets)]


@settings(max_examples=60, deadline=None)
@given(purchase_lists, st.integers(1, 400))
def test_defection_by_month_agrees_with_checking_every_month_end_one_by_one(
    purchases: list[tuple[int, int]], active_days: int
) -> None:
    ids, days = _arrays(purchases)
    starts = _starts(date(2023, 6, 1), 14)

    active, defected = defection_by_month(ids, days, starts, active_days=active_days)

    expected = _brute_force(
        ids.tolist(), days.astype(date).tolist(), starts.astype(date).tolist(), active_days
    )
    assert (active.tolist(), defected.tolist()) == expected


def test_first_purchase_days_give_each_customer_once_with_their_earliest_day() -> None:
    ids = np.array([7, 3, 7, 3, 9], dtype=np.int64)
    days = np.array(
        ["2024-05-01", "2024-02-01", "2024-01-09", "2024-03-01", "2024-04-04"], dtype="datetime64[D]"
    )

    first_ids, first_days = first_purchase_days(ids, days)

    assert first_ids.tolist() == [3, 7, 9]
    assert first_days.astype(str).tolist() == ["2024-02-01", "2024-01-09", "2024-04-04"]


@settings(max_examples=60, deadline=None)
@given(purchase_lists, st.integers(0, 12), st.sampled_from([1, 6, 12]))
def test_a_window_of_counted_months_is_what_counting_those_months_alone_gives(
    purchases: list[tuple[int, int]], offset: int, count: int
) -> None:
    ids, days = _arrays(purchases)
    first_ids, first_days = first_purchase_days(ids, days)
    every = retention_counts(ids, days, first_ids, first_days, _starts(date(2023, 3, 1), 24))
    window_first = (np.datetime64("2023-03", "M") + offset).astype("datetime64[D]").astype(date)

    alone = retention_counts(ids, days, first_ids, first_days, _starts(window_first, count))
    window = every.window(offset, count)

    assert window.active.tolist() == alone.active.tolist()
    assert window.defected.tolist() == alone.defected.tolist()
    assert window.sizes.tolist() == alone.sizes.tolist()
    assert window.returned.tolist() == alone.returned.tolist()


def test_counts_kept_as_lists_come_back_the_same() -> None:
    ids = np.array([1, 1, 2, 2, 3], dtype=np.int64)
    days = np.array(
        ["2024-01-05", "2024-02-07", "2024-01-20", "2024-03-02", "2024-02-11"], dtype="datetime64[D]"
    )
    first_ids, first_days = first_purchase_days(ids, days)
    counts = retention_counts(ids, days, first_ids, first_days, _starts(date(2024, 1, 1), 3))

    again = RetentionCounts.from_lists(
        counts.active.tolist(), counts.defected.tolist(), counts.sizes.tolist(), counts.cohort_rows()
    )

    assert counts.cohort_rows() == [[1, 1], [0], []]  # January's two: one back in February, one in March
    assert counts.sizes.tolist() == [2, 1, 0]
    assert again.returned.tolist() == counts.returned.tolist()
    assert again.active.tolist() == counts.active.tolist() == [0, 2, 3, 3]


@pytest.mark.parametrize(("offset", "count"), [(-1, 2), (2, 2), (0, 4)])
def test_a_window_outside_the_counted_months_is_refused(offset: int, count: int) -> None:
    counts = RetentionCounts.from_lists([0, 0, 0, 0], [0, 0, 0], [0, 0, 0], [[0, 0], [0], []])

    with pytest.raises(ValueError, match="not among"):
        counts.window(offset, count)


def test_lists_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(ValueError, match="cohort 0"):
        RetentionCounts.from_lists([0, 0, 0], [0, 0], [0, 0], [[0, 0], []])
