"""Whether urgent work is waiting, so that background work can step aside for it.

A customer's message not yet in the inbox is urgent; scoring messages for sentiment is not. On a small
machine both compete for the same cores, so background tasks ask here first and leave the cores to the
urgent work while it waits (what they skip is queued again by the work that follows it).
"""

from __future__ import annotations

from collections.abc import Callable

_CHECKS: list[Callable[[], bool]] = []


def register_urgent_work(check: Callable[[], bool]) -> None:
    """`check()` says whether urgent work of one kind is waiting; it must be cheap (one indexed query)."""
    if check not in _CHECKS:
        _CHECKS.append(check)


def urgent_work_waiting() -> bool:
    return any(check() for check in _CHECKS)
