"""Item-to-item collaborative filtering: "customers who bought this also bought" (no Django).

The method is Amazon's (Linden, Smith & York 2003, "Amazon.com recommendations: item-to-item
collaborative filtering", IEEE Internet Computing 7(1):76-80): items are vectors over customers, two
items are similar when the same customers bought both, the similar-items table is computed offline,
and a customer's recommendations are the items most similar to what they already have, which makes the
online part cost a few table look-ups whatever the size of the catalogue.

The matrix. ``interaction_matrix`` builds customers x items (scipy.sparse CSR): 1 where the customer
bought the item (repeat purchases count once, as in Linden et al.'s binary vectors), ``wishlist_weight``
(0.5 by default) where the item is only on their wishlist. An entry is "owned": it is never recommended.

The similarity (``fit_neighbours``). With x_ui the matrix entry scaled by the customer's weight c_u,
co-occurrence C_ij = sum_u c_u x_ui c_u x_uj and squared length N_i = C_ii:

    S_ij = (C_ij / (N_i ** alpha * N_j ** (1 - alpha))) ** locality * C_ij / (C_ij + shrinkage)

- ``alpha = 0.5`` is the cosine of Linden et al.; other values are Aiolli's asymmetric cosine (Aiolli
  2013, "Efficient top-N recommendation for very large scale binary rated datasets", RecSys '13):
  alpha = 1 is the conditional probability P(j | i), which favours popular j, alpha = 0 favours rare j.
- ``locality`` (Aiolli's q) raises the similarity to a power: above 1 it lets a few strong neighbours
  outweigh many weak ones.
- ``shrinkage`` damps a similarity that rests on few co-purchases, as Koren's shrunk similarity
  n_ij / (n_ij + lambda) * s_ij does (Koren 2008, "Factorization meets the neighborhood", KDD '08).
- ``customer_weighting = "log"`` sets c_u = 1 / sqrt(log2(1 + n_u)) for a customer with n_u items, the
  item-based counterpart of the inverse user frequency of Breese, Heckerman & Kadie (1998): a
  wholesaler who bought 800 items says less about any pair of them than a customer who bought three
  (each pair's contribution is c_u ** 2 = 1 / log2(1 + n_u)). ``"none"`` gives every customer weight 1.

Only each item's ``neighbours`` best (K, 50 by default) are kept, ties broken by the lower item index;
S_ii is never kept. The products C = X'X run over blocks of items sized by an upper bound of their
output, so memory stays bounded on any catalogue.

Recommendations (``recommend`` for one customer, ``recommend_batch`` for many, with identical results):
score_j = b_j * sum over owned items i of x_ui * S_ij, over the kept neighbours only, where

- x_ui is the scoring matrix's entry: 1 or the wishlist weight, or the purchase's recency weight
  ``floor + (1 - floor) * 2 ** (-age / half_life)`` from ``recency_matrix`` (the table itself is fitted on
  the binary matrix). The floor keeps a purchase from fading to nothing: a shop's year comes round
  again, and what a customer bought last Christmas still says something about this one;
- b_j is an optional per-item boost, ``trend_boost``: (1 + t_j) ** power, with t_j the item's trend, its
  buyers weighted by how recently they bought it (``trending``). It only re-orders the items the table
  already offers (b_j > 0 multiplies a score that is 0 for an item outside every owned item's
  neighbourhood), so every recommendation is still a neighbour of the item given as its reason.

Items the customer owns or excluded (dislikes) are dropped; the best ``n`` are returned by score, ties
broken by the lower item index. Each carries its reason, the owned item i with the largest contribution
x_ui * S_ij (ties: the lower index): "because you bought i"; b_j is common to all of j's contributions, so
it never changes the reason. Both paths compute the scores with the same sparse product (a customer's
owned items added in index order), so their scores agree to the bit and their orders match.

The scoring settings in use (``Scoring``) were chosen on the validation folds with the table's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import scipy.sparse as sp

DEFAULT_NEIGHBOURS = 100
DEFAULT_WISHLIST_WEIGHT = 0.5
# Upper bound on the entries of one block of X'X (float64 + int32 + the top-K bookkeeping: ~0.5 GB).
_BLOCK_ENTRIES = 20_000_000
# Customers scored at once in recommend_batch: bounds the entries of one block's score matrix.
_BATCH_TRIPLES = 10_000_000

IntArray = np.ndarray
CustomerWeighting = Literal["none", "log"]


@dataclass(frozen=True)
class Settings:
    """How similarities are computed. The defaults were chosen on the Online Retail validation folds
    (bench/recommendations.py, docs/benchmarks.md); Linden et al.'s plain cosine is
    ``Settings(alpha=0.5, locality=1.0, shrinkage=0.0, customer_weighting="none")``."""

    neighbours: int = DEFAULT_NEIGHBOURS
    alpha: float = 0.3
    locality: float = 2.0
    shrinkage: float = 5.0
    customer_weighting: CustomerWeighting = "log"

    def __post_init__(self) -> None:
        if self.neighbours < 1:
            raise ValueError("neighbours must be at least 1")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError("alpha must be in [0, 1]")
        if self.locality <= 0 or self.shrinkage < 0:
            raise ValueError("locality must be positive and shrinkage non-negative")


@dataclass(frozen=True)
class Scoring:
    """How a customer's purchases are weighted and items boosted when scoring (see the module docstring).

    The defaults were chosen on the Online Retail validation folds together with ``Settings``'
    (bench/recommendations.py). ``trend_power = 0`` turns the boost off; an infinite ``half_life_days``
    gives the binary matrix.
    """

    half_life_days: float = 60.0
    recency_floor: float = 0.3
    trend_half_life_days: float = 7.0
    trend_power: float = 0.2

    def __post_init__(self) -> None:
        if self.half_life_days <= 0 or self.trend_half_life_days <= 0:
            raise ValueError("half-lives must be positive")
        if not 0.0 <= self.recency_floor <= 1.0:
            raise ValueError("recency_floor must be in [0, 1]")
        if self.trend_power < 0:
            raise ValueError("trend_power must be non-negative")


class Recommendation(NamedTuple):
    item: int
    score: float
    because: int  # the owned item that contributed most


@dataclass(frozen=True)
class RecommendationBatch:
    """Recommendations for many customers as parallel arrays, by customer, then rank."""

    customer: IntArray
    item: IntArray
    score: np.ndarray
    because: IntArray

    def for_customer(self, customer: int) -> list[Recommendation]:
        lo, hi = np.searchsorted(self.customer, [customer, customer + 1])
        return [
            Recommendation(int(i), float(s), int(b))
            for i, s, b in zip(self.item[lo:hi], self.score[lo:hi], self.because[lo:hi], strict=True)
        ]


@dataclass(frozen=True)
class ItemNeighbours:
    """The similar-items table: row i of ``matrix`` holds item i's kept neighbours j with S_ij."""

    matrix: sp.csr_matrix

    @property
    def n_items(self) -> int:
        return int(self.matrix.shape[0])

    def similar_items(self, item: int, n: int = 10) -> list[tuple[int, float]]:
        """'Customers who bought this also bought': item's best neighbours, ties to the lower index."""
        lo, hi = self.matrix.indptr[item], self.matrix.indptr[item + 1]
        items, sims = self.matrix.indices[lo:hi], self.matrix.data[lo:hi]
        order = np.lexsort((items, -sims))[:n]
        return [(int(items[k]), float(sims[k])) for k in order]


