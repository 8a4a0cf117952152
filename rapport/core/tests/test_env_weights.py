"""RAPPORT_HEALTH_WEIGHTS and the like: name=number pairs read from the environment, or a clear error."""

from __future__ import annotations

import pytest

from config.env import ConfigurationError, env_weights


def test_pairs_are_read_and_empty_means_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAPPORT_TEST_WEIGHTS", " buying=50, csat = 7.5 ")
    assert env_weights("RAPPORT_TEST_WEIGHTS") == {"buying": 50.0, "csat": 7.5}
    monkeypatch.setenv("RAPPORT_TEST_WEIGHTS", "")
    assert env_weights("RAPPORT_TEST_WEIGHTS") == {}


@pytest.mark.parametrize("raw", ["buying", "buying=lots", "=40"])
def test_anything_else_is_refused_with_the_variable_named(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("RAPPORT_TEST_WEIGHTS", raw)
    with pytest.raises(ConfigurationError, match="RAPPORT_TEST_WEIGHTS"):
        env_weights("RAPPORT_TEST_WEIGHTS")
