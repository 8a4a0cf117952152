"""The reply the composer offers: what was done, plainly, in the customer's language when we have it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rapport.commerce.models import Order
from rapport.recovery.models import RecoveryAction
from rapport.recovery.replies import LANGUAGES, SENTENCES, reply_language, suggested_reply


def _action(kind: str, **fields: object) -> RecoveryAction:
    action = RecoveryAction(kind=kind, reason="carrier", amount=Decimal("12.5"), currency="EUR", **fields)
    if kind not in ("free_shipping", "goodwill_credit"):
        action.order = Order(pk=1, number="R-2001")
    return action


def test_a_replacement_without_a_shipping_charge_reads_plainly() -> None:
    assert suggested_reply(_action("replacement", waive_shipping=True), "en") == (
        "We've sent a replacement for order R-2001; there is no charge for shipping."
    )


def test_an_expedited_replacement_in_german() -> None:
    assert suggested_reply(_action("replacement", waive_shipping=True, expedited=True), "de-AT") == (
        "Wir haben Ihnen einen Ersatz für Bestellung R-2001 geschickt per Expressversand; "
        "der Versand ist für Sie kostenlos."
    )


@pytest.mark.parametrize(
    ("kind", "language", "text"),
    [
        (
            "refund",
            "fr",
            "Nous vous avons remboursé €12.50 pour la commande R-2001 sur votre moyen de paiement "
            "d'origine ; cela peut prendre 3 à 5 jours ouvrés.",
        ),
        ("free_shipping", "nl", "Je volgende bestelling versturen we gratis."),
        ("goodwill_credit", "es", "Hemos añadido un crédito de €12.50 a tu cuenta para tu próximo pedido."),
        (
            "return_label",
            "en",
            "We've sent you a prepaid return label for order R-2001; there is nothing to pay for the return.",
        ),
    ],
)
def test_each_kind_has_its_sentence(kind: str, language: str, text: str) -> None:
    assert suggested_reply(_action(kind), language) == text


def test_a_coupon_gives_its_code() -> None:
    assert suggested_reply(_action("goodwill_credit", coupon_code="SORRY10"), "en") == (
        "Here is a coupon worth €12.50 for your next order: SORRY10"
    )


@pytest.mark.parametrize(("language", "used"), [("pt-BR", "en"), ("", "en"), ("NL", "nl"), ("es_MX", "es")])
def test_languages_without_a_translation_fall_back_to_english(language: str, used: str) -> None:
    assert reply_language(language) == used


def test_every_sentence_exists_in_every_language() -> None:
    assert set(LANGUAGES) >= {"en", "de", "fr", "es", "nl"}
    for kind, sentences in SENTENCES.items():
        assert set(sentences) == set(LANGUAGES), kind
    for kind in ("refund", "replacement", "exchange", "free_shipping", "goodwill_credit", "return_label"):
        for language in LANGUAGES:
            for options in ({}, {"waive_shipping": True, "expedited": True}):
                assert "{" not in suggested_reply(_action(kind, **options), language)
