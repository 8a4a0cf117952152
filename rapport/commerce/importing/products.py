"""Products from CSV, one row each, found again by external_id or else by SKU; written by upsert_product."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models import Q

from rapport.accounts.permissions import Actor, Perm
from rapport.commerce.importing.base import (
    ImportReport,
    Layout,
    Outcome,
    Progress,
    attempt,
    parsed_batches,
)
from rapport.commerce.importing.cells import CellError, Row, max_length
from rapport.commerce.importing.reading import Record
from rapport.commerce.models import Product
from rapport.commerce.services import upsert_product

LAYOUT = Layout(
    required=("sku", "name", "price"),
    optional=("external_id", "currency", "category", "brand", "is_active"),
)
PERMISSION = Perm.COMMERCE_EDIT
_CURRENCY_RE = re.compile(r"[A-Za-z]{3}")


def currency(row: Row, column: str = "currency") -> str | None:
    value = row.text(column)
    if not value:
        return None
    if not _CURRENCY_RE.fullmatch(value):
        raise CellError(column, f"{value[:40]!r} is not a three-letter ISO 4217 code like EUR")
    return value.upper()


@dataclass(frozen=True)
class ProductRow:
    line: int
    sku: str
    name: str
    price: Decimal
    external_id: str | None
    # None: the file says nothing, so a new product gets the default and an existing one keeps its value.
    currency: str | None
    category: str | None
    brand: str | None
    is_active: bool | None


def parse_row(row: Row) -> ProductRow:
    price = row.amount("price", required=True)
    assert price is not None
    return ProductRow(
        line=row.line,
        sku=row.text("sku", required=True, limit=max_length(Product, "sku")),
        name=row.text("name", required=True, limit=max_length(Product, "name")),
        price=price,
        external_id=row.optional("external_id", limit=max_length(Product, "external_id")),
        currency=currency(row),
        category=row.optional("category", limit=max_length(Product, "category")),
        brand=row.optional("brand", limit=max_length(Product, "brand")),
        is_active=row.boolean("is_active"),
    )


class _Importer:
    def __init__(self, actor: Actor | None, report: ImportReport) -> None:
        self.actor = actor
        self.report = report
        self.by_sku: dict[str, Product] = {}
        self.by_external_id: dict[str, Product] = {}
        self.sku_of: dict[int, str] = {}

    def remember(self, product: Product) -> None:
        previous = self.sku_of.get(product.pk)
        if previous is not None and previous != product.sku:
            # The product's SKU changed: its old one is free now.
            del self.by_sku[previous]
        self.sku_of[product.pk] = product.sku
        self.by_sku[product.sku] = product
        if product.external_id:
            self.by_external_id[product.external_id] = product

    def run_batch(self, batch: list[ProductRow]) -> None:
        with transaction.atomic():
            skus = [parsed.sku for parsed in batch]
            external_ids = [parsed.external_id for parsed in batch if parsed.external_id]
            self.by_sku, self.by_external_id, self.sku_of = {}, {}, {}
            for product in Product.objects.filter(Q(sku__in=skus) | Q(external_id__in=external_ids)):
                self.remember(product)
            for parsed in batch:
                written: list[Product] = []
                ok = attempt(
                    self.report,
                    line=parsed.line,
                    key=parsed.external_id or parsed.sku,
                    work=partial(self.import_one, parsed, written),
                )
                if ok and written:
                    self.remember(written[0])

    def import_one(self, parsed: ProductRow, written: list[Product]) -> Outcome:
        # The same search as upsert_product's, so "unchanged" is decided without writing anything.
        existing = self.by_external_id.get(parsed.external_id) if parsed.external_id else None
        existing = existing or self.by_sku.get(parsed.sku)
        defaults = {"currency": "EUR", "category": "", "brand": "", "is_active": True}
        given = {
            "currency": parsed.currency,
            "category": parsed.category,
            "brand": parsed.brand,
            "is_active": parsed.is_active,
        }
        values: dict[str, object] = {"sku": parsed.sku, "name": parsed.name, "price": parsed.price}
        for name, value in given.items():
            if value is None:
                values[name] = getattr(existing, name) if existing is not None else defaults[name]
            else:
                values[name] = value
        if (
            existing is not None
            and all(getattr(existing, name) == value for name, value in values.items())
            and (parsed.external_id is None or existing.external_id == parsed.external_id)
        ):
            return Outcome.UNCHANGED
        product, created = upsert_product(actor=self.actor, external_id=parsed.external_id, **values)  # type: ignore[arg-type]
        written.append(product)
        return Outcome.CREATED if created else Outcome.UPDATED


def run(
    records: Iterator[Record],
    header: list[str],
    *,
    actor: Actor | None,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    importer = _Importer(actor, report)
    for parsed_rows in parsed_batches(
        records, header, report=report, progress=progress, parse=parse_row, key_columns=("external_id", "sku")
    ):
        importer.run_batch(parsed_rows)
