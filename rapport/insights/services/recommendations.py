"""Recommendations like a good clerk's: item-to-item collaborative filtering over purchases and wishlists.

A refresh reads every paid order line and wishlist item once, fits the similar-products table
(numerics/item_cf.py, Linden, Smith & York 2003, with the settings chosen on the Online Retail data),
and stores each product's ten most similar products and each customer's ten recommendations with their
reason. Recent purchases weigh more, and products selling lately are nudged up among the similar
products (item_cf.Scoring); every recommendation is still a similar product of its reason. Never
recommended: what the customer bought or wished for, products no longer sold, and products of a brand
or category the customer said they dislike (preferences with likes = False).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import scipy.sparse as sp
from django.db import transaction
from django.utils import timezone

from rapport.commerce.models import OrderLine, OrderStatus, Product, WishlistItem
from rapport.customers.models import Preference
from rapport.insights.models import Recommendation, SimilarProduct
from rapport.insights.numerics import item_cf
from rapport.insights.services.refresh import Progress, silent

PAID_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)
PER_CUSTOMER = 10
SIMILAR_PER_PRODUCT = 10
WRITE_BATCH = 5_000
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class RefreshResult:
    customers: int
    products: int
    recommendations: int
    similar: int


class _Index:
    """Dense row or column numbers for database ids."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = np.unique(ids)

    def of(self, ids: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.ids, ids)


def refresh_recommendations(*, now: datetime | None = None, progress: Progress = silent) -> RefreshResult:
    now = now or timezone.now()
    progress("reading purchases", 0, 1)
    buyer_ids: list[int] = []
    product_ids: list[int] = []
    ages: list[float] = []
    paid_lines = (
        OrderLine.objects.filter(order__status__in=PAID_STATUSES, product__isnull=False)
        .order_by()
        .values_list("order__customer_id", "product_id", "order__placed_at")
    )
    for customer_id, product_id, placed_at in paid_lines.iterator(chunk_size=20_000):
        buyer_ids.append(customer_id)
        product_ids.append(product_id)
        ages.append((now - placed_at).total_seconds() / SECONDS_PER_DAY)
    wished = np.array(
        list(WishlistItem.objects.order_by().values_list("customer_id", "product_id")), dtype=np.int64
    )
    wished = wished.reshape(-1, 2)
    if not buyer_ids:
        with transaction.atomic():
            Recommendation.objects.all().delete()
            SimilarProduct.objects.all().delete()
        return RefreshResult(customers=0, products=0, recommendations=0, similar=0)
    bought_customers = np.array(buyer_ids, dtype=np.int64)
    bought_products = np.array(product_ids, dtype=np.int64)
    age_days = np.array(ages)
    customers = _Index(np.concatenate([bought_customers, wished[:, 0]]))
    products = _Index(np.concatenate([bought_products, wished[:, 1]]))
    shape = (customers.ids.size, products.ids.size)
    rows, columns = customers.of(bought_customers), products.of(bought_products)
    owned = item_cf.interaction_matrix(
        rows,
        columns,
        shape=shape,
        wishlist_customers=customers.of(wished[:, 0]),
        wishlist_items=products.of(wished[:, 1]),
    )
    progress("finding similar products", 0, 1)
    neighbours = item_cf.fit_neighbours(owned)
    neighbours = _without(neighbours, _inactive_columns(products))
    # Scoring weighs recent purchases more (numerics/item_cf.py); wishlist items keep their weight.
    scoring = item_cf.Scoring()
    recent = item_cf.recency_matrix(
        rows,
        columns,
        age_days,
        shape=shape,
        half_life_days=scoring.half_life_days,
        floor=scoring.recency_floor,
    )
    trend = item_cf.trending(
        rows, columns, age_days, n_items=shape[1], half_life_days=scoring.trend_half_life_days
    )
    wish_only = owned.copy()
    wish_only.data[wish_only.data >= 1] = 0.0
    wish_only.eliminate_zeros()
    weights = recent.maximum(wish_only).tocsr()
    progress("recommending", 0, 1)
    batch = item_cf.recommend_batch(
        neighbours,
        weights,
        n=PER_CUSTOMER,
        exclude=_dislikes(customers, products, owned),
        boost=item_cf.trend_boost(trend, scoring.trend_power),
    )
    bought_pairs = set(zip(rows.tolist(), columns.tolist(), strict=True))
    recommendations = [
        Recommendation(
            customer_id=int(customers.ids[c]),
            product_id=int(products.ids[i]),
            because_id=int(products.ids[b]),
            because_wishlist=(int(c), int(b)) not in bought_pairs,
            rank=0,
            score=round(float(s), 6),
            computed_at=now,
        )
        for c, i, s, b in zip(batch.customer, batch.item, batch.score, batch.because, strict=True)
    ]
    _rank(recommendations)
    similar = [
        SimilarProduct(
            product_id=int(products.ids[item]), similar_id=int(products.ids[other]), rank=rank, score=score
        )
        for item in range(products.ids.size)
        for rank, (other, score) in enumerate(neighbours.similar_items(item, SIMILAR_PER_PRODUCT), start=1)
    ]
    with transaction.atomic():
        Recommendation.objects.all().delete()
        SimilarProduct.objects.all().delete()
        for start in range(0, len(recommendations), WRITE_BATCH):
            Recommendation.objects.bulk_create(recommendations[start : start + WRITE_BATCH])
            progress(
                "writing recommendations",
                min(start + WRITE_BATCH, len(recommendations)),
                len(recommendations),
            )
        SimilarProduct.objects.bulk_create(similar, batch_size=WRITE_BATCH)
    return RefreshResult(
        customers=len({r.customer_id for r in recommendations}),
        products=int(products.ids.size),
        recommendations=len(recommendations),
        similar=len(similar),
    )


