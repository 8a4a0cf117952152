"""What every import shares: the column layout, the report, batching and one savepoint per record."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from django.db import DataError, IntegrityError, transaction

from rapport.commerce.importing.cells import CellError, Row
from rapport.commerce.importing.reading import HeaderInvalid, Record
from rapport.core.errors import RapportError, ValidationFailed

# Records written per transaction: few enough that SQLite's write lock is held only briefly,
# many enough that a commit is not paid per record.
BATCH_SIZE = 500

Progress = Callable[[int], None]


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Layout:
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did: counts of records (customers, products or orders) and every failed line."""

    kind: str
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The external ids of records that were rejected, so a caller can tell which ones.
    failed_keys: set[str] = field(default_factory=set)

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    def fail(self, errors: Iterable[RowError], *, key: str = "") -> None:
        self.failed += 1
        self.errors.extend(errors)
        if key:
            self.failed_keys.add(key)

    @property
    def summary(self) -> str:
        return (
            f"{self.kind}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.failed} failed"
        )


class RecordRejected(ValidationFailed):
    """A record cannot be imported, for reasons found on one or more of its lines."""

    code = "import_record_rejected"

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.line_errors = errors


def check_header(header: list[str], layout: Layout, report: ImportReport) -> None:
    missing = [name for name in layout.required if name not in header]
    if missing:
        hint = ""
        if len(header) == 1 and ";" in header[0]:
            hint = " (the file seems to separate columns with ';': Rapport reads comma-separated files)"
        raise HeaderInvalid(
            f"line 1: the header lacks required column(s) {', '.join(missing)}{hint}; "
            f"the {report.kind} file needs {', '.join(layout.required)} "
            f"and may have {', '.join(layout.optional)}"
        )
    unknown = [name for name in header if name not in layout.columns]
    if unknown:
        report.warnings.append(f"ignored unknown column(s): {', '.join(unknown)}")


def to_row(record: Record, header: list[str]) -> Row:
    """The record as a Row, or RowError's reason as ValueError when it cannot be one."""
    if record.error:
        raise ValueError(record.error)
    if len(record.fields) != len(header):
        raise ValueError(f"expected {len(header)} fields, found {len(record.fields)}")
    return Row(record.line, header, record.fields)


def with_progress(records: Iterator[Record], progress: Progress | None) -> Iterator[Record]:
    previous = 1
    for record in records:
        if progress is not None:
            progress(record.line - previous)
            previous = record.line
        yield record


def batches(rows: Iterable[Row], size: int = BATCH_SIZE) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def rows_of(records: Iterable[Record], header: list[str], report: ImportReport) -> Iterator[Row]:
    """The usable rows; unreadable ones are reported failed on the way."""
    for record in records:
        try:
            yield to_row(record, header)
        except ValueError as exc:
            report.fail([RowError(record.line, str(exc))])


Parsed = TypeVar("Parsed")


def parsed_batches(
    records: Iterator[Record],
    header: list[str],
    *,
    report: ImportReport,
    progress: Progress | None,
    parse: Callable[[Row], Parsed],
    key_columns: tuple[str, ...],
) -> Iterator[list[Parsed]]:
    """Rows parsed a batch at a time; a row that does not parse is reported under its record's key
    (the first of key_columns it fills), so the rest of the file still imports."""
    for batch in batches(rows_of(with_progress(records, progress), header, report)):
        parsed: list[Parsed] = []
        for row in batch:
            try:
                parsed.append(parse(row))
            except CellError as exc:
                key = next(
                    (value for column in key_columns if (value := row.cells.get(column, "").strip())), ""
                )
                report.fail([RowError(row.line, exc.detail)], key=key)
        yield parsed


def attempt(report: ImportReport, *, line: int, key: str, work: Callable[[], Outcome]) -> bool:
    """Run one record's writes in a savepoint: all of them happen, or none and the line is reported."""
    try:
        with transaction.atomic():
            outcome = work()
    except RecordRejected as exc:
        report.fail(exc.line_errors, key=key)
        return False
    except RapportError as exc:
        report.fail([RowError(line, exc.detail)], key=key)
        return False
    except (IntegrityError, DataError) as exc:
        # A constraint the checks above did not foresee, or a concurrent writer won a race.
        report.fail([RowError(line, f"the database refused it: {exc}")], key=key)
        return False
    report.count(outcome)
    return True
