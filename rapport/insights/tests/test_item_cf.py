"""Item-to-item collaborative filtering: hand-computed similarities, and the rules every list obeys."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.insights.numerics import item_cf
from rapport.insights.numerics.item_cf import Settings

# Customers 0..3 x items 0..3: item 0 {c0, c1}, item 1 {c0, c1, c2}, item 2 {c1, c2}, item 3 {c3}.
CUSTOMERS = [0, 0, 1, 1, 1, 2, 2, 3]
ITEMS = [0, 1, 0, 1, 2, 1, 2, 3]
# Linden et al.'s plain cosine; the hand-computed figures below are for it unless a test changes a setting.
COSINE = Settings(alpha=0.5, locality=1.0, shrinkage=0.0, customer_weighting="none")
# Floating point only: every figure below is a ratio of small integers and square roots.
EXACT = 1e-12


def small() -> sp.csr_matrix:
    return item_cf.interaction_matrix(CUSTOMERS, ITEMS, shape=(4, 4))


def test_repeat_purchases_count_once_and_wishlist_items_get_the_lower_weight() -> None:
    matrix = item_cf.interaction_matrix(
        [0, 0, 0],
        [1, 1, 2],
        shape=(2, 4),
        wishlist_customers=[0, 0, 1],
        wishlist_items=[2, 3, 3],
        wishlist_weight=0.5,
    )

    assert matrix.toarray().tolist() == [[0, 1, 1, 0.5], [0, 0, 0, 0.5]]


def test_cosine_similarity_matches_the_hand_computed_table() -> None:
    table = item_cf.fit_neighbours(small(), COSINE).matrix.toarray()

    # cos(0, 1) = 2 / sqrt(2 * 3); cos(0, 2) = 1 / sqrt(2 * 2); cos(1, 2) = 2 / sqrt(3 * 2); item 3 alone.
    expected = np.array(
        [
            [0, 2 / math.sqrt(6), 0.5, 0],
            [2 / math.sqrt(6), 0, 2 / math.sqrt(6), 0],
            [0.5, 2 / math.sqrt(6), 0, 0],
            [0, 0, 0, 0],
        ]
    )
    np.testing.assert_allclose(table, expected, rtol=EXACT, atol=0)


def test_alpha_one_is_the_conditional_probability_of_the_neighbour() -> None:
    table = item_cf.fit_neighbours(small(), replace(COSINE, alpha=1.0)).matrix.toarray()

    # S_ij = |U_i & U_j| / |U_i| = P(j | i).
    assert table[0, 1] == pytest.approx(2 / 2, rel=EXACT)
    assert table[1, 0] == pytest.approx(2 / 3, rel=EXACT)
    assert table[2, 0] == pytest.approx(1 / 2, rel=EXACT)


def test_locality_and_shrinkage_follow_the_formula() -> None:
    table = item_cf.fit_neighbours(small(), replace(COSINE, locality=2.0, shrinkage=3.0)).matrix.toarray()

    # (cos) ** 2 * c / (c + 3) with co-occurrence c = 2 for items 0 and 1.
    assert table[0, 1] == pytest.approx((2 / math.sqrt(6)) ** 2 * 2 / 5, rel=EXACT)


def test_log_customer_weighting_divides_each_pair_by_log2_of_one_plus_the_basket() -> None:
    table = item_cf.fit_neighbours(small(), replace(COSINE, customer_weighting="log")).matrix.toarray()

    w2, w3 = 1 / math.log2(3), 1 / math.log2(4)  # customers with 2 and 3 items
    # Items 0 and 1 share c0 (2 items) and c1 (3 items); |0|^2 = w2 + w3, |1|^2 = w2 + 2 * w3 (c2 has 2).
    expected = (w2 + w3) / math.sqrt((w2 + w3) * (2 * w2 + w3))
    assert table[0, 1] == pytest.approx(expected, rel=EXACT)


def test_only_the_k_best_neighbours_are_kept_with_ties_to_the_lower_item() -> None:
    # Item 0 co-occurs once with each of items 1..4 (cosine 1 / sqrt(6)) and twice with item 5 (2 / sqrt(12)).
    customers = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    items = [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 5]
    matrix = item_cf.interaction_matrix(customers, items, shape=(6, 6))

    table = item_cf.fit_neighbours(matrix, replace(COSINE, neighbours=3))

    assert [item for item, _ in table.similar_items(0)] == [5, 1, 2]


def test_blocks_of_items_give_the_same_table_as_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    matrix = random_matrix(np.random.default_rng(7), customers=40, items=30, density=0.15)
    whole = item_cf.fit_neighbours(matrix, replace(COSINE, neighbours=5)).matrix

    monkeypatch.setattr(item_cf, "_BLOCK_ENTRIES", 10)
    blocked = item_cf.fit_neighbours(matrix, replace(COSINE, neighbours=5)).matrix

    assert (whole != blocked).nnz == 0


def test_recommendations_sum_neighbour_similarities_and_give_the_strongest_owned_item_as_reason() -> None:
    table = item_cf.fit_neighbours(small(), COSINE)

    # Owning 0 and 1: item 2 scores cos(0, 2) + cos(1, 2) = 0.5 + 0.816...; item 1 contributed most.
    [only] = item_cf.recommend(table, [0, 1])
    assert (only.item, only.because) == (2, 1)
    assert only.score == pytest.approx(0.5 + 2 / math.sqrt(6), rel=EXACT)


def test_a_customer_owning_everything_related_gets_nothing() -> None:
    table = item_cf.fit_neighbours(small(), COSINE)

    assert item_cf.recommend(table, [0, 1, 2]) == []
    assert item_cf.recommend(table, [3]) == []
    assert item_cf.recommend(table, []) == []


def test_excluded_items_are_never_recommended() -> None:
    table = item_cf.fit_neighbours(small(), COSINE)

    assert [r.item for r in item_cf.recommend(table, [0])] == [1, 2]
    assert [r.item for r in item_cf.recommend(table, [0], exclude=[1])] == [2]


def test_ties_in_score_are_ordered_by_item_index() -> None:
    # Item 0 bought together with each of items 3, 1 and 2 by one customer each: equal similarities.
    matrix = item_cf.interaction_matrix([0, 0, 1, 1, 2, 2], [0, 3, 0, 1, 0, 2], shape=(3, 4))
    table = item_cf.fit_neighbours(matrix, COSINE)

    assert [r.item for r in item_cf.recommend(table, [0])] == [1, 2, 3]
    assert [item for item, _ in table.similar_items(0)] == [1, 2, 3]


def test_ties_between_reasons_go_to_the_lower_owned_item() -> None:
    # Items 0 and 1 each co-occur with item 2 exactly as strongly.
    matrix = item_cf.interaction_matrix([0, 0, 1, 1, 2], [0, 2, 1, 2, 2], shape=(3, 3))
    table = item_cf.fit_neighbours(matrix, COSINE)

    [only] = item_cf.recommend(table, [1, 0])
    assert (only.item, only.because) == (2, 0)


def test_wishlist_weight_scales_an_items_contribution() -> None:
    table = item_cf.fit_neighbours(small(), COSINE)

    [bought] = item_cf.recommend(table, [0, 1], weights=[1.0, 1.0])
    [wished] = item_cf.recommend(table, [0, 1], weights=[1.0, 0.5])

    assert wished.score == pytest.approx(0.5 + 0.5 * 2 / math.sqrt(6), rel=EXACT)
    assert (bought.because, wished.because) == (1, 0)


def random_matrix(rng: np.random.Generator, customers: int, items: int, density: float) -> sp.csr_matrix:
    dense = rng.random((customers, items)) < density
    rows, cols = np.nonzero(dense)
    return item_cf.interaction_matrix(rows, cols, shape=(customers, items))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    customers=st.integers(1, 25),
    items=st.integers(1, 20),
    density=st.floats(0.05, 0.6),
    neighbours=st.integers(1, 8),
    n=st.integers(1, 12),
    plain=st.booleans(),
    boosted=st.booleans(),
)
def test_batch_and_single_lookups_agree_and_obey_the_rules(
    seed: int,
    customers: int,
    items: int,
    density: float,
    neighbours: int,
    n: int,
    plain: bool,
    boosted: bool,
) -> None:
    rng = np.random.default_rng(seed)
    matrix = random_matrix(rng, customers, items, density)
    excluded = random_matrix(rng, customers, items, 0.2)
    table = item_cf.fit_neighbours(matrix, replace(COSINE if plain else Settings(), neighbours=neighbours))
    # A boost as large as 1e6 for some items must still only re-order the table's candidates.
    boost = np.exp(rng.uniform(0.0, 14.0, items)) if boosted else None
    weights = matrix.copy()
    weights.data = rng.uniform(0.05, 1.0, weights.nnz)

    batch = item_cf.recommend_batch(table, weights, n=n, exclude=excluded, boost=boost)

    dense_table = table.matrix.toarray()
    factor = np.ones(items) if boost is None else boost
    for customer in range(customers):
        lo, hi = weights.indptr[customer], weights.indptr[customer + 1]
        owned, w = weights.indices[lo:hi], weights.data[lo:hi]
        disliked = excluded.indices[excluded.indptr[customer] : excluded.indptr[customer + 1]]
        single = item_cf.recommend(table, owned, weights=w, n=n, exclude=disliked, boost=boost)
        assert batch.for_customer(customer) == single
        assert len(single) <= n
        keys = [(-r.score, r.item) for r in single]
        assert keys == sorted(keys)
        for recommendation in single:
            assert recommendation.item not in owned
            assert recommendation.item not in disliked
            assert recommendation.because in owned
            # The reason is truthful: the item is in its reason's neighbourhood, which contributed most.
            assert dense_table[recommendation.because, recommendation.item] > 0
            contributions = w * dense_table[owned, recommendation.item]
            assert w[owned == recommendation.because][0] * dense_table[
                recommendation.because, recommendation.item
            ] == pytest.approx(contributions.max(), rel=1e-12)
            assert recommendation.score == pytest.approx(
                factor[recommendation.item] * contributions.sum(), rel=1e-12
            )
        # Nothing outside every owned item's neighbourhood is offered, however large its boost.
        reachable = set(np.flatnonzero(dense_table[owned].sum(axis=0) > 0).tolist())
        assert {r.item for r in single} <= reachable


def test_batch_recommends_only_for_the_customers_asked() -> None:
    table = item_cf.fit_neighbours(small(), COSINE)

    batch = item_cf.recommend_batch(table, small(), customers=[2, 0])

    assert set(batch.customer.tolist()) == {0, 2}
    assert batch.for_customer(0) == item_cf.recommend(table, [0, 1])
    assert [(r.item, r.because) for r in batch.for_customer(2)] == [(0, 1)]
    assert batch.for_customer(1) == []


def test_a_trend_boost_reorders_the_neighbours_and_leaves_the_reason() -> None:
    table = item_cf.fit_neighbours(small(), COSINE)
    # Owning item 0: item 1 (cos 0.816...) leads item 2 (cos 0.5) until item 2 trends strongly enough.
    boost = item_cf.trend_boost(np.array([0.0, 0.0, 3.0, 1e9]), power=0.5)  # 1, 1, 2, ~31623

    boosted = item_cf.recommend(table, [0], boost=boost)

    assert [r.item for r in item_cf.recommend(table, [0])] == [1, 2]
    assert [(r.item, r.because) for r in boosted] == [(2, 0), (1, 0)]
    assert boosted[0].score == pytest.approx(2 * 0.5, rel=EXACT)
    # Item 3 trends most of all but nobody who has item 0 bought it: it is never offered.
    assert 3 not in [r.item for r in boosted]


def test_a_trend_boost_of_power_zero_changes_nothing() -> None:
    assert item_cf.trend_boost(np.array([0.0, 5.0, 1e6]), power=0.0).tolist() == [1.0, 1.0, 1.0]
    assert item_cf.trend_boost(np.array([0.0, 3.0, 8.0]), power=0.5).tolist() == [1.0, 2.0, 3.0]


def test_trending_counts_each_buyer_once_weighted_by_their_latest_purchase() -> None:
    trend = item_cf.trending(
        np.array([0, 0, 1, 2, 2]),
        np.array([0, 0, 0, 1, 0]),
        np.array([14.0, 0.0, 7.0, 7.0, 21.0]),
        n_items=3,
        half_life_days=7.0,
    )

    # Item 0: customer 0 (latest 0 days ago) 1, customer 1 (7 days) 0.5, customer 2 (21 days) 0.125.
    assert trend.tolist() == [1.625, 0.5, 0.0]


@pytest.mark.parametrize("boost", [np.ones(3), np.array([1.0, 1.0, 0.0, 1.0]), np.array([1.0, np.inf, 1, 1])])
def test_a_boost_must_give_every_item_a_positive_finite_factor(boost: np.ndarray) -> None:
    table = item_cf.fit_neighbours(small(), COSINE)

    with pytest.raises(ValueError, match="boost"):
        item_cf.recommend(table, [0], boost=boost)
    with pytest.raises(ValueError, match="boost"):
        item_cf.recommend_batch(table, small(), boost=boost)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"half_life_days": 0.0}, "half-lives"),
        ({"trend_half_life_days": -1.0}, "half-lives"),
        ({"recency_floor": 1.5}, "recency_floor"),
        ({"trend_power": -0.1}, "trend_power"),
    ],
)
def test_scoring_settings_out_of_range_are_refused(bad: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        item_cf.Scoring(**bad)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"neighbours": 0}, "neighbours"),
        ({"alpha": 1.5}, "alpha"),
        ({"locality": 0.0}, "locality"),
        ({"shrinkage": -1.0}, "shrinkage"),
    ],
)
def test_settings_out_of_range_are_refused(bad: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(**bad)  # type: ignore[arg-type]


def test_recency_weight_halves_every_half_life_and_the_latest_purchase_counts() -> None:
    matrix = item_cf.recency_matrix(
        np.array([0, 0, 0, 1]),
        np.array([1, 1, 2, 0]),
        np.array([90.0, 30.0, 0.0, 60.0]),
        shape=(2, 3),
        half_life_days=30.0,
    )

    assert matrix.toarray().tolist() == [[0, 0.5, 1.0], [0.25, 0, 0]]


def test_a_recency_floor_is_what_an_old_purchase_keeps() -> None:
    matrix = item_cf.recency_matrix(
        np.array([0, 0, 0]),
        np.array([0, 1, 2]),
        np.array([0.0, 30.0, 3000.0]),
        shape=(1, 3),
        half_life_days=30.0,
        floor=0.3,
    )

    # 0.3 + 0.7 * 2 ** (-age / 30): 1, 0.65, and 0.3 plus 0.7 * 2 ** -100.
    np.testing.assert_allclose(matrix.toarray(), [[1.0, 0.65, 0.3 + 0.7 * 2.0**-100]], rtol=EXACT, atol=0)


def test_a_recency_floor_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="floor"):
        item_cf.recency_matrix(
            np.array([0]), np.array([0]), np.array([1.0]), shape=(1, 1), half_life_days=30.0, floor=-0.1
        )


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    lines=st.integers(0, 60),
    half_life=st.sampled_from([1.0, 7.0, 60.0, math.inf]),
    floor=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_recency_weights_follow_each_pairs_latest_purchase(
    seed: int, lines: int, half_life: float, floor: float
) -> None:
    rng = np.random.default_rng(seed)
    customers, items = rng.integers(0, 5, lines), rng.integers(0, 6, lines)
    ages = rng.uniform(0.0, 400.0, lines)

    matrix = item_cf.recency_matrix(
        customers, items, ages, shape=(5, 6), half_life_days=half_life, floor=floor
    )
    trend = item_cf.trending(customers, items, ages, n_items=6, half_life_days=half_life)

    expected = np.zeros((5, 6))
    plain = np.zeros((5, 6))
    for c, i in set(zip(customers.tolist(), items.tolist(), strict=True)):
        youngest = ages[(customers == c) & (items == i)].min()
        decay = 2.0 ** (-youngest / half_life) if math.isfinite(half_life) else 1.0
        expected[c, i] = floor + (1 - floor) * decay
        plain[c, i] = decay
    np.testing.assert_allclose(matrix.toarray(), expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(trend, plain.sum(axis=0), rtol=1e-12, atol=1e-300)
    assert ((matrix != 0) != (item_cf.interaction_matrix(customers, items, shape=(5, 6)) != 0)).nnz == 0


def test_an_infinite_half_life_is_the_binary_matrix() -> None:
    matrix = item_cf.recency_matrix(
        np.array(CUSTOMERS), np.array(ITEMS), np.arange(8.0) * 100, shape=(4, 4), half_life_days=math.inf
    )

    assert (matrix != small()).nnz == 0
