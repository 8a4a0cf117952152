"""manage.py evaluate_listening [--seed N] [--write-docs]: the listening models against published figures."""

from __future__ import annotations

import csv
import sys
from argparse import ArgumentParser
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

import rapport.listening
from rapport.listening.docs import write_block
from rapport.listening.management.commands.build_listening_models import DEFAULT_SEED
from rapport.listening.numerics.corpora import banking77, vader_corpora
from rapport.listening.numerics.defection import DEFAULT_THRESHOLD, DEFECTION_INTENTS, detect_defection
from rapport.listening.numerics.evaluation import (
    PUBLISHED_BANKING77_ACCURACY,
    CrossCorpusRow,
    DetectionResult,
    IntentResult,
    cross_corpus,
    detection_scores,
    evaluate_intent,
    gold_labels,
)
from rapport.listening.numerics.intent import default_intent_model
from rapport.listening.service_text import evaluate_service_text, service_text_table

PHRASINGS = (
    Path(rapport.listening.__file__).resolve().parent / "tests" / "fixtures" / "defection_phrasings.csv"
)
GOAL_GAIN = 0.05
SENTIMENT_METHOD = (
    "**Sentiment**, measured as Hutto & Gilbert (2014) did: three classes, the gold class is the mean "
    "human rating through VADER's own thresholds (>= 0.05 positive, <= -0.05 negative), precision, "
    "recall and F1 weighted by class support; r is Pearson's correlation of the score with the mean "
    "rating. Cross-corpus: each row's model was trained on the other two corpora only, never on the "
    "one it is tested on (the shipped model is trained on all three). VADER is vaderSentiment 3.3.2 "
    "as run here; the published column is the paper's Table 4."
)
SENTIMENT_READING = (
    "VADER loses recall where it calls a sentence neutral, and on tweets, the text it was built for, it "
    "stays ahead of a model that learnt from movie reviews and editorials."
)
INTENT_METHOD = (
    "**Intent** on BANKING77 (77 intents, its own split: 10,003 training and 3,080 test queries); "
    "latency is one `suggest_tags` call for one message (top 3), single-threaded."
)
DEFECTION_METHOD = (
    "**Defection** (`detect_defection`): rules, then the intent model's {intents} at probability "
    ">= {threshold} for the sentences the rules did not flag. The phrasings (70 ways of leaving, 71 "
    'look-alikes such as "my order is the last thing I need to worry about") were written by the same '
    "hand as the rules, so their figures flatter the rules; BANKING77's were not."
)

SERVICE_TEXT_METHOD = (
    "**Sentiment on service text**: both engines on 90 hand-written, hand-labelled customer-service "
    "messages (30 each negative, neutral, positive; rapport/listening/tests/fixtures/service_sentiment.csv), "
    "three classes, support-weighted F1."
)
SERVICE_TEXT_CHOICE = (
    "The trained model learnt from corpora with almost no neutral texts and never answers neutral, which is "
    'what most service messages are ("Order 5512." comes out negative). VADER is therefore the default '
    "engine for desk messages, survey comments and the API; an admin can switch (Listening → Settings, then "
    "`manage.py score_messages --rescore`). A labelled service corpus is what the trained model needs."
)