def interaction_matrix(
    customers: Iterable[int] | IntArray,
    items: Iterable[int] | IntArray,
    *,
    shape: tuple[int, int],
    wishlist_customers: Iterable[int] | IntArray = (),
    wishlist_items: Iterable[int] | IntArray = (),
    wishlist_weight: float = DEFAULT_WISHLIST_WEIGHT,
) -> sp.csr_matrix:
    """Customers x items: 1 for a purchase (once however often), wishlist_weight for a wishlist-only item."""
    bought = _binary(customers, items, shape)
    wished = _binary(wishlist_customers, wishlist_items, shape)
    if wished.nnz:
        bought = bought.maximum(wished * wishlist_weight).tocsr()
    bought.sort_indices()
    return bought


def recency_matrix(
    customers: IntArray,
    items: IntArray,
    age_days: np.ndarray,
    *,
    shape: tuple[int, int],
    half_life_days: float,
    floor: float = 0.0,
) -> sp.csr_matrix:
    """Customers x items weighted by the most recent purchase: floor + (1 - floor) * 2 ** (-age / half_life).

    Used for scoring only (the similar-items table is fitted on the binary matrix): a customer's recent
    purchases say more about what they want next than older ones, and the floor (in [0, 1]) is what an
    old purchase keeps. An infinite half-life or a floor of 1 gives the binary matrix.
    """
    if not 0.0 <= floor <= 1.0:
        raise ValueError("floor must be in [0, 1]")
    age = np.maximum(np.asarray(age_days, dtype=np.float64), 0.0)
    decay = np.exp2(-age / half_life_days) if np.isfinite(half_life_days) else np.ones_like(age)
    weight = floor + (1.0 - floor) * decay
    rows, cols, latest = _latest(customers, items, weight, shape[1])
    indptr = np.searchsorted(rows, np.arange(shape[0] + 1))
    return sp.csr_matrix((latest, cols, indptr), shape=shape)


