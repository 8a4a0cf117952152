"""Reads remembered for one unit of work, such as a batch of inbound mail written in one transaction.

Settings rows, mailboxes and policies are read for every message; inside a batch they cannot usefully
change (the batch is one transaction, which sees one state of them anyway), so each is read once.
Outside a unit of work nothing is remembered and every call reads afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_MEMO: ContextVar[dict[str, Any] | None] = ContextVar("rapport_memo", default=None)


@contextmanager
def remembered_reads() -> Iterator[None]:
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def remember(key: str, load: Callable[[], T]) -> T:
    """`load()`, read once per unit of work under `key` (every time when no unit is open)."""
    memo = _MEMO.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]


def forget(key: str) -> None:
    """Drop a remembered read (after this unit of work changed what it read)."""
    memo = _MEMO.get()
    if memo is not None:
        memo.pop(key, None)
