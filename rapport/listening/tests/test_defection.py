"""Defection: the rules, their guards, the intent model's help, and the labelled phrasings."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from rapport.listening.numerics.defection import INTENT, RULE, detect_defection, match_rules
from rapport.listening.numerics.evaluation import detection_scores
from rapport.listening.numerics.intent import default_intent_model

PHRASINGS = Path(__file__).parent / "fixtures" / "defection_phrasings.csv"
# Measured on the phrasings (rules alone and with the shipped intent model): precision 1.00 and 0.99,
# recall 0.99 for both. The floors leave a margin so that a small change of the rules can be made, but a
# rule that starts flagging ordinary messages, or stops hearing people leave, fails here.
PRECISION_FLOOR = 0.93
RECALL_FLOOR = 0.90


def _phrasings() -> list[dict[str, str]]:
    with PHRASINGS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_phrasing_set_has_at_least_60_of_each_kind() -> None:
    labels = [row["label"] for row in _phrasings()]

    assert labels.count("defection") >= 60
    assert labels.count("ordinary") >= 60


@pytest.mark.parametrize("with_model", [False, True], ids=["rules", "rules+intent"])
def test_phrasings_are_flagged_with_measured_precision_and_recall(with_model: bool) -> None:
    rows = _phrasings()
    model = default_intent_model() if with_model else None

    signals = detect_defection([row["text"] for row in rows], intent_model=model)
    result = detection_scores(signals, [row["label"] == "defection" for row in rows])

    assert result.precision >= PRECISION_FLOOR
    assert result.recall >= RECALL_FLOOR


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Hi. This will be my last order with you.", "This will be my last order"),
        ("Please close my account today", "close my account"),
        ("We're switching to another store next week", "switching to another store"),
        ("I'll take my business elsewhere", "take my business elsewhere"),
    ],
)
def test_a_rule_gives_the_phrase_that_triggered_it(text: str, phrase: str) -> None:
    signal = match_rules(text)

    assert signal.flagged
    assert signal.phrase == phrase
    assert signal.source == RULE
    assert signal.confidence == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "My order is the last thing I need to worry about",
        "My last order hasn't arrived",
        "I don't want to close my account",
        "Why did you close my account?",
        "Can I switch to another size?",
        "How do I unsubscribe from the newsletter?",
        "",
    ],
)
def test_look_alikes_and_negations_are_not_flagged(text: str) -> None:
    assert not match_rules(text).flagged


def test_the_intent_model_flags_what_the_rules_miss() -> None:
    text = "How can I get rid of my account with you?"

    [by_rules] = detect_defection([text])
    [with_model] = detect_defection([text], intent_model=default_intent_model(), threshold=0.3)

    assert not by_rules.flagged
    assert with_model.flagged
    assert with_model.source == INTENT
    assert with_model.phrase == text
    assert 0.3 <= with_model.confidence <= 1.0


def test_the_intent_model_respects_a_negation_at_the_start() -> None:
    [signal] = detect_defection(
        ["I do not want to get rid of my account"], intent_model=default_intent_model(), threshold=0.01
    )

    assert not signal.flagged
