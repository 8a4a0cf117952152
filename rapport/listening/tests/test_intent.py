"""Intent: training from tagged texts, determinism, and the shape of the suggested tags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rapport.listening.numerics.intent import (
    default_intent_model,
    predict_intents,
    suggest_tags,
    train_intent_model,
)
from rapport.listening.numerics.linear import FeatureSettings, load_model, save_model

TINY = FeatureSettings(n_features=2**10, word_ngrams=(1, 2), char_ngrams=(3, 4), sublinear_tf=True, idf=True)
TEXTS = [
    "where is my parcel",
    "my parcel has not arrived",
    "tracking says the parcel is lost",
    "I want a refund",
    "please refund my money",
    "refund for the broken mug",
    "change my delivery address",
    "update the address on my order",
]
TAGS = ["delivery", "delivery", "delivery", "refund", "refund", "refund", "address", "address"]


def _tiny(seed: int = 5) -> object:
    return train_intent_model(TEXTS, TAGS, seed=seed, settings=TINY, keep_fraction=1.0)


def test_suggestions_are_k_tags_most_likely_first() -> None:
    model = _tiny()

    [row] = suggest_tags(["my refund has not come"], k=2, model=model)  # type: ignore[arg-type]

    assert len(row) == 2
    assert row[0].tag == "refund"
    assert row[0].score >= row[1].score
    assert all(0.0 <= s.score <= 1.0 for s in row)
    assert len({s.tag for s in row}) == 2


def test_asking_for_more_tags_than_the_model_knows_gives_all_of_them_summing_to_one() -> None:
    model = _tiny()

    rows = suggest_tags(["parcel", "", "address please"], k=10, model=model)  # type: ignore[arg-type]

    assert [len(row) for row in rows] == [3, 3, 3]
    for row in rows:
        assert sum(s.score for s in row) == pytest.approx(1.0)


def test_k_must_be_positive() -> None:
    with pytest.raises(ValueError, match="k must be"):
        suggest_tags(["x"], k=0, model=_tiny())  # type: ignore[arg-type]


def test_training_twice_with_the_same_seed_gives_the_same_model() -> None:
    first, second = _tiny(), _tiny()

    assert np.array_equal(first.coef.toarray(), second.coef.toarray())  # type: ignore[attr-defined]
    assert np.array_equal(first.intercept, second.intercept)  # type: ignore[attr-defined]


def test_pruning_keeps_only_the_largest_weights() -> None:
    full = train_intent_model(TEXTS, TAGS, seed=5, settings=TINY, keep_fraction=1.0)
    pruned = train_intent_model(TEXTS, TAGS, seed=5, settings=TINY, keep_fraction=0.2)

    assert 0 < pruned.coef.nnz < full.coef.nnz
    assert predict_intents(pruned, TEXTS) == predict_intents(full, TEXTS)


def test_round_trip_through_files_keeps_predictions(tmp_path: Path) -> None:
    model = train_intent_model(TEXTS, TAGS, seed=5, settings=TINY, keep_fraction=0.5)
    save_model(model, tmp_path, "intent")

    loaded = load_model(tmp_path, "intent")

    probe = [*TEXTS, "where is my refund", ""]
    assert suggest_tags(probe, k=3, model=loaded) == suggest_tags(probe, k=3, model=model)
    assert loaded.idf is not None


def test_every_text_needs_a_tag() -> None:
    with pytest.raises(ValueError, match="every text needs a tag"):
        train_intent_model(["a", "b"], ["x", ""], seed=1, settings=TINY)


def test_shipped_model_knows_banking77_and_tags_a_late_card() -> None:
    model = default_intent_model()

    [row] = suggest_tags(["My new card still hasn't arrived, it's been two weeks"], k=3)

    assert len(model.classes) == 77
    assert row[0].tag == "card_arrival"
    assert model.metadata["corpora"] == ["banking77/train.csv"]
