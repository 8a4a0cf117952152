"""How good top-k recommendations are on a time split: precision, recall, NDCG, coverage (no Django).

The protocol (``holdout``): interactions before a cut-off date train the recommender, those after it are
the test. A customer is evaluated when they have items in both periods and at least one relevant item:
an item they took in the test period, did not have in the training period (it would never be
recommended: owned items are excluded), and that is in the training catalogue (items nobody had before
the cut-off cannot be recommended by any of the compared methods, so counting them would lower every
method alike and change no ranking).

For one customer with the ranked list R = (r_1, ..., r_k') (k' <= k; a shorter list is not padded) and
the relevant set T (binary relevance: rel_i = 1 when r_i is in T, else 0):

- precision@k = |R[:k] & T| / k (always divided by k, so returning fewer items is not rewarded);
- recall@k = |R[:k] & T| / |T|;
- NDCG@k = DCG@k / IDCG@k with DCG@k = sum_{i=1..k} rel_i / log2(i + 1) (the standard discount of
  Jarvelin & Kekalainen 2002 as used by Burges et al. 2005, with binary gains, so the first position has
  weight 1) and IDCG@k = sum_{i=1..min(|T|, k)} 1 / log2(i + 1), the DCG of a list that puts relevant
  items in every leading position.

Each is averaged over the evaluated customers with equal weight. Catalogue coverage@k is the share of
the training catalogue that appears in at least one evaluated customer's top k (Ge, Delgado-Battenfeld &
Jannach 2010). The popularity baseline ranks items by the number of distinct training customers, ties
by the lower item index, and skips each customer's owned items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Holdout:
    """Who is evaluated (row indices) and each one's relevant items (sorted arrays)."""

    customers: np.ndarray
    relevant: list[np.ndarray]
    catalogue: np.ndarray  # items with at least one training interaction


@dataclass(frozen=True)
class Metrics:
    precision: float
    recall: float
    ndcg: float
    coverage: float
    customers: int
    k: int


def holdout(train: sp.spmatrix, test: sp.spmatrix) -> Holdout:
    """The evaluation cases for two customers x items matrices of the same shape (see the docstring)."""
    train_m, test_m = sp.csr_matrix(train), sp.csr_matrix(test)
    if train_m.shape != test_m.shape:
        raise ValueError("train and test must have the same shape")
    catalogue = np.flatnonzero(np.asarray((train_m != 0).sum(axis=0)).ravel())
    in_catalogue = np.zeros(train_m.shape[1], dtype=bool)
    in_catalogue[catalogue] = True
    customers, relevant = [], []
    for row in range(train_m.shape[0]):
        had = train_m.indices[train_m.indptr[row] : train_m.indptr[row + 1]]
        if not len(had):
            continue
        took = test_m.indices[test_m.indptr[row] : test_m.indptr[row + 1]]
        new = np.setdiff1d(took[in_catalogue[took]], had)
        if len(new):
            customers.append(row)
            relevant.append(new)
    return Holdout(np.asarray(customers, dtype=np.int64), relevant, catalogue)


def _hits(
    recommended: Sequence[int] | np.ndarray, relevant: Sequence[int] | np.ndarray, k: int
) -> np.ndarray:
    top = np.asarray(recommended, dtype=np.int64)[:k]
    return np.isin(top, np.asarray(relevant, dtype=np.int64))


def precision_at_k(
    recommended: Sequence[int] | np.ndarray, relevant: Sequence[int] | np.ndarray, k: int
) -> float:
    return float(_hits(recommended, relevant, k).sum() / k)


def recall_at_k(
    recommended: Sequence[int] | np.ndarray, relevant: Sequence[int] | np.ndarray, k: int
) -> float:
    size = len(set(np.asarray(relevant).tolist()))
    return float(_hits(recommended, relevant, k).sum() / size) if size else 0.0


def ndcg_at_k(recommended: Sequence[int] | np.ndarray, relevant: Sequence[int] | np.ndarray, k: int) -> float:
    size = len(set(np.asarray(relevant).tolist()))
    if not size:
        return 0.0
    hits = _hits(recommended, relevant, k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = discounts[: min(size, k)].sum()
    return float(discounts[: len(hits)][hits].sum() / ideal)


def catalogue_coverage(
    recommended: Sequence[Sequence[int] | np.ndarray], catalogue: Sequence[int] | np.ndarray, k: int
) -> float:
    """The share of the catalogue's items that are in at least one list's top k."""
    items = np.unique(np.asarray(catalogue, dtype=np.int64))
    if not len(items):
        return 0.0
    top = [np.asarray(r, dtype=np.int64)[:k] for r in recommended]
    shown = np.unique(np.concatenate(top)) if top else np.empty(0, dtype=np.int64)
    return float(np.isin(items, shown).sum() / len(items))


def evaluate(recommended: Sequence[Sequence[int] | np.ndarray], cases: Holdout, k: int = 10) -> Metrics:
    """The averaged metrics for recommended lists given in the order of ``cases.customers``."""
    if len(recommended) != len(cases.customers):
        raise ValueError("one recommended list per evaluated customer")
    if not len(recommended):
        return Metrics(0.0, 0.0, 0.0, 0.0, 0, k)
    return Metrics(
        precision=float(
            np.mean([precision_at_k(r, t, k) for r, t in zip(recommended, cases.relevant, strict=True)])
        ),
        recall=float(
            np.mean([recall_at_k(r, t, k) for r, t in zip(recommended, cases.relevant, strict=True)])
        ),
        ndcg=float(np.mean([ndcg_at_k(r, t, k) for r, t in zip(recommended, cases.relevant, strict=True)])),
        coverage=catalogue_coverage(recommended, cases.catalogue, k),
        customers=len(recommended),
        k=k,
    )


def popularity_ranking(train: sp.spmatrix) -> np.ndarray:
    """Items by distinct training customers, most first, ties by the lower index (unseen items last)."""
    counts = np.asarray((sp.csr_matrix(train) != 0).sum(axis=0)).ravel()
    return np.lexsort((np.arange(len(counts)), -counts))


def recommend_popular(
    ranking: np.ndarray,
    owned: Sequence[int] | np.ndarray,
    n: int = 10,
    exclude: Sequence[int] | np.ndarray = (),
) -> np.ndarray:
    """The n most popular items the customer neither owns nor excluded."""
    skip = np.union1d(np.asarray(owned, dtype=np.int64), np.asarray(exclude, dtype=np.int64))
    # Only the first n + |skip| of the ranking can be needed.
    head = ranking[: n + len(skip)]
    return head[~np.isin(head, skip)][:n]