def _latest(
    customers: IntArray, items: IntArray, weight: np.ndarray, n_items: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each (customer, item) pair once, in row-major order, with its largest weight (its latest purchase):
    a CSR constructor would sum the duplicates instead."""
    key = np.asarray(customers, dtype=np.int64) * n_items + np.asarray(items, dtype=np.int64)
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.empty(0, dtype=np.int64)
    latest = np.maximum.reduceat(weight[order], starts) if len(key) else np.empty(0)
    return key[starts] // n_items, key[starts] % n_items, latest


def trending(
    customers: IntArray,
    items: IntArray,
    age_days: np.ndarray,
    *,
    n_items: int,
    half_life_days: float,
) -> np.ndarray:
    """Each item's trend: its distinct buyers, each weighted 2 ** (-age / half_life) by their latest purchase.

    With a short half-life this is "popular lately": an item a hundred customers bought this week
    trends above one a thousand bought last spring.
    """
    age = np.maximum(np.asarray(age_days, dtype=np.float64), 0.0)
    weight = np.exp2(-age / half_life_days) if np.isfinite(half_life_days) else np.ones_like(age)
    _, cols, latest = _latest(customers, items, weight, n_items)
    return np.bincount(cols, weights=latest, minlength=n_items).astype(np.float64)


def trend_boost(trend: np.ndarray, power: float) -> np.ndarray:
    """The per-item score multiplier (1 + trend) ** power: 1 everywhere when power is 0."""
    if power < 0:
        raise ValueError("power must be non-negative")
    return np.power(1.0 + np.maximum(np.asarray(trend, dtype=np.float64), 0.0), power)


def _binary(
    rows: Iterable[int] | IntArray, cols: Iterable[int] | IntArray, shape: tuple[int, int]
) -> sp.csr_matrix:
    r = np.asarray(list(rows) if not isinstance(rows, np.ndarray) else rows, dtype=np.int64)
    c = np.asarray(list(cols) if not isinstance(cols, np.ndarray) else cols, dtype=np.int64)
    if r.shape != c.shape:
        raise ValueError("rows and columns differ in length")
    matrix = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=shape, dtype=np.float64)
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def _customer_weights(interactions: sp.csr_matrix, weighting: CustomerWeighting) -> np.ndarray:
    counts = np.diff(interactions.indptr).astype(np.float64)
    if weighting == "none":
        return np.ones_like(counts)
    return 1.0 / np.sqrt(np.log2(1.0 + np.maximum(counts, 1.0)))


def fit_neighbours(interactions: sp.spmatrix, settings: Settings | None = None) -> ItemNeighbours:
    """The similar-items table for customers x items interactions (see the module docstring)."""
    settings = settings or Settings()
    x = sp.csr_matrix(interactions, dtype=np.float64)
    n_items = x.shape[1]
    x = sp.diags(_customer_weights(x, settings.customer_weighting)) @ x
    x = x.tocsr()
    xt = x.T.tocsr()
    lengths = np.asarray(x.multiply(x).sum(axis=0)).ravel()
    # Upper bound of row i's entries in X'X: the items of every customer who has item i.
    per_customer = np.diff(x.indptr).astype(np.float64)
    bound = (xt != 0).astype(np.float64) @ per_customer

    safe = np.where(lengths > 0, lengths, 1.0)
    left, right = safe**-settings.alpha, safe ** -(1.0 - settings.alpha)
    pieces: list[sp.csr_matrix] = []
    start = 0
    while start < n_items:
        stop = start + 1
        budget = bound[start]
        while stop < n_items and budget + bound[stop] <= _BLOCK_ENTRIES:
            budget += bound[stop]
            stop += 1
        block = (xt[start:stop] @ x).tocsr()
        _similarities(block, start, left, right, settings)
        pieces.append(_top_k_rows(block, settings.neighbours))
        start = stop
    matrix = sp.csr_matrix(sp.vstack(pieces, format="csr") if pieces else (n_items, n_items))
    matrix.sort_indices()
    return ItemNeighbours(matrix)


def _similarities(
    block: sp.csr_matrix, start: int, left: np.ndarray, right: np.ndarray, settings: Settings
) -> None:
    """Turn a block of co-occurrence rows (items start.. x all items) into similarities, in place."""
    counts = np.diff(block.indptr)
    co = block.data.copy() if settings.shrinkage else None
    block.data *= np.repeat(left[start : start + block.shape[0]], counts)
    block.data *= right[block.indices]
    if settings.locality != 1.0:
        np.power(block.data, settings.locality, out=block.data)
    if co is not None:
        block.data *= co / (co + settings.shrinkage)
    own = block.indices == np.repeat(
        np.arange(start, start + block.shape[0], dtype=block.indices.dtype), counts
    )
    block.data[own] = 0.0
    block.eliminate_zeros()


def _top_k_rows(block: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """The block with only each row's k largest entries (ties: the lower column)."""
    counts = np.diff(block.indptr)
    keep = np.ones(block.nnz, dtype=bool)
    data, indices = block.data, block.indices
    for row in np.flatnonzero(counts > k):
        lo, hi = block.indptr[row], block.indptr[row + 1]
        values = data[lo:hi]
        kth = np.partition(values, hi - lo - k)[hi - lo - k]  # the k-th largest
        chosen = values >= kth
        extra = int(np.count_nonzero(chosen)) - k
        if extra:
            ties = np.flatnonzero(values == kth)
            chosen[ties[np.argsort(indices[lo:hi][ties], kind="stable")[len(ties) - extra :]]] = False
        keep[lo:hi] = chosen
    indptr = np.concatenate([[0], np.cumsum(np.minimum(counts, k))])
    return sp.csr_matrix((data[keep], indices[keep], indptr), shape=block.shape)


def _ints(values: Iterable[int] | IntArray) -> np.ndarray:
    return np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=np.int64)


