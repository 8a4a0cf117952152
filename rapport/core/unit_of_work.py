"""Append-only rows written together at the end of a unit of work, such as a batch of inbound mail.

Every customer message writes a handful of small history rows besides the message itself: an event on
the conversation, a row on the customer's timeline, an audit entry for a new customer. Inserted one by
one they cost a query apiece, more than the message itself. Inside a unit of work they are kept and
written with one bulk insert per table when the unit ends, still inside the caller's transaction, so
they commit or roll back with the change they describe. Outside a unit each row is inserted at once.

The rules for a unit's code:

- Only append-only rows go through `append_row`: rows nobody reads back or changes within the unit.
- A row's `after_insert` hook runs once the row has its id (timeline listeners need it), in the order
  the rows were appended, after the whole unit's writes; rows the hooks append are written in turn.
- Code that catches an exception from a transaction block inside a unit uses `savepoint()` rather than
  `transaction.atomic()`: the rows appended inside the block are dropped with its writes. A plain
  atomic block that is rolled back and caught would leave rows describing changes that never happened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models, transaction

M = TypeVar("M", bound=models.Model)
AfterInsert = Callable[[Any], None]


@dataclass
class _Pending:
    rows: list[tuple[models.Model, AfterInsert | None]] = field(default_factory=list)

    def flush(self) -> None:
        while self.rows:
            batch, self.rows = self.rows, []
            by_model: dict[type[models.Model], list[models.Model]] = {}
            for row, _ in batch:
                by_model.setdefault(type(row), []).append(row)
            for model, rows in by_model.items():
                # SQLite (3.35+) and PostgreSQL return the new ids, which the hooks need.
                model._default_manager.bulk_create(rows)
            for row, after_insert in batch:
                if after_insert is not None:
                    after_insert(row)


_PENDING: ContextVar[_Pending | None] = ContextVar("rapport_unit_of_work", default=None)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Defer append-only rows to the end of the block; open it inside the transaction it belongs to."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a unit of work must run inside a transaction")
    pending = _Pending()
    token = _PENDING.set(pending)
    try:
        yield
        pending.flush()
    finally:
        _PENDING.reset(token)


def append_row(row: M, *, after_insert: Callable[[M], None] | None = None) -> M:
    """Insert `row` now, or at the end of the open unit of work; `after_insert` runs once it has an id."""
    pending = _PENDING.get()
    if pending is None:
        row.save(force_insert=True)
        if after_insert is not None:
            after_insert(row)
    else:
        pending.rows.append((row, after_insert))
    return row


@contextmanager
def savepoint() -> Iterator[None]:
    """`transaction.atomic()` whose rollback also drops the rows appended inside it."""
    pending = _PENDING.get()
    mark = len(pending.rows) if pending is not None else 0
    try:
        with transaction.atomic():
            yield
    except BaseException:
        if pending is not None:
            del pending.rows[mark:]
        raise
