"""The service-text evaluation reads the labelled fixture and measures both engines the same way."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rapport.listening.service_text import evaluate_service_text, read_service_texts, service_text_table


def test_fixture_holds_thirty_messages_of_each_class() -> None:
    texts, labels = read_service_texts()

    assert Counter(labels) == {"negative": 30, "neutral": 30, "positive": 30}
    assert len(set(texts)) == 90


def test_both_engines_are_measured_on_every_message(tmp_path: Path) -> None:
    sample = tmp_path / "sample.csv"
    sample.write_text(
        'label,text\npositive,"Thank you, wonderful!"\nnegative,"This is awful."\n', encoding="utf-8"
    )

    results = evaluate_service_text(sample)

    assert [(r.engine, r.n) for r in results] == [("trained", 2), ("vader", 2)]
    assert all(0 <= r.f1 <= 1 for r in results)
    assert "| vader | 2 |" in service_text_table(results)