def sentiment_table(rows: Sequence[CrossCorpusRow]) -> str:
    lines = [
        "| test corpus | texts | VADER F1, published | VADER here: P / R / F1 (r) "
        "| trained model: P / R / F1 (r) | gain in F1 | trained on | goal (+0.05) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        vader, model = row.vader, row.model
        published = f"{row.published_vader_f1:.2f}" if row.published_vader_f1 is not None else "–"
        goal = "met" if row.gain >= GOAL_GAIN else "not met"
        lines.append(
            f"| {row.corpus} | {vader.n:,} | {published} "
            f"| {vader.precision:.3f} / {vader.recall:.3f} / **{vader.f1:.3f}** ({vader.correlation:.3f}) "
            f"| {model.precision:.3f} / {model.recall:.3f} / **{model.f1:.3f}** ({model.correlation:.3f}) "
            f"| {row.gain:+.3f} | {', '.join(row.trained_on)} | {goal} |"
        )
    return "\n".join(lines)


def intent_table(result: IntentResult) -> str:
    published = f"about {PUBLISHED_BANKING77_ACCURACY:.2f}"
    return "\n".join(
        [
            "| model | accuracy | top-3 accuracy | one message, p50 | p95 |",
            "|---|---|---|---|---|",
            f"| Casanueva et al. 2020, dual sentence encoders (published) | {published} | | | |",
            "| Rapport: hashed n-grams + TF-IDF, logistic regression (shipped model) "
            f"| **{result.accuracy:.3f}** | {result.top3_accuracy:.3f} "
            f"| {result.p50_ms:.2f} ms | {result.p95_ms:.2f} ms |",
        ]
    )


def defection_table(results: Sequence[tuple[str, str, DetectionResult]]) -> str:
    lines = [
        "| set | detector | texts | precision | recall | true / false positives, missed |",
        "|---|---|---|---|---|---|",
    ]
    for name, detector, result in results:
        lines.append(
            f"| {name} | {detector} | {result.n:,} | {result.precision:.3f} | {result.recall:.3f} "
            f"| {result.true_positives} / {result.false_positives}, {result.false_negatives} |"
        )
    return "\n".join(lines)


def read_phrasings(path: Path = PHRASINGS) -> tuple[list[str], list[bool]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["label"] == "defection" for row in rows]


class Command(BaseCommand):
    help = (
        "Evaluate sentiment (Hutto & Gilbert 2014, cross-corpus), intent (BANKING77) and defection "
        "detection; print the tables, and with --write-docs put them in docs/benchmarks.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--write-docs", action="store_true", help="update the Listening section")

    def handle(self, *args: Any, **options: Any) -> None:
        corpora = vader_corpora()
        intent_model = default_intent_model()
        test = banking77("test")
        with tqdm(total=len(corpora) + 2, unit="step", file=sys.stderr, disable=None) as bar:
            started: list[str] = []

            def trained_on(name: str) -> None:
                if started:
                    bar.update()
                started.append(name)
                bar.set_description(f"sentiment: training without {name}")

            rows = cross_corpus(corpora, seed=options["seed"], progress=trained_on)
            bar.update()
            bar.set_description("intent: BANKING77 test split")
            intent_result = evaluate_intent(intent_model, test)
            bar.update()
            bar.set_description("defection")
            phrasings, phrasing_gold = read_phrasings()
            banking_gold = [tag in DEFECTION_INTENTS for tag in test.tags]
            defection = []
            for detector, model in (
                ("rules", None),
                (f"rules + intent model (p >= {DEFAULT_THRESHOLD})", intent_model),
            ):
                defection.append(
                    (
                        "BANKING77 test: terminate_account vs the other 76 intents",
                        detector,
                        detection_scores(detect_defection(test.texts, intent_model=model), banking_gold),
                    )
                )
                defection.append(
                    (
                        "own phrasings (rapport/listening/tests/fixtures)",
                        detector,
                        detection_scores(detect_defection(phrasings, intent_model=model), phrasing_gold),
                    )
                )
            bar.update()
        neutral = {
            corpus.name: gold_labels(corpus.ratings).count("neutral") / len(corpus.ratings)
            for corpus in corpora
        }
        body = self._body(rows, neutral, intent_result, defection, options["seed"])
        # Sentiment on service text (helper A): both engines on the hand-labelled desk messages.
        body += (
            "\n\n"
            + SERVICE_TEXT_METHOD
            + "\n\n"
            + service_text_table(evaluate_service_text())
            + "\n\n"
            + SERVICE_TEXT_CHOICE
        )
        self.stdout.write(body)
        if options["write_docs"]:
            path = write_block("evaluation", body)
            self.stdout.write(self.style.SUCCESS(f"wrote the Listening evaluation in {path}"))

    def _body(
        self,
        rows: Sequence[CrossCorpusRow],
        neutral: dict[str, float],
        intent_result: IntentResult,
        defection: Sequence[tuple[str, str, DetectionResult]],
        seed: int,
    ) -> str:
        missed = [row.corpus for row in rows if row.gain < GOAL_GAIN]
        verdict = (
            "The trained model beats VADER by at least 0.05 F1 on every corpus it did not train on."
            if not missed
            else "The goal (+0.05 F1 over VADER on each unseen corpus) is **not met** on: "
            + ", ".join(missed)
            + "."
        )
        neutral_shares = ", ".join(f"{share:.1%} of {name}" for name, share in neutral.items())
        today = datetime.now(UTC).date().isoformat()
        heading = f"### Model quality (`evaluate_listening`, seed {seed}, {today})"
        return "\n".join(
            [
                heading,
                "",
                SENTIMENT_METHOD,
                "",
                sentiment_table(rows),
                "",
                f"{verdict} The gold classes are almost all positive or negative "
                f"(neutral: {neutral_shares}): {SENTIMENT_READING}",
                "",
                INTENT_METHOD,
                "",
                intent_table(intent_result),
                "",
                DEFECTION_METHOD.format(intents=", ".join(DEFECTION_INTENTS), threshold=DEFAULT_THRESHOLD),
                "",
                defection_table(defection),
            ]
        )
