"""Steps other apps add to a customer merge, so each moves its own rows (commerce: orders...).

Apps register their step in AppConfig.ready(); merge_customers calls every step explicitly inside
its transaction, so a failing step rolls the whole merge back.
"""

from __future__ import annotations

from collections.abc import Callable

from rapport.customers.models import Customer

MergeStep = Callable[[Customer, Customer], dict[str, int]]

_steps: dict[str, MergeStep] = {}


def register_merge_step(name: str, step: MergeStep) -> None:
    _steps[name] = step


def merge_steps() -> dict[str, MergeStep]:
    return dict(_steps)
