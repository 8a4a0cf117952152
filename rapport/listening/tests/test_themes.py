"""Themes: topics found deterministically, with their terms, examples and trend."""

from __future__ import annotations

import pytest

from rapport.listening.numerics.themes import FALLING, RISING, STEADY, find_themes, trend_between

DELIVERY = [
    "my parcel is late and the courier never came",
    "the courier left my parcel at the wrong house",
    "parcel delivery is late again, courier did not knock",
    "where is my parcel, the courier tracking has not moved",
]
REFUND = [
    "I still have not received my refund for the returned shoes",
    "refund for the return is missing from my card",
    "how long does a refund take after the return arrives",
    "the return was accepted but no refund yet",
]
SIZING = [
    "the jumper size runs small, need a bigger size",
    "what size should I order, the size chart is confusing",
    "size medium was too small, exchange for large size",
]


def _messages() -> tuple[list[str], list[int]]:
    # Delivery complaints only in the later period, refunds mostly in the earlier one, sizing in both.
    messages = REFUND * 3 + SIZING * 2 + DELIVERY * 3 + REFUND + SIZING * 2
    periods = [0] * (12 + 6) + [1] * (12 + 4 + 6)
    return messages, periods


def _top_terms(theme: object) -> set[str]:
    return {term for term, _ in theme.terms[:4]}  # type: ignore[attr-defined]


def test_themes_are_found_with_terms_and_typical_messages() -> None:
    messages, _ = _messages()

    themes = find_themes(messages, k=3, seed=1)

    assert len(themes) == 3
    tops = [_top_terms(theme) for theme in themes]
    assert any("parcel" in top or "courier" in top for top in tops)
    assert any("refund" in top or "return" in top for top in tops)
    assert any("size" in top for top in tops)
    for theme in themes:
        assert len(theme.examples) == 3
        assert all(0 <= i < len(messages) for i in theme.examples)
    assert sum(theme.share for theme in themes) == pytest.approx(1.0)


def test_same_messages_and_seed_give_the_same_themes() -> None:
    messages, periods = _messages()

    assert find_themes(messages, k=3, seed=4, periods=periods) == find_themes(
        messages, k=3, seed=4, periods=periods
    )


def test_trend_compares_the_two_periods() -> None:
    messages, periods = _messages()

    themes = find_themes(messages, k=3, seed=1, periods=periods)

    by_word = {}
    for theme in themes:
        top = _top_terms(theme)
        key = (
            "delivery" if {"parcel", "courier"} & top else "refund" if {"refund", "return"} & top else "size"
        )
        by_word[key] = theme
    assert by_word["delivery"].trend == RISING
    assert (by_word["delivery"].earlier, by_word["delivery"].later) == (0, 12)
    assert by_word["refund"].trend == FALLING
    assert by_word["size"].trend == STEADY


@pytest.mark.parametrize(
    ("counts", "trend"),
    [
        ((10, 100, 40, 100), RISING),
        ((40, 100, 10, 100), FALLING),
        ((10, 100, 12, 100), STEADY),
        ((0, 0, 5, 9), STEADY),
    ],
)
def test_trend_between_uses_a_two_proportion_test(counts: tuple[int, int, int, int], trend: str) -> None:
    assert trend_between(*counts)[0] == trend


def test_no_messages_or_only_stop_words_give_no_themes() -> None:
    assert find_themes([]) == []
    assert find_themes(["the and of", "a an the"]) == []


def test_contractions_do_not_leave_word_stubs_as_terms() -> None:
    messages = ["My parcel hasn't arrived and I don't know why"] * 5 + ["The refund isn't on my card yet"] * 5

    themes = find_themes(messages, k=2, seed=1)

    terms = {term for theme in themes for term, _ in theme.terms}
    assert "parcel" in terms
    assert not terms & {"hasn", "don", "isn"}
