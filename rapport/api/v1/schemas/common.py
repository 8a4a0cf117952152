"""Types every v1 router shares: ids, text, money, pages and the problem responses to document."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, PlainSerializer, WithJsonSchema

from rapport.api.problems import Problem

# Ids beyond a signed 64-bit integer cannot exist, and SQLite raises OverflowError on them.
MAX_ID = 2**63 - 1
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Deep offsets cost a scan; past this a client should filter instead.
MAX_OFFSET = 1_000_000
CENT = Decimal("0.01")


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refusing it here keeps SQLite and PostgreSQL alike.
    if "\x00" in value:
        raise ValueError("text cannot contain NUL characters")
    return value


def _storable_instant(value: datetime) -> datetime:
    # Databases keep times in UTC: 0001-01-01T00:00+01:00 has no UTC form, and PostgreSQL refuses
    # offsets beyond ±15:59 that ISO 8601 allows, so every instant is converted here.
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the time is out of range once converted to UTC") from exc


def _no_float(value: Any) -> Any:
    # A float has already lost cents (0.1 + 0.2); money travels as a decimal string.
    if isinstance(value, float):
        raise ValueError('send money as a decimal string such as "19.99"')
    return value


def _money_text(value: Decimal) -> str:
    # Always two places: the database may hand back 99 for 99.00 after a SUM.
    return str(value.quantize(CENT))


# The default of a PATCH field: leaving the field out is allowed, sending null is not (the field's
# type has no None). Typed Any so that `name: str = Field(UNSENT)` type-checks.
UNSENT: Any = None

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Text = Annotated[str, AfterValidator(_no_nul)]
Instant = Annotated[AwareDatetime, AfterValidator(_storable_instant)]
Money = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(ge=0, max_digits=12, decimal_places=2),
    PlainSerializer(_money_text, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$", "examples": ["19.99"]}),
]


class PageParams(Schema):
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip")


def problems(*statuses: int) -> dict[int, type[Problem]]:
    """Problem responses to document: 401 and 403 on every operation, plus the ones named."""
    return dict.fromkeys((401, 403, *statuses), Problem)