def _rank(recommendations: list[Recommendation]) -> None:
    """1, 2, ... within each customer, in the order the batch gives (best first)."""
    previous, rank = None, 0
    for recommendation in recommendations:
        rank = rank + 1 if recommendation.customer_id == previous else 1
        recommendation.rank = rank
        previous = recommendation.customer_id


def _inactive_columns(products: _Index) -> np.ndarray:
    inactive = Product.objects.filter(pk__in=products.ids.tolist(), is_active=False).values_list(
        "pk", flat=True
    )
    return products.of(np.array(list(inactive), dtype=np.int64))


def _without(neighbours: item_cf.ItemNeighbours, columns: np.ndarray) -> item_cf.ItemNeighbours:
    """The table without the given items as neighbours: never recommended, never shown as similar."""
    if columns.size == 0:
        return neighbours
    keep = np.ones(neighbours.n_items)
    keep[columns] = 0.0
    matrix = (neighbours.matrix @ sp.diags(keep)).tocsr()
    matrix.eliminate_zeros()
    return item_cf.ItemNeighbours(matrix=matrix)


def _dislikes(customers: _Index, products: _Index, owned: sp.csr_matrix) -> sp.csr_matrix | None:
    """Customers x products: 1 where the product's brand or category is one the customer dislikes."""
    disliked = list(
        Preference.objects.filter(likes=False, customer_id__in=customers.ids.tolist()).values_list(
            "customer_id", "kind", "value"
        )
    )
    if not disliked:
        return None
    catalogue = {
        pk: (brand.casefold(), category.casefold())
        for pk, brand, category in Product.objects.filter(pk__in=products.ids.tolist()).values_list(
            "pk", "brand", "category"
        )
    }
    by_value: dict[tuple[str, str], list[int]] = {}
    for column, pk in enumerate(products.ids.tolist()):
        brand, category = catalogue.get(pk, ("", ""))
        by_value.setdefault(("brand", brand), []).append(column)
        by_value.setdefault(("category", category), []).append(column)
    rows: list[int] = []
    columns: list[int] = []
    for customer_id, kind, value in disliked:
        hit = by_value.get((kind, value.casefold()), [])
        row = int(customers.of(np.array([customer_id]))[0])
        rows += [row] * len(hit)
        columns += hit
    if not rows:
        return None
    return sp.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=owned.shape)