def recommend(
    neighbours: ItemNeighbours,
    items: Iterable[int] | IntArray,
    *,
    weights: Iterable[float] | np.ndarray | None = None,
    n: int = 10,
    exclude: Iterable[int] | IntArray = (),
    boost: np.ndarray | None = None,
) -> list[Recommendation]:
    """One customer's best n items from the items they own (with their matrix weights, 1 by default);
    ``boost`` is the optional per-item multiplier b (``trend_boost``)."""
    owned = _ints(items)
    w = np.ones(len(owned)) if weights is None else np.asarray(list(weights), dtype=np.float64)
    row = sp.csr_matrix((w, (np.zeros(len(owned), dtype=np.int64), owned)), shape=(1, neighbours.n_items))
    row.sum_duplicates()
    forbidden = np.union1d(owned, _ints(exclude))
    return _score(
        neighbours, row, np.zeros(1, dtype=np.int64), forbidden, n, _checked(boost, neighbours)
    ).for_customer(0)


def _checked(boost: np.ndarray | None, neighbours: ItemNeighbours) -> np.ndarray | None:
    if boost is None:
        return None
    b = np.asarray(boost, dtype=np.float64)
    if b.shape != (neighbours.n_items,) or not (np.isfinite(b) & (b > 0)).all():
        raise ValueError("boost must hold one positive finite number per item")
    return b


