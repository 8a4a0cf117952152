"""The simulated purchase behaviour: exact order counts, skew, and repeatability."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.demo.behaviour import simulate_purchases


def test_gives_exactly_the_orders_asked_for_in_time_order_inside_the_window() -> None:
    purchases = simulate_purchases(customers=2000, orders=20000, span_days=730, rng=random.Random(1))

    assert len(purchases) == 20000
    assert sum(purchases.counts) == 20000
    assert list(purchases.day) == sorted(purchases.day)
    assert purchases.day[0] >= 0
    assert purchases.day[-1] <= 730


def test_many_buy_once_a_few_buy_often_and_some_never() -> None:
    purchases = simulate_purchases(customers=2000, orders=20000, span_days=730, rng=random.Random(1))
    counts = Counter(purchases.counts)

    assert counts[0] == 160  # 8% registered and never bought
    assert counts[1] > 200
    assert max(purchases.counts) > 100
    assert sorted(purchases.counts)[1000] < 10  # the median buyer is far below the mean of ten


def test_first_purchase_is_each_buyers_first_day() -> None:
    purchases = simulate_purchases(customers=300, orders=3000, span_days=730, rng=random.Random(2))
    first: dict[int, float] = {}
    for day, customer in zip(purchases.day, purchases.customer, strict=True):
        first.setdefault(customer, day)

    assert all(first[customer] == purchases.first_day[customer] for customer in first)
    assert all(math.isnan(purchases.first_day[c]) for c in range(300) if c not in first)


def test_the_same_seed_gives_the_same_purchases() -> None:
    one = simulate_purchases(customers=500, orders=4000, span_days=730, rng=random.Random(7))
    two = simulate_purchases(customers=500, orders=4000, span_days=730, rng=random.Random(7))

    assert (one.day, one.customer) == (two.day, two.customer)


@pytest.mark.parametrize(("customers", "orders"), [(0, 0), (10, 0), (100, 30), (3, 5000)])
def test_edge_sizes_still_give_exact_counts(customers: int, orders: int) -> None:
    purchases = simulate_purchases(customers=customers, orders=orders, span_days=730, rng=random.Random(3))

    assert len(purchases) == orders
    assert len(purchases.counts) == customers


@settings(max_examples=40, deadline=None)
@given(
    customers=st.integers(min_value=1, max_value=300),
    per_customer=st.floats(min_value=0.0, max_value=40.0),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_any_size_gives_exact_counts(customers: int, per_customer: float, seed: int) -> None:
    orders = int(customers * per_customer)

    purchases = simulate_purchases(customers=customers, orders=orders, span_days=730, rng=random.Random(seed))

    assert len(purchases) == orders
    assert sum(purchases.counts) == orders
    assert all(0 <= day <= 730 for day in purchases.day)


def test_orders_without_customers_are_refused() -> None:
    with pytest.raises(ValueError, match="orders need customers"):
        simulate_purchases(customers=0, orders=1, span_days=730, rng=random.Random(1))
