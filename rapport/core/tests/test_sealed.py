"""Sealed secrets: what is sealed opens again with the same keys, and with nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.core.sealed import PREFIX, SealBroken, seal, unseal


@given(st.text(max_size=300))
def test_anything_sealed_opens_to_what_it_was(plain: str) -> None:
    sealed = seal(plain)

    assert sealed.startswith(PREFIX)
    assert unseal(sealed) == plain


def test_the_sealed_form_does_not_show_the_secret_and_differs_each_time() -> None:
    first, second = seal("hunter2-secret"), seal("hunter2-secret")

    assert "hunter2" not in first
    assert first != second


def test_without_sealing_keys_the_secret_key_seals(settings: Any) -> None:
    settings.RAPPORT_SEALING_KEYS = []
    sealed = seal("pässwörd")

    settings.SECRET_KEY = "another secret key entirely, of fifty characters or more"
    with pytest.raises(SealBroken):
        unseal(sealed)


def test_a_new_key_in_front_seals_while_the_old_one_still_opens(settings: Any) -> None:
    settings.RAPPORT_SEALING_KEYS = ["old key"]
    before = seal("kept across the change")

    settings.RAPPORT_SEALING_KEYS = ["new key", "old key"]
    after = seal("sealed after the change")

    assert unseal(before) == "kept across the change"
    settings.RAPPORT_SEALING_KEYS = ["new key"]
    assert unseal(after) == "sealed after the change"
    with pytest.raises(SealBroken):
        unseal(before)


@pytest.mark.parametrize(
    "stored",
    ["typed in plain", PREFIX + "not a token", PREFIX, "", "sealed:v2:" + seal("x").removeprefix(PREFIX)],
)
def test_what_was_not_sealed_here_does_not_open(stored: str) -> None:
    with pytest.raises(SealBroken):
        unseal(stored)


def test_a_changed_sealed_value_does_not_open() -> None:
    sealed = seal("secret")
    body = sealed.removeprefix(PREFIX)
    tampered = PREFIX + body[:-6] + ("A" if body[-6] != "A" else "B") + body[-5:]

    with pytest.raises(SealBroken):
        unseal(tampered)
