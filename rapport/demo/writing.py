"""Fast inserts for generated rows: explicit ids, values converted once, executemany.

bulk_create spends most of its time preparing each value of each object; generated rows are plain
tuples of values already in their final form, so only what the backend cannot take as it is
(datetimes on SQLite, JSON) is converted, and a caller that reuses one moment in several rows can
convert it once with db_datetime().
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max

BATCH_SIZE = 5000

Converter = Callable[[Any], Any]


def _sqlite_datetime(value: datetime | str | None) -> str | None:
    # What Django's SQLite backend stores: naive UTC in str() form (isoformat drops zero microseconds
    # the same way). A str is a value converted already.
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ")[:-6]


def _same(value: Any) -> Any:
    return value


def db_datetime() -> Converter:
    """The conversion a datetime needs before it goes into a Table row on this database."""
    return _sqlite_datetime if connection.vendor == "sqlite" else _same


def _converter(field: models.Field[Any, Any]) -> Converter | None:
    if connection.vendor == "sqlite":
        if isinstance(field, models.DateTimeField):
            return _sqlite_datetime
        if isinstance(field, models.JSONField):
            return json.dumps
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


class Table:
    """Rows for one table, given as tuples in the order of `columns` (field names, id first)."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        fields: list[models.Field[Any, Any]] = []
        for name in columns:
            field = model._meta.get_field(name)
            assert isinstance(field, models.Field)
            fields.append(field)
        self.converters = [
            (index, convert) for index, field in enumerate(fields) if (convert := _converter(field))
        ]
        quoted = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        table = connection.ops.quote_name(model._meta.db_table)
        # Names come from the models, never from input; values go as parameters.
        self.sql = f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})"  # noqa: S608
        self.model = model
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        self.next_id = next_id(model)

    def take_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)

    def flush(self) -> None:
        if not self.rows:
            return
        rows = self.rows
        if self.converters:
            converted = []
            for row in rows:
                values = list(row)
                for index, convert in self.converters:
                    values[index] = convert(values[index])
                converted.append(values)
            rows = converted  # type: ignore[assignment]
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, rows)
        self.written += len(rows)
        self.rows = []


class Loader:
    """Tables written together, parents first, so that no row is ever written before the row it
    points to: SQLite checks a deferred foreign key by searching the child table for every parent
    row inserted while a violation is pending, which without an index means a full scan each time."""

    def __init__(self, *tables: Table) -> None:
        self.tables = tables

    def tick(self) -> None:
        if any(len(table.rows) >= BATCH_SIZE for table in self.tables):
            self.flush()

    def flush(self) -> None:
        for table in self.tables:
            table.flush()


def reset_sequences(models_: Sequence[type[models.Model]]) -> None:
    """After explicit ids, PostgreSQL's sequences must move past them (SQLite's AUTOINCREMENT does)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


@contextmanager
def plain_indexes_deferred(models_: Sequence[type[models.Model]]) -> Iterator[None]:
    """On SQLite, drop these tables' non-unique indexes while rows pour in, and rebuild them after.

    Random keys (a customer id per event) make every insert touch a different index page; rebuilding
    sorts once instead. Unique indexes stay, so integrity is checked as rows arrive. This runs in the
    caller's transaction: if loading fails, the rollback brings the indexes back with the schema.
    """
    if connection.vendor != "sqlite":
        yield
        return
    tables = [model._meta.db_table for model in models_]
    with connection.cursor() as cursor:
        # Only placeholders are formatted in; the table names go as parameters.
        placeholders = ", ".join(["%s"] * len(tables))
        query = f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({placeholders})"  # noqa: S608
        cursor.execute(query, tables)
        plain = [
            (name, sql)
            for name, sql in cursor.fetchall()
            if sql and not sql.upper().startswith("CREATE UNIQUE")
        ]
        for name, _ in plain:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for _, sql in plain:
            cursor.execute(sql)
