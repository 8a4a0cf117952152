"""CSV import of customers, products and orders through the services (layout: docs/import.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

from django.db import transaction

from rapport.accounts.permissions import Actor, Perm
from rapport.commerce.importing import customers, orders, products
from rapport.commerce.importing.base import ImportReport, Layout, Outcome, Progress, RowError, check_header
from rapport.commerce.importing.reading import HeaderInvalid, Record, count_lines, read_header, read_records
from rapport.core.errors import ValidationFailed

KINDS = ("customers", "products", "orders")
LAYOUTS: dict[str, Layout] = {
    "customers": customers.LAYOUT,
    "products": products.LAYOUT,
    "orders": orders.LAYOUT,
}
_PERMISSIONS: dict[str, Perm] = {
    "customers": customers.PERMISSION,
    "products": products.PERMISSION,
    "orders": orders.PERMISSION,
}

__all__ = [
    "KINDS",
    "LAYOUTS",
    "HeaderInvalid",
    "ImportReport",
    "Outcome",
    "RowError",
    "count_lines",
    "import_csv",
]


def import_csv(
    kind: str,
    path: str | Path,
    *,
    actor: Actor | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one file. actor None is the system (an operator's command); a dry run writes nothing.

    Raises HeaderInvalid, before writing anything, when the file has no usable header; every other
    problem is a line in the report and the rest of the file is still imported.
    """
    if kind not in KINDS:
        raise ValidationFailed(
            f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}", code="invalid_kind"
        )
    if actor is not None:
        actor.require(Perm.COMMERCE_IMPORT)
        actor.require(_PERMISSIONS[kind])
    report = ImportReport(kind=kind, dry_run=dry_run)
    with open(path, "rb") as stream:
        records = read_records(stream)
        header = read_header(records)
        check_header(header, LAYOUTS[kind], report)

        def reopen() -> Iterator[Record]:
            stream.seek(0)
            again = read_records(stream)
            next(again)
            return again

        # A dry run does everything inside one transaction and rolls it back, so it reports exactly
        # what a real run would, a record seen twice in the file included.
        with transaction.atomic() if dry_run else nullcontext():
            if kind == "orders":
                orders.run(reopen, header, actor=actor, report=report, progress=progress)
            elif kind == "customers":
                customers.run(records, header, actor=actor, report=report, progress=progress)
            else:
                products.run(records, header, actor=actor, report=report, progress=progress)
            if dry_run:
                transaction.set_rollback(True)
    report.errors.sort(key=lambda error: error.line)
    return report
