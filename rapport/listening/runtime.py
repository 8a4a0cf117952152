"""The models in use, loaded once per process, and the one way the rest of Rapport scores text."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from importlib.metadata import version

from rapport.listening.numerics import sentiment
from rapport.listening.numerics.linear import model_paths
from rapport.listening.numerics.sentiment import Sentiment

TRAINED = "trained"
VADER = "vader"
ENGINES = (TRAINED, VADER)


@functools.cache
def sentiment_model_version(engine: str = TRAINED) -> str:
    """Stored with every score, so scores of a rebuilt or switched model can be told apart.

    "sentiment-" and the first 12 hex digits of the shipped model's SHA-256, or "vader-" and its version.
    """
    if engine == VADER:
        return f"vader-{version('vaderSentiment')}"
    _, json_path = model_paths(sentiment.MODEL_DIR, sentiment.MODEL_NAME)
    document = json.loads(json_path.read_text(encoding="utf-8"))
    return f"{sentiment.MODEL_NAME}-{str(document['npz_sha256'])[:12]}"


def score_sentiments(texts: Sequence[str], engine: str = TRAINED) -> list[Sentiment]:
    """Label (negative, neutral, positive) and score in [-1, 1] each text with the chosen engine.

    Scoring many texts in one call is several times faster than one by one: batch where you can.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown sentiment engine {engine!r}")
    if not texts:
        return []
    if engine == VADER:
        return sentiment.vader_sentiment(list(texts))
    return sentiment.score_texts(list(texts))
