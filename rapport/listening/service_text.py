"""Sentiment on customer-service text: both engines against a small hand-labelled set (tests/fixtures).

The published corpora are tweets, movie reviews and editorials; a desk reads order questions and
complaints, where "neutral" is common. This measures each engine the same way as the corpora (three
classes, support-weighted F1), on ``tests/fixtures/service_sentiment.csv``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import f1_score

from rapport.listening import runtime

FIXTURE = Path(__file__).resolve().parent / "tests" / "fixtures" / "service_sentiment.csv"


@dataclass(frozen=True)
class ServiceTextResult:
    engine: str
    n: int
    f1: float
    accuracy: float


def read_service_texts(path: Path = FIXTURE) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["label"] for row in rows]


def evaluate_service_text(path: Path = FIXTURE) -> list[ServiceTextResult]:
    texts, gold = read_service_texts(path)
    results = []
    for engine in runtime.ENGINES:
        predicted = [s.label for s in runtime.score_sentiments(texts, engine)]
        right = sum(p == g for p, g in zip(predicted, gold, strict=True))
        results.append(
            ServiceTextResult(
                engine=engine,
                n=len(texts),
                f1=round(float(f1_score(gold, predicted, average="weighted", zero_division=0)), 3),
                accuracy=round(right / len(texts), 3),
            )
        )
    return results


def service_text_table(results: list[ServiceTextResult]) -> str:
    lines = ["| engine | messages | weighted F1 | accuracy |", "|---|---|---|---|"]
    lines += [f"| {r.engine} | {r.n} | {r.f1:.3f} | {r.accuracy:.3f} |" for r in results]
    return "\n".join(lines)
