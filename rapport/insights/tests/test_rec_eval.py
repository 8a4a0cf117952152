"""Recommendation metrics and the time-split protocol on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from rapport.insights.numerics import rec_eval

# Floating point only: the expected figures are sums of 1 / log2(i + 1).
EXACT = 1e-12


def test_metrics_on_a_hand_computed_list() -> None:
    recommended, relevant = [1, 2, 3, 4], [2, 4, 9]

    assert rec_eval.precision_at_k(recommended, relevant, 4) == 2 / 4
    assert rec_eval.recall_at_k(recommended, relevant, 4) == 2 / 3
    # Hits at ranks 2 and 4; the ideal list has its 3 relevant items at ranks 1..3.
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert rec_eval.ndcg_at_k(recommended, relevant, 4) == pytest.approx(dcg / idcg, rel=EXACT)


def test_only_the_first_k_items_count() -> None:
    assert rec_eval.precision_at_k([1, 2, 3], [3], 2) == 0.0
    assert rec_eval.recall_at_k([1, 2, 3], [3], 2) == 0.0
    assert rec_eval.ndcg_at_k([1, 2, 3], [3], 2) == 0.0


def test_a_short_list_is_divided_by_k_not_by_its_length() -> None:
    assert rec_eval.precision_at_k([5], [5], 10) == 0.1
    assert rec_eval.recall_at_k([5], [5, 6], 10) == 0.5


def test_ideal_dcg_is_capped_at_k_relevant_items() -> None:
    # Five relevant items, k = 2: both recommended items relevant is a perfect list.
    assert rec_eval.ndcg_at_k([1, 2], [1, 2, 3, 4, 5], 2) == pytest.approx(1.0, rel=EXACT)
    assert rec_eval.ndcg_at_k([9, 1], [1, 2, 3, 4, 5], 2) == pytest.approx(
        (1 / math.log2(3)) / (1 + 1 / math.log2(3)), rel=EXACT
    )


def test_catalogue_coverage_is_the_share_of_items_shown_to_anyone() -> None:
    # Top 2: {1, 2} and {3, 4}; item 9 is outside the catalogue 0..7.
    assert rec_eval.catalogue_coverage([[1, 2, 3], [3, 4], [], [9]], catalogue=range(8), k=2) == 4 / 8


def test_holdout_keeps_customers_with_new_test_items_from_the_training_catalogue() -> None:
    # Items 0..3; item 3 is never bought before the cut-off.
    train = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 1, 0], [1, 0, 0, 0]]))
    test = sp.csr_matrix(np.array([[0, 1, 1, 1], [1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 1], [0, 1, 1, 0]]))

    cases = rec_eval.holdout(train, test)

    # c0: item 1 again (not new), item 3 outside the catalogue -> {2}; c1 only rebought; c2 had nothing
    # before; c3 only item 3; c4 -> {1, 2}.
    assert cases.customers.tolist() == [0, 4]
    assert [r.tolist() for r in cases.relevant] == [[2], [1, 2]]
    assert cases.catalogue.tolist() == [0, 1, 2]


def test_evaluate_averages_over_customers_with_equal_weight() -> None:
    train = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]))
    test = sp.csr_matrix(np.array([[0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]))
    cases = rec_eval.holdout(train, test)  # c0 -> {1, 2}, c1 -> {2}

    metrics = rec_eval.evaluate([np.array([1, 3]), np.array([0, 3])], cases, k=2)

    assert metrics.precision == (1 / 2 + 0) / 2
    assert metrics.recall == (1 / 2 + 0) / 2
    assert metrics.ndcg == pytest.approx((1 / (1 + 1 / math.log2(3)) + 0) / 2, rel=EXACT)
    assert metrics.coverage == 2 / 3  # items 0 and 1 of the catalogue 0..2 shown; 3 is not in it
    assert (metrics.customers, metrics.k) == (2, 2)


def test_popularity_ranks_by_distinct_customers_with_ties_to_the_lower_item() -> None:
    train = sp.csr_matrix(np.array([[0, 3, 1, 1], [0, 1, 0, 1], [1, 0, 0, 1]]))

    ranking = rec_eval.popularity_ranking(train)

    assert ranking.tolist() == [3, 1, 0, 2]
    assert rec_eval.recommend_popular(ranking, owned=[3], n=2).tolist() == [1, 0]
    assert rec_eval.recommend_popular(ranking, owned=[3], n=2, exclude=[1]).tolist() == [0, 2]


lists = st.lists(st.integers(0, 30), max_size=15, unique=True)


@given(
    recommended=lists, relevant=st.lists(st.integers(0, 30), min_size=1, max_size=15), k=st.integers(1, 12)
)
def test_every_metric_lies_between_zero_and_one(recommended: list[int], relevant: list[int], k: int) -> None:
    for metric in (rec_eval.precision_at_k, rec_eval.recall_at_k, rec_eval.ndcg_at_k):
        assert 0.0 <= metric(recommended, relevant, k) <= 1.0 + EXACT


@given(relevant=st.lists(st.integers(0, 30), min_size=1, max_size=15, unique=True), k=st.integers(1, 12))
def test_putting_relevant_items_first_is_a_perfect_ndcg(relevant: list[int], k: int) -> None:
    assert rec_eval.ndcg_at_k(relevant, relevant, k) == pytest.approx(1.0, rel=EXACT)


@given(recommended=lists, relevant=st.lists(st.integers(31, 40), min_size=1), k=st.integers(1, 12))
def test_no_hit_scores_zero(recommended: list[int], relevant: list[int], k: int) -> None:
    assert rec_eval.ndcg_at_k(recommended, relevant, k) == 0.0
    assert rec_eval.precision_at_k(recommended, relevant, k) == 0.0
