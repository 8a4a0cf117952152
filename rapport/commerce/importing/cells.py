"""Reading one row's cells into typed values, with errors that name the column at fault."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from django.db import models

from rapport.core.errors import ValidationFailed

# Ten digits before the point: the DecimalField(max_digits=12, decimal_places=2) the amounts go into.
_AMOUNT_RE = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")
_QUANTITY_RE = re.compile(r"[0-9]{1,6}")
MAX_AMOUNT = Decimal("9999999999.99")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
LIST_SEPARATOR = ";"


class CellError(ValidationFailed):
    """One cell cannot be read; the message starts with the column's name."""

    code = "invalid_cell"

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column


def max_length(model: type[models.Model], field: str) -> int:
    model_field = model._meta.get_field(field)
    assert isinstance(model_field, models.Field)
    length = model_field.max_length
    assert length is not None
    return length


class Row:
    """The cells of one CSV record by column name; a column the file lacks reads as empty."""

    __slots__ = ("cells", "line")

    def __init__(self, line: int, header: list[str], fields: list[str]) -> None:
        self.line = line
        self.cells = dict(zip(header, fields, strict=True))

    def text(self, column: str, *, limit: int | None = None, required: bool = False) -> str:
        value = self.cells.get(column, "").strip()
        if "\x00" in value:
            # PostgreSQL cannot store NUL in text; no real value contains one.
            raise CellError(column, "contains a NUL character")
        if required and not value:
            raise CellError(column, "is required")
        if limit is not None and len(value) > limit:
            raise CellError(column, f"is longer than {limit} characters")
        return value

    def optional(self, column: str, *, limit: int | None = None) -> str | None:
        """The cell's text, or None when it is empty or the column is absent: 'leave as it is'."""
        return self.text(column, limit=limit) or None

    def amount(self, column: str, *, required: bool = False) -> Decimal | None:
        value = self.text(column, required=required)
        if not value:
            return None
        if not _AMOUNT_RE.fullmatch(value):
            raise CellError(
                column, f"{value[:40]!r} is not an amount like 19.99 (digits, a dot, at most two decimals)"
            )
        return Decimal(value).quantize(Decimal("0.01"))

    def quantity(self, column: str) -> int:
        value = self.text(column, required=True)
        if not _QUANTITY_RE.fullmatch(value) or int(value) < 1:
            raise CellError(column, f"{value[:40]!r} is not a whole number from 1 to 999999")
        return int(value)

    def timestamp(self, column: str, *, required: bool = False) -> datetime | None:
        value = self.text(column, required=required)
        if not value:
            return None
        return parse_timestamp(column, value)

    def boolean(self, column: str) -> bool | None:
        value = self.text(column).lower()
        if not value:
            return None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise CellError(column, f"{value[:40]!r} is not true or false (also yes/no, 1/0)")

    def choice(self, column: str, choices: list[str]) -> str | None:
        value = self.text(column).lower().replace(" ", "_").replace("-", "_")
        if not value:
            return None
        if value not in choices:
            raise CellError(column, f"{value[:40]!r} is not one of {', '.join(choices)}")
        return value

    def items(self, column: str) -> list[str]:
        """A list written in one cell, separated by semicolons: "vip; newsletter"."""
        return [item.strip() for item in self.text(column).split(LIST_SEPARATOR) if item.strip()]


def parse_timestamp(column: str, value: str) -> datetime:
    """An ISO 8601 date and time with its UTC offset, returned in UTC."""
    problem = f"{value[:40]!r} is not an ISO 8601 date and time with offset, like 2024-05-01T14:30:00+02:00"
    if not value.isascii():
        raise CellError(column, problem)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CellError(column, problem) from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise CellError(column, f"{value[:40]!r} needs a UTC offset, like +02:00 or Z")
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        raise CellError(column, f"{value[:40]!r} is out of range") from exc
