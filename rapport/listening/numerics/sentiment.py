"""Sentiment of a text: VADER's rule-based baseline and the linear model Rapport trains (no Django).

Both give each text a label (negative, neutral, positive) and a score in [-1, 1]. VADER's score is its
compound score; the trained model's is P(positive) - P(negative). The label comes from the score with
VADER's own thresholds: positive at >= 0.05, negative at <= -0.05, neutral between, so the label
always agrees with the score and the two models speak the same scale.

The trained model is a multinomial logistic regression over hashed word 1-2-grams, hashed character
3-5-grams (inside word boundaries) and VADER's four scores (neg, neu, pos, compound) as extra
features: the n-grams learn the vocabulary of the corpora, VADER brings its lexicon and rules
(negation, boosters, "but", capitals, punctuation). See ``linear`` for how it is stored.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from rapport.listening.numerics.linear import (
    MAX_TEXT_CHARS,
    FeatureSettings,
    LinearTextModel,
    featurise,
    fit_linear_model,
    load_model,
)

NEGATIVE, NEUTRAL, POSITIVE = "negative", "neutral", "positive"
LABELS = (NEGATIVE, NEUTRAL, POSITIVE)
THRESHOLD = 0.05  # VADER's published neutral band, on its compound score and on our score alike
VADER_FEATURES = ("vader_neg", "vader_neu", "vader_pos", "vader_compound")
MODEL_NAME = "sentiment"
MODEL_DIR = Path(__file__).resolve().parent.parent / "model_files"

DEFAULT_SETTINGS = FeatureSettings(
    n_features=2**16, word_ngrams=(1, 2), char_ngrams=(3, 5), extra=VADER_FEATURES
)
DEFAULT_C = 1.0
VADER_CHUNK_CHARS = 500
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Sentiment:
    label: str
    score: float


def label_for(score: float, threshold: float = THRESHOLD) -> str:
    """positive at score >= threshold, negative at <= -threshold, neutral between (VADER's rule)."""
    if score >= threshold:
        return POSITIVE
    if score <= -threshold:
        return NEGATIVE
    return NEUTRAL


def labels_for(scores: np.ndarray, threshold: float = THRESHOLD) -> list[str]:
    values = np.asarray(scores, dtype=np.float64)
    found = np.where(values >= threshold, POSITIVE, np.where(values <= -threshold, NEGATIVE, NEUTRAL))
    return [str(label) for label in found]


@functools.cache
def _vader() -> Any:
    # Imported here: building the analyzer reads its lexicon files (about 0.1 s), once per process.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_chunks(text: str) -> list[str]:
    """The text cut at sentence ends (or spaces) into pieces of at most VADER_CHUNK_CHARS characters.

    VADER's cost grows with the square of a text's length (125,000 characters took 100 s here, 500 take
    about 3 ms), so a long message is scored piece by piece; texts up to the limit are one piece.
    """
    text = text[:MAX_TEXT_CHARS]
    if len(text) <= VADER_CHUNK_CHARS:
        return [text]
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        while len(sentence) > VADER_CHUNK_CHARS:
            cut = sentence.rfind(" ", 0, VADER_CHUNK_CHARS)
            cut = cut if cut > 0 else VADER_CHUNK_CHARS
            pieces.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        pieces.append(sentence)
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + 1 + len(piece) <= VADER_CHUNK_CHARS:
            chunks[-1] = f"{chunks[-1]} {piece}"
        elif piece:
            chunks.append(piece)
    return chunks or [""]


def vader_features(texts: Sequence[str]) -> np.ndarray:
    """VADER's neg, neu, pos and compound scores, one row per text (long texts: the length-weighted
    mean over their chunks)."""
    analyzer = _vader()
    rows = []
    for text in texts:
        chunks = vader_chunks(text)
        if len(chunks) == 1:
            scores = analyzer.polarity_scores(chunks[0])
            rows.append((scores["neg"], scores["neu"], scores["pos"], scores["compound"]))
            continue
        parts = np.array(
            [[s["neg"], s["neu"], s["pos"], s["compound"]] for s in map(analyzer.polarity_scores, chunks)]
        )
        weights = np.array([len(chunk) for chunk in chunks], dtype=np.float64)
        rows.append(tuple(weights @ parts / weights.sum()))
    return np.array(rows, dtype=np.float32).reshape(len(rows), 4)


def vader_sentiment(texts: Sequence[str]) -> list[Sentiment]:
    """The baseline: VADER's compound score and the label its thresholds give."""
    compound = vader_features(texts)[:, 3].astype(np.float64)
    return [Sentiment(label=label_for(float(s)), score=float(s)) for s in compound]


def _extra(settings: FeatureSettings) -> Any:
    if not settings.extra:
        return None
    if settings.extra != VADER_FEATURES:
        raise ValueError(f"unknown extra features {settings.extra}")
    return vader_features


def sentiment_features(texts: Sequence[str], settings: FeatureSettings) -> Any:
    return featurise(texts, settings, extra=_extra(settings))


def train_sentiment_model(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    seed: int,
    settings: FeatureSettings = DEFAULT_SETTINGS,
    c: float = DEFAULT_C,
    metadata: Mapping[str, Any] | None = None,
) -> LinearTextModel:
    """Fit the model on texts labelled negative, neutral or positive (the same seed gives the same model)."""
    unknown = set(labels) - set(LABELS)
    if unknown:
        raise ValueError(f"labels must be among {LABELS}, not {sorted(unknown)}")
    if len(texts) != len(labels):
        raise ValueError("one label per text")
    features = sentiment_features(texts, settings)
    return fit_linear_model(
        features,
        labels,
        kind=MODEL_NAME,
        settings=settings,
        seed=seed,
        c=c,
        metadata={
            "seed": seed,
            "c": c,
            "training_texts": len(texts),
            "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            **(metadata or {}),
        },
    )


def model_scores(model: LinearTextModel, texts: Sequence[str]) -> np.ndarray:
    """P(positive) - P(negative) for each text, in [-1, 1]; 0 for every text when texts is empty."""
    if model.kind != MODEL_NAME:
        raise ValueError(f"a {model.kind} model cannot score sentiment")
    if not texts:
        return np.zeros(0)
    probabilities = model.probabilities_of(sentiment_features(texts, model.settings))
    column = {label: i for i, label in enumerate(model.classes)}
    positive = probabilities[:, column[POSITIVE]] if POSITIVE in column else 0.0
    negative = probabilities[:, column[NEGATIVE]] if NEGATIVE in column else 0.0
    return np.clip(np.asarray(positive - negative, dtype=np.float64), -1.0, 1.0)


def score_texts(texts: Sequence[str], model: LinearTextModel | None = None) -> list[Sentiment]:
    """Label and score each text with the trained model (the shipped one unless another is given)."""
    chosen = model if model is not None else default_sentiment_model()
    scores = model_scores(chosen, list(texts))
    return [
        Sentiment(label=label, score=float(s)) for label, s in zip(labels_for(scores), scores, strict=True)
    ]


@functools.cache
def default_sentiment_model() -> LinearTextModel:
    """The shipped model, read once per process (``build_listening_models`` writes it)."""
    return load_model(MODEL_DIR, MODEL_NAME)