def recommend_batch(
    neighbours: ItemNeighbours,
    interactions: sp.spmatrix,
    *,
    customers: Iterable[int] | IntArray | None = None,
    n: int = 10,
    exclude: sp.spmatrix | None = None,
    boost: np.ndarray | None = None,
) -> RecommendationBatch:
    """The best n items for each of ``customers`` (all rows by default) of a customers x items matrix.

    ``exclude`` is an optional customers x items matrix of the same shape; its non-zero entries (dislikes)
    are never recommended. ``boost`` is the optional per-item multiplier b (``trend_boost``). Customers
    are processed in blocks so memory stays bounded.
    """
    b = _checked(boost, neighbours)
    x = sp.csr_matrix(interactions, dtype=np.float64)
    x.sum_duplicates()
    n_items = x.shape[1]
    ex = sp.csr_matrix(exclude) if exclude is not None else None
    wanted = np.unique(np.arange(x.shape[0]) if customers is None else _ints(customers))
    # Entries of X @ S a customer can produce: the neighbour counts of the items they own (an upper bound).
    cost = np.cumsum(
        (x[wanted] != 0).astype(np.float64) @ np.diff(neighbours.matrix.indptr).astype(np.float64)
    )
    parts: list[RecommendationBatch] = []
    start = 0
    while start < len(wanted):
        done = cost[start - 1] if start else 0.0
        stop = max(start + 1, int(np.searchsorted(cost, done + _BATCH_TRIPLES, side="right")))
        block = wanted[start:stop]
        sub = x[block].tocsr()
        local = np.repeat(np.arange(len(block), dtype=np.int64), np.diff(sub.indptr))
        forbidden = local * n_items + sub.indices
        if ex is not None:
            exsub = ex[block].tocsr()
            exsub.eliminate_zeros()
            ex_local = np.repeat(np.arange(len(block), dtype=np.int64), np.diff(exsub.indptr))
            forbidden = np.concatenate([forbidden, ex_local * n_items + exsub.indices])
        parts.append(_score(neighbours, sub, block, forbidden, n, b))
        start = stop
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return RecommendationBatch(empty, empty, np.empty(0), empty)
    return RecommendationBatch(
        np.concatenate([p.customer for p in parts]),
        np.concatenate([p.item for p in parts]),
        np.concatenate([p.score for p in parts]),
        np.concatenate([p.because for p in parts]),
    )


