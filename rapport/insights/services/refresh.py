"""What the insights refreshes share: how they report progress and how they round money."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

CENT = Decimal("0.01")

# (stage, done, total): the command draws a bar per stage; tasks pass nothing.
Progress = Callable[[str, int, int], None]


def silent(stage: str, done: int, total: int) -> None:
    return None


def money(value: float) -> Decimal:
    """A float amount from the models, to the cent, for a DecimalField."""
    return Decimal(str(round(float(value), 2))).quantize(CENT)
