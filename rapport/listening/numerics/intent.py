"""Intent of a message: a classifier trained from labelled texts that suggests the top-k tags (no Django).

The model is a multinomial logistic regression over hashed word 1-2-grams and character 3-5-grams with
sublinear TF-IDF weights (see ``linear``). It learns from any texts with tags: BANKING77 for the shipped
model, a company's own tagged conversations later. Only the largest tenth of the weights is kept
(``KEEP_FRACTION``): on BANKING77 that leaves accuracy where it was and the file at about 1 MB.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from rapport.listening.numerics.linear import (
    FeatureSettings,
    LinearTextModel,
    featurise,
    fit_linear_model,
    learn_idf,
    load_model,
)

MODEL_NAME = "intent"
MODEL_DIR = Path(__file__).resolve().parent.parent / "model_files"
DEFAULT_SETTINGS = FeatureSettings(
    n_features=2**16, word_ngrams=(1, 2), char_ngrams=(3, 5), sublinear_tf=True, idf=True
)
DEFAULT_C = 20.0
# A looser tolerance than scikit-learn's default: on BANKING77 the accuracy is the same and the fit
# takes about a minute and a half on one core instead of over ten.
DEFAULT_TOL = 1e-3
KEEP_FRACTION = 0.1


@dataclass(frozen=True)
class TagSuggestion:
    tag: str
    score: float  # the model's probability for the tag, in [0, 1]


def train_intent_model(
    texts: Sequence[str],
    tags: Sequence[str],
    *,
    seed: int,
    settings: FeatureSettings = DEFAULT_SETTINGS,
    c: float = DEFAULT_C,
    tol: float = DEFAULT_TOL,
    keep_fraction: float = KEEP_FRACTION,
    metadata: Mapping[str, Any] | None = None,
) -> LinearTextModel:
    """Fit a tagger on texts and their tags (at least two distinct tags; the same seed, the same model)."""
    if len(texts) != len(tags):
        raise ValueError("one tag per text")
    if any(not tag for tag in tags):
        raise ValueError("every text needs a tag")
    if settings.extra:
        raise ValueError("the intent model takes no extra features")
    idf = learn_idf(texts, settings) if settings.idf else None
    features = featurise(texts, settings, idf=idf)
    return fit_linear_model(
        features,
        tags,
        kind=MODEL_NAME,
        settings=settings,
        seed=seed,
        c=c,
        tol=tol,
        keep_fraction=keep_fraction,
        idf=idf,
        metadata={
            "seed": seed,
            "c": c,
            "tol": tol,
            "keep_fraction": keep_fraction,
            "training_texts": len(texts),
            "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            **(metadata or {}),
        },
    )


def intent_probabilities(model: LinearTextModel, texts: Sequence[str]) -> np.ndarray:
    """One row per text, one column per tag (``model.classes``); rows sum to 1."""
    if model.kind != MODEL_NAME:
        raise ValueError(f"a {model.kind} model cannot tag intents")
    if not texts:
        return np.zeros((0, len(model.classes)))
    return model.probabilities_of(featurise(texts, model.settings, idf=model.idf))


def predict_intents(model: LinearTextModel, texts: Sequence[str]) -> list[str]:
    probabilities = intent_probabilities(model, texts)
    return [model.classes[i] for i in probabilities.argmax(axis=1)]


def suggest_tags(
    texts: Sequence[str], *, k: int = 3, model: LinearTextModel | None = None
) -> list[list[TagSuggestion]]:
    """The k most likely tags of each text, most likely first (fewer when the model knows fewer tags)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    chosen = model if model is not None else default_intent_model()
    probabilities = intent_probabilities(chosen, list(texts))
    found = []
    for row in probabilities:
        # A stable sort on the negated row keeps ties in the model's class order: same input, same list.
        order = np.argsort(-row, kind="stable")[:k]
        found.append([TagSuggestion(tag=chosen.classes[i], score=float(row[i])) for i in order])
    return found


@functools.cache
def default_intent_model() -> LinearTextModel:
    """The shipped BANKING77 model, read once per process (``build_listening_models`` writes it)."""
    return load_model(MODEL_DIR, MODEL_NAME)