def _score(
    neighbours: ItemNeighbours,
    owned: sp.csr_matrix,
    customer: np.ndarray,
    forbidden: np.ndarray,
    n: int,
    boost: np.ndarray | None,
) -> RecommendationBatch:
    """Rank for a block of customers: ``owned`` holds their rows (weights), ``customer`` their ids,
    ``forbidden`` the keys local_row * n_items + item that must not be recommended, ``boost`` the
    per-item multiplier or None.

    The scores are the sparse product owned @ table. scipy multiplies row by row, adding a row's owned
    items in their index order, so a customer's scores are the same numbers whether they are alone or in
    a block, and the orders agree.
    """
    n_items = neighbours.n_items
    owned.sort_indices()
    scores = (owned @ neighbours.matrix).tocsr()
    if boost is not None:
        scores.data *= boost[scores.indices]
    counts = np.diff(scores.indptr)
    rows = np.repeat(np.arange(scores.shape[0], dtype=np.int64), counts)
    keys = rows * n_items + scores.indices
    forbidden = np.unique(forbidden)
    allowed = scores.data > 0
    if len(forbidden):
        pos = np.searchsorted(forbidden, keys).clip(max=len(forbidden) - 1)
        allowed &= forbidden[pos] != keys
    rows, items, values = rows[allowed], scores.indices[allowed].astype(np.int64), scores.data[allowed]
    indptr = np.searchsorted(rows, np.arange(scores.shape[0] + 1))
    chosen = _top_n(indptr, items, values, n)
    rows, items, values = rows[chosen], items[chosen], values[chosen]
    return RecommendationBatch(customer[rows], items, values, _reasons(neighbours, owned, rows, items))


def _top_n(indptr: np.ndarray, items: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Positions of each row's n best (score descending, then item ascending), in that order."""
    chosen: list[np.ndarray] = []
    for row in range(len(indptr) - 1):
        lo, hi = indptr[row], indptr[row + 1]
        if hi == lo:
            continue
        v = values[lo:hi]
        if hi - lo > n:
            # Keep everything at least as good as the n-th best, then sort that handful exactly.
            candidates = np.flatnonzero(v >= np.partition(v, hi - lo - n)[hi - lo - n])
        else:
            candidates = np.arange(hi - lo)
        order = np.lexsort((items[lo:hi][candidates], -v[candidates]))[:n]
        chosen.append(lo + candidates[order])
    return np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)


def _reasons(
    neighbours: ItemNeighbours, owned: sp.csr_matrix, rows: np.ndarray, items: np.ndarray
) -> np.ndarray:
    """For each (row, item): the owned item i with the largest weight * S[i, item], ties to the lower i."""
    if not len(rows):
        return np.empty(0, dtype=np.int64)
    lengths = np.diff(owned.indptr)[rows]
    pair = np.repeat(np.arange(len(rows)), lengths)
    starts = np.repeat(owned.indptr[rows] - np.cumsum(lengths) + lengths, lengths)
    positions = starts + np.arange(int(lengths.sum()))
    owner = owned.indices[positions].astype(np.int64)
    target = items[pair]
    table = neighbours.matrix
    if not table.nnz:
        return owner[np.r_[True, pair[1:] != pair[:-1]]]
    # A binary search for the target inside each owner's row of the table (its columns are sorted), for
    # all pairs at once: a row holds at most K entries, so this takes log2(K) + 1 vectorised steps.
    lo, end = table.indptr[owner].astype(np.int64), table.indptr[owner + 1].astype(np.int64)
    hi = end.copy()
    while (active := lo < hi).any():
        mid = (lo + hi) // 2
        right = active & (table.indices[np.minimum(mid, table.nnz - 1)] < target)
        lo = np.where(right, mid + 1, lo)
        hi = np.where(active & ~right, mid, hi)
    found = np.minimum(lo, table.nnz - 1)
    hit = (lo < end) & (table.indices[found] == target)
    contribution = np.where(hit, table.data[found] * owned.data[positions], -np.inf)
    order = np.lexsort((owner, -contribution, pair))
    first = order[np.r_[True, pair[order][1:] != pair[order][:-1]]]
    return owner[first]
