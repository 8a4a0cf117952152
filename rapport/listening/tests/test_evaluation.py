"""Evaluation: gold classes as Hutto & Gilbert set them, weighted scores, detection counts, corpora."""

from __future__ import annotations

import numpy as np
import pytest

from rapport.listening.numerics.corpora import VADER_CORPORA, banking77, vader_corpora
from rapport.listening.numerics.defection import DefectionSignal
from rapport.listening.numerics.evaluation import detection_scores, gold_labels, score_against


def test_gold_class_is_the_mean_rating_through_the_same_thresholds() -> None:
    assert gold_labels([2.5, 0.05, 0.0, -0.05, -0.049, -3.1]) == [
        "positive",
        "positive",
        "neutral",
        "negative",
        "neutral",
        "negative",
    ]


def test_scores_are_weighted_by_support() -> None:
    ratings = [1.0, 1.0, 1.0, -1.0]
    scores = np.array([0.9, 0.8, -0.7, -0.6])

    result = score_against(ratings, scores)

    # positive: P 1, R 2/3, F1 0.8 (support 3); negative: P 0.5, R 1, F1 2/3 (support 1).
    assert result.precision == pytest.approx(0.75 * 1 + 0.25 * 0.5)
    assert result.recall == pytest.approx(0.75)
    assert result.f1 == pytest.approx(0.75 * 0.8 + 0.25 * 2 / 3)
    assert result.n == 4


def test_detection_counts() -> None:
    signals = [DefectionSignal(flagged=f) for f in (True, True, False, False)]

    result = detection_scores(signals, [True, False, True, False])

    assert (result.true_positives, result.false_positives, result.false_negatives) == (1, 1, 1)
    assert result.precision == result.recall == 0.5


def test_the_shipped_corpora_are_complete() -> None:
    corpora = vader_corpora()

    assert [c.name for c in corpora] == list(VADER_CORPORA)
    assert [len(c.texts) for c in corpora] == [4200, 10605, 5190]
    assert len(banking77("train").texts) == 10003
    assert len(banking77("test").texts) == 3080
    assert len(set(banking77("test").tags)) == 77
