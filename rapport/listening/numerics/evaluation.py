"""How well the listening models do, measured as the papers they are compared with measured (no Django).

Sentiment, as Hutto & Gilbert (2014) did: three classes; the gold class of a text is its mean human
rating put through the same +/-0.05 thresholds as VADER's compound score (positive at >= 0.05, negative
at <= -0.05, neutral between; with 20 raters per text, means come in steps of 0.05, so this is the sign
of the mean); precision, recall and F1 averaged over the classes weighted by their support. Cross-corpus:
for each corpus, a model trained on the other corpora only is tested on it.

Intent: accuracy on BANKING77's own test split (Casanueva et al. 2020), and the time to tag one message
(p50 and p95 of single-message calls). Defection: precision and recall of the detector for BANKING77's
``terminate_account`` against all other intents of the test split, and on a labelled set of phrasings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

from rapport.listening.numerics.corpora import RatedCorpus, TaggedCorpus
from rapport.listening.numerics.defection import DefectionSignal
from rapport.listening.numerics.intent import predict_intents, suggest_tags
from rapport.listening.numerics.linear import FeatureSettings, LinearTextModel
from rapport.listening.numerics.sentiment import (
    DEFAULT_C,
    DEFAULT_SETTINGS,
    labels_for,
    model_scores,
    train_sentiment_model,
    vader_features,
)

# Hutto & Gilbert (2014), Table 4, VADER's row: 3-class support-weighted F1.
PUBLISHED_VADER_F1 = {"tweets": 0.96, "movie reviews": 0.61, "NYT editorials": 0.55}
# Casanueva et al. (2020): intent accuracy on BANKING77 (full training data) with dual sentence encoders.
PUBLISHED_BANKING77_ACCURACY = 0.93


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    correlation: float  # Pearson r of the score with the mean human rating
    n: int


@dataclass(frozen=True)
class CrossCorpusRow:
    corpus: str
    trained_on: tuple[str, ...]
    published_vader_f1: float | None
    vader: Scores
    model: Scores

    @property
    def gain(self) -> float:
        return self.model.f1 - self.vader.f1


@dataclass(frozen=True)
class IntentResult:
    accuracy: float
    top3_accuracy: float
    n: int
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class DetectionResult:
    precision: float
    recall: float
    true_positives: int
    false_positives: int
    false_negatives: int
    n: int


def gold_labels(ratings: Sequence[float]) -> list[str]:
    return labels_for(np.asarray(ratings, dtype=np.float64))


def score_against(ratings: Sequence[float], scores: np.ndarray) -> Scores:
    """Weighted precision, recall and F1 of the labels the scores give, against the ratings' gold labels."""
    gold = gold_labels(ratings)
    predicted = labels_for(scores)
    precision, recall, f1, _ = precision_recall_fscore_support(
        gold, predicted, average="weighted", zero_division=0
    )
    values = np.asarray(ratings, dtype=np.float64)
    correlation = float(np.corrcoef(values, scores)[0, 1]) if np.std(scores) > 0 else 0.0
    return Scores(
        precision=float(precision), recall=float(recall), f1=float(f1), correlation=correlation, n=len(gold)
    )


def vader_scores_of(corpus: RatedCorpus) -> Scores:
    compound = vader_features(corpus.texts)[:, 3].astype(np.float64)
    return score_against(corpus.ratings, compound)


def cross_corpus(
    corpora: Sequence[RatedCorpus],
    *,
    seed: int,
    settings: FeatureSettings = DEFAULT_SETTINGS,
    c: float = DEFAULT_C,
    progress: Callable[[str], None] | None = None,
) -> list[CrossCorpusRow]:
    """For each corpus: VADER on it, and a model trained on all the other corpora tested on it."""
    rows = []
    for held_out in corpora:
        others = [corpus for corpus in corpora if corpus is not held_out]
        if progress:
            progress(held_out.name)
        texts = [text for corpus in others for text in corpus.texts]
        labels = gold_labels([rating for corpus in others for rating in corpus.ratings])
        model = train_sentiment_model(texts, labels, seed=seed, settings=settings, c=c)
        rows.append(
            CrossCorpusRow(
                corpus=held_out.name,
                trained_on=tuple(corpus.name for corpus in others),
                published_vader_f1=PUBLISHED_VADER_F1.get(held_out.name),
                vader=vader_scores_of(held_out),
                model=score_against(held_out.ratings, model_scores(model, held_out.texts)),
            )
        )
    return rows


def evaluate_intent(model: LinearTextModel, test: TaggedCorpus, *, latency_sample: int = 500) -> IntentResult:
    """Accuracy (and top-3) on the whole test split; latency over single-message calls on a sample."""
    predicted = predict_intents(model, test.texts)
    accuracy = float(np.mean([p == g for p, g in zip(predicted, test.tags, strict=True)]))
    top3 = suggest_tags(test.texts, k=3, model=model)
    top3_accuracy = float(
        np.mean([gold in {s.tag for s in row} for row, gold in zip(top3, test.tags, strict=True)])
    )
    timings = []
    for text in test.texts[:latency_sample]:
        started = time.perf_counter()
        suggest_tags([text], k=3, model=model)
        timings.append(time.perf_counter() - started)
    return IntentResult(
        accuracy=accuracy,
        top3_accuracy=top3_accuracy,
        n=len(test.texts),
        p50_ms=float(np.percentile(timings, 50) * 1000),
        p95_ms=float(np.percentile(timings, 95) * 1000),
    )


def detection_scores(signals: Sequence[DefectionSignal], gold: Sequence[bool]) -> DetectionResult:
    flagged = np.array([signal.flagged for signal in signals], dtype=bool)
    truth = np.array(gold, dtype=bool)
    tp = int((flagged & truth).sum())
    fp = int((flagged & ~truth).sum())
    fn = int((~flagged & truth).sum())
    return DetectionResult(
        precision=tp / (tp + fp) if tp + fp else 0.0,
        recall=tp / (tp + fn) if tp + fn else 0.0,
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
        n=len(truth),
    )


def throughput(score: Callable[[Sequence[str]], object], texts: Sequence[str], *, batch: int = 256) -> float:
    """Messages a second when ``score`` is called on batches of ``batch`` texts."""
    started = time.perf_counter()
    for offset in range(0, len(texts), batch):
        score(texts[offset : offset + batch])
    return len(texts) / (time.perf_counter() - started)
