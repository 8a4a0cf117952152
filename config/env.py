"""Typed helpers that read configuration from the environment and fail loudly on bad values."""

from __future__ import annotations

import os


class ConfigurationError(ValueError):
    """An environment variable holds a value Rapport cannot use."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be one of true/false/1/0/yes/no, got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_weights(name: str) -> dict[str, float]:
    """ "a=40,b=60": named weights; empty gives {} (the code's defaults). What they name is checked where
    they are used, which knows the names."""
    weights: dict[str, float] = {}
    for item in env_list(name):
        key, sep, raw = item.partition("=")
        try:
            weights[key.strip()] = float(raw)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise ConfigurationError(f"{name} must be name=number pairs separated by commas, got {item!r}")
    return weights
