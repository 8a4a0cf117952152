"""Sentiment: VADER's label boundaries, the trained model's determinism, files and score range."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rapport.listening.numerics import sentiment
from rapport.listening.numerics.linear import FeatureSettings, ModelFileError, load_model, save_model
from rapport.listening.numerics.sentiment import (
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    default_sentiment_model,
    label_for,
    score_texts,
    train_sentiment_model,
    vader_chunks,
    vader_sentiment,
)

TINY = FeatureSettings(
    n_features=2**10, word_ngrams=(1, 2), char_ngrams=(3, 4), extra=sentiment.VADER_FEATURES
)
TEXTS = [
    "I love this, wonderful service",
    "great help, thank you so much",
    "fantastic, arrived early",
    "terrible, it broke on day one",
    "awful support, never again",
    "the worst order I have had",
    "it arrived on tuesday",
]
LABELS = [POSITIVE, POSITIVE, POSITIVE, NEGATIVE, NEGATIVE, NEGATIVE, NEUTRAL]


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (0.05, POSITIVE),
        (0.0499, NEUTRAL),
        (0.0, NEUTRAL),
        (-0.0499, NEUTRAL),
        (-0.05, NEGATIVE),
        (1.0, POSITIVE),
        (-1.0, NEGATIVE),
    ],
)
def test_label_boundaries_are_vaders_plus_minus_0_05_inclusive(score: float, label: str) -> None:
    assert label_for(score) == label


def test_vader_baseline_labels_follow_its_compound_score() -> None:
    results = vader_sentiment(["I love it!", "This is awful.", "The parcel is in the hall."])

    assert [r.label for r in results] == [POSITIVE, NEGATIVE, NEUTRAL]
    assert results[0].score > 0.05 > -0.05 > results[1].score
    assert results[2].score == 0.0


def test_training_twice_with_the_same_seed_gives_the_same_coefficients() -> None:
    first = train_sentiment_model(TEXTS, LABELS, seed=7, settings=TINY)
    second = train_sentiment_model(TEXTS, LABELS, seed=7, settings=TINY)

    assert np.array_equal(first.coef.toarray(), second.coef.toarray())
    assert np.array_equal(first.intercept, second.intercept)
    assert first.classes == (NEGATIVE, NEUTRAL, POSITIVE)


def test_saved_model_loads_back_with_identical_predictions(tmp_path: Path) -> None:
    model = train_sentiment_model(TEXTS, LABELS, seed=7, settings=TINY, metadata={"corpora": ["tiny"]})
    save_model(model, tmp_path, "sentiment")

    loaded = load_model(tmp_path, "sentiment")

    probe = [*TEXTS, "", "meh", "not bad at all"]
    assert score_texts(probe, model=loaded) == score_texts(probe, model=model)
    assert loaded.settings == TINY
    assert loaded.metadata["corpora"] == ["tiny"]
    assert loaded.metadata["seed"] == 7


def test_saving_the_same_model_twice_writes_the_same_bytes(tmp_path: Path) -> None:
    model = train_sentiment_model(TEXTS, LABELS, seed=7, settings=TINY)
    first, _ = save_model(model, tmp_path / "a", "sentiment")
    second, _ = save_model(model, tmp_path / "b", "sentiment")

    assert first.read_bytes() == second.read_bytes()


def test_a_model_file_that_does_not_match_its_metadata_is_refused(tmp_path: Path) -> None:
    model = train_sentiment_model(TEXTS, LABELS, seed=7, settings=TINY)
    npz, _ = save_model(model, tmp_path, "sentiment")
    blob = npz.read_bytes()
    npz.write_bytes(blob[:-1] + bytes([blob[-1] ^ 0xFF]))

    with pytest.raises(ModelFileError, match="does not match"):
        load_model(tmp_path, "sentiment")


def test_training_refuses_unknown_labels() -> None:
    with pytest.raises(ValueError, match="labels must be among"):
        train_sentiment_model(["good"], ["happy"], seed=1, settings=TINY)


def test_two_class_training_data_still_scores_on_the_full_scale() -> None:
    model = train_sentiment_model(TEXTS[:6], LABELS[:6], seed=3, settings=TINY)

    results = score_texts(["I love this", "awful, broke"], model=model)

    assert model.classes == (NEGATIVE, POSITIVE)
    assert results[0].score > 0 > results[1].score


def test_shipped_model_reads_the_obvious_cases() -> None:
    results = score_texts(
        ["Thank you so much, you were wonderful!", "This is the worst service ever, I'm furious."]
    )

    assert [r.label for r in results] == [POSITIVE, NEGATIVE]


def test_shipped_model_is_loaded_once_per_process() -> None:
    assert default_sentiment_model() is default_sentiment_model()


def test_long_texts_are_cut_into_chunks_vader_can_afford() -> None:
    text = "The box was fine. " * 400

    chunks = vader_chunks(text)

    assert len(chunks) > 1
    assert all(len(chunk) <= sentiment.VADER_CHUNK_CHARS for chunk in chunks)
    assert vader_chunks("short") == ["short"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000))
@example("")
@example(" \n\t ")
@example("!!!!" * 10_000)
@example("wonderful " * 30_000)
@example("\x00\ud7ff\U0010ffff 😡😡 ")
def test_score_is_always_within_minus_one_and_one_and_labelled(text: str) -> None:
    [result] = score_texts([text])
    [baseline] = vader_sentiment([text])

    assert -1.0 <= result.score <= 1.0
    assert result.label == label_for(result.score)
    assert -1.0 <= baseline.score <= 1.0
