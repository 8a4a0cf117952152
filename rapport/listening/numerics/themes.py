"""Themes in a set of messages: TF-IDF and non-negative matrix factorisation (NMF), no Django.

Each message becomes a TF-IDF vector of its words and word pairs (English stop words left out); NMF
splits that matrix into ``k`` themes, each a weighted set of terms, and gives every message a weight
on each theme. Initialised with NNDSVD and a fixed seed, the same messages give the same themes.

A theme has its top terms, the indexes of the messages that weigh most on it, and its share of the
messages (those whose heaviest theme it is). Given each message's period (0 earlier, 1 later) the
trend compares the theme's share in the two periods with a two-proportion z-test: rising or falling
when the difference is significant at ``alpha``, steady otherwise.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer

RISING, FALLING, STEADY = "rising", "falling", "steady"
# "hasn't" would otherwise become the term "hasn" (the default tokens drop the apostrophe and the "t").
_NEGATED = re.compile(r"n['’]t\b", re.IGNORECASE)


def _words(text: str) -> str:
    return _NEGATED.sub(" not", text.lower())


@dataclass(frozen=True)
class Theme:
    index: int
    terms: tuple[tuple[str, float], ...]  # (term, weight), heaviest first
    examples: tuple[int, ...]  # indexes into the messages, most typical first
    share: float  # of all messages, those whose heaviest theme this is
    earlier: int = 0  # messages of the earlier period whose heaviest theme this is
    later: int = 0
    trend: str = STEADY
    p_value: float = 1.0


def trend_between(
    earlier_hits: int, earlier_total: int, later_hits: int, later_total: int, *, alpha: float = 0.05
) -> tuple[str, float]:
    """Rising, falling or steady: a two-sided two-proportion z-test on the theme's share of each period."""
    if earlier_total <= 0 or later_total <= 0:
        return STEADY, 1.0
    pooled = (earlier_hits + later_hits) / (earlier_total + later_total)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / earlier_total + 1 / later_total))
    if spread == 0:
        return STEADY, 1.0
    difference = later_hits / later_total - earlier_hits / earlier_total
    p_value = float(2 * norm.sf(abs(difference) / spread))
    if p_value >= alpha:
        return STEADY, p_value
    return (RISING if difference > 0 else FALLING), p_value


def find_themes(
    messages: Sequence[str],
    *,
    k: int = 8,
    seed: int = 0,
    top_terms: int = 8,
    examples: int = 3,
    periods: Sequence[int] | None = None,
    alpha: float = 0.05,
    max_features: int = 20000,
) -> list[Theme]:
    """Up to k themes of the messages, largest share first (fewer when the messages have fewer terms)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    if periods is not None and len(periods) != len(messages):
        raise ValueError("one period per message")
    texts = list(messages)
    if not texts:
        return []
    vectorizer = TfidfVectorizer(
        preprocessor=_words,
        stop_words="english",
        ngram_range=(1, 2),
        min_df=2 if len(texts) >= 50 else 1,
        max_df=0.9 if len(texts) >= 20 else 1.0,
        sublinear_tf=True,
        max_features=max_features,
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return []
    vocabulary = vectorizer.get_feature_names_out()
    components = min(k, matrix.shape[0], matrix.shape[1])
    model = NMF(n_components=components, init="nndsvd", random_state=seed, max_iter=400)
    with warnings.catch_warnings():
        # Themes after max_iter iterations are good enough to read; the warning would only be noise in logs.
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = model.fit_transform(matrix)
    dominant = np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)
    period = np.asarray(periods) if periods is not None else None
    themes = []
    for index, row in enumerate(model.components_):
        order = np.argsort(-row, kind="stable")[:top_terms]
        terms = tuple((str(vocabulary[i]), round(float(row[i]), 6)) for i in order if row[i] > 0)
        if not terms:
            continue
        column = weights[:, index]
        typical = tuple(int(i) for i in np.argsort(-column, kind="stable")[:examples] if column[i] > 0)
        hits = dominant == index
        theme = Theme(index=index, terms=terms, examples=typical, share=float(hits.mean()))
        if period is not None:
            earlier_total, later_total = int((period == 0).sum()), int((period == 1).sum())
            earlier, later = int((hits & (period == 0)).sum()), int((hits & (period == 1)).sum())
            trend, p_value = trend_between(earlier, earlier_total, later, later_total, alpha=alpha)
            theme = Theme(
                index=index,
                terms=terms,
                examples=typical,
                share=theme.share,
                earlier=earlier,
                later=later,
                trend=trend,
                p_value=p_value,
            )
        themes.append(theme)
    return sorted(themes, key=lambda theme: (-theme.share, theme.index))
