"""Orders from CSV, one row per order line, grouped by order_external_id; written by upsert_order.

Shipments ride on the same rows (optional columns): each distinct shipment_external_id, or else
(carrier, tracking_number), among an order's rows is one shipment, written by upsert_shipment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import TypeVar

from django.db import transaction

from rapport.accounts.permissions import Actor, Perm
from rapport.commerce.importing.base import (
    BATCH_SIZE,
    ImportReport,
    Layout,
    Outcome,
    Progress,
    RecordRejected,
    RowError,
    attempt,
    to_row,
    with_progress,
)
from rapport.commerce.importing.cells import MAX_AMOUNT, CellError, Row, max_length
from rapport.commerce.importing.products import currency
from rapport.commerce.importing.reading import Record
from rapport.commerce.models import Order, OrderStatus, Product, Shipment, ShipmentStatus
from rapport.commerce.services import LineInput, live_customer, upsert_order, upsert_shipment
from rapport.customers.models import Customer

LAYOUT = Layout(
    required=("order_external_id", "customer_external_id", "placed_at", "sku", "quantity"),
    optional=(
        "order_number",
        "status",
        "currency",
        "shipping_total",
        "unit_price",
        "item_name",
        "carrier",
        "tracking_number",
        "shipment_status",
        "shipped_at",
        "delivered_at",
        "signed_for_name",
        "shipment_external_id",
    ),
)
PERMISSION = Perm.COMMERCE_EDIT
KEY_COLUMN = "order_external_id"
SHIPMENT_COLUMNS = (
    "carrier",
    "tracking_number",
    "shipment_status",
    "shipped_at",
    "delivered_at",
    "signed_for_name",
    "shipment_external_id",
)
# Keeps each IN (...) list well under SQLite's limit on query parameters.
LOOKUP_CHUNK = 900


def _shown(value: object) -> str:
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return repr(text[:40])


class _Agreed:
    """Values that several rows may repeat but must not contradict, with the line that gave each."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[object, int]] = {}

    def take(self, column: str, value: object, line: int) -> None:
        if value is None or value == "":
            return
        previous = self.values.get(column)
        if previous is None:
            self.values[column] = (value, line)
        elif previous[0] != value:
            raise CellError(
                column, f"{_shown(value)} differs from {_shown(previous[0])} on line {previous[1]}"
            )

    def get(self, column: str) -> object:
        found = self.values.get(column)
        return found[0] if found else None

    def line(self, column: str) -> int:
        return self.values[column][1]


@dataclass(frozen=True)
class LinePlan:
    line: int
    sku: str
    quantity: int
    unit_price: Decimal | None
    item_name: str


@dataclass(frozen=True)
class ShipmentPlan:
    external_id: str | None
    carrier: str
    tracking_number: str
    # None: not given, so a new shipment gets the default and an existing one keeps its value.
    status: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    signed_for_name: str


@dataclass
class OrderPlan:
    key: str
    first_line: int
    customer_external_id: str
    customer_line: int
    placed_at: datetime
    number: str | None
    status: str | None
    currency: str | None
    shipping_total: Decimal | None
    lines: list[LinePlan]
    shipments: list[ShipmentPlan]


@dataclass
class Group:
    """The rows of one order as they come in; errors are those of rows that could not be read."""

    key: str
    first_line: int
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _shipment_cells(row: Row, shipments: dict[tuple[str, ...], _Agreed]) -> None:
    if not any(row.text(column) for column in SHIPMENT_COLUMNS):
        return
    external_id = row.optional("shipment_external_id", limit=max_length(Shipment, "external_id"))
    carrier = row.text("carrier", limit=max_length(Shipment, "carrier"))
    tracking = row.text("tracking_number", limit=max_length(Shipment, "tracking_number"))
    if not external_id and not tracking:
        # Without either, nothing finds the shipment again and a second import would duplicate it.
        raise CellError(
            "tracking_number", "is required on a row with shipment columns (or shipment_external_id)"
        )
    key = ("id", external_id) if external_id else ("tracking", carrier, tracking)
    agreed = shipments.setdefault(key, _Agreed())
    agreed.take("carrier", carrier, row.line)
    agreed.take("tracking_number", tracking, row.line)
    agreed.take("shipment_status", row.choice("shipment_status", ShipmentStatus.values), row.line)
    agreed.take("shipped_at", row.timestamp("shipped_at"), row.line)
    agreed.take("delivered_at", row.timestamp("delivered_at"), row.line)
    agreed.take(
        "signed_for_name",
        row.text("signed_for_name", limit=max_length(Shipment, "signed_for_name")),
        row.line,
    )


def plan_order(group: Group) -> OrderPlan:
    """Read and cross-check an order's rows; RecordRejected lists every line at fault."""
    errors = list(group.errors)
    order = _Agreed()
    lines: list[LinePlan] = []
    shipments: dict[tuple[str, ...], _Agreed] = {}
    for row in group.rows:
        try:
            order.take(
                "order_number", row.optional("order_number", limit=max_length(Order, "number")), row.line
            )
            order.take(
                "customer_external_id",
                row.optional("customer_external_id", limit=max_length(Customer, "external_id")),
                row.line,
            )
            order.take("placed_at", row.timestamp("placed_at"), row.line)
            order.take("status", row.choice("status", OrderStatus.values), row.line)
            order.take("currency", currency(row), row.line)
            order.take("shipping_total", row.amount("shipping_total"), row.line)
            lines.append(
                LinePlan(
                    line=row.line,
                    sku=row.text("sku", required=True, limit=max_length(Product, "sku")),
                    quantity=row.quantity("quantity"),
                    unit_price=row.amount("unit_price"),
                    item_name=row.text("item_name", limit=max_length(Product, "name")),
                )
            )
            _shipment_cells(row, shipments)
        except CellError as exc:
            errors.append(RowError(row.line, exc.detail))
    if not errors:
        for column in ("customer_external_id", "placed_at"):
            if order.get(column) is None:
                errors.append(
                    RowError(group.first_line, f"{column}: is required on a line of order {group.key!r}")
                )
    if errors:
        raise RecordRejected(sorted(errors, key=lambda error: error.line))
    return OrderPlan(
        key=group.key,
        first_line=group.first_line,
        customer_external_id=str(order.get("customer_external_id")),
        customer_line=order.line("customer_external_id"),
        placed_at=order.get("placed_at"),  # type: ignore[arg-type]
        number=order.get("order_number"),  # type: ignore[arg-type]
        status=order.get("status"),  # type: ignore[arg-type]
        currency=order.get("currency"),  # type: ignore[arg-type]
        shipping_total=order.get("shipping_total"),  # type: ignore[arg-type]
        lines=lines,
        shipments=[
            ShipmentPlan(
                external_id=key[1] if key[0] == "id" else None,
                carrier=str(agreed.get("carrier") or ""),
                tracking_number=str(agreed.get("tracking_number") or ""),
                status=agreed.get("shipment_status"),  # type: ignore[arg-type]
                shipped_at=agreed.get("shipped_at"),  # type: ignore[arg-type]
                delivered_at=agreed.get("delivered_at"),  # type: ignore[arg-type]
                signed_for_name=str(agreed.get("signed_for_name") or ""),
            )
            for key, agreed in shipments.items()
        ],
    )


def _same_shipment(current: Shipment, wanted: ShipmentPlan) -> bool:
    return (
        current.carrier == wanted.carrier
        and current.tracking_number == wanted.tracking_number
        and wanted.status in (None, current.status)
        and wanted.shipped_at in (None, current.shipped_at)
        and wanted.delivered_at in (None, current.delivered_at)
        and wanted.signed_for_name in ("", current.signed_for_name)
    )


def _find_shipment(shipments: list[Shipment], wanted: ShipmentPlan) -> Shipment | None:
    # The same search as upsert_shipment's.
    for shipment in shipments:
        if wanted.external_id:
            if shipment.external_id == wanted.external_id:
                return shipment
        elif shipment.carrier == wanted.carrier and shipment.tracking_number == wanted.tracking_number:
            return shipment
    return None


T = TypeVar("T")


def _in_chunks(values: Iterable[str], query: Callable[[list[str]], Iterable[T]]) -> list[T]:
    values = list(values)
    found: list[T] = []
    for start in range(0, len(values), LOOKUP_CHUNK):
        found.extend(query(values[start : start + LOOKUP_CHUNK]))
    return found


def _customers_with_external_ids(chunk: list[str]) -> Iterable[Customer]:
    return Customer.objects.filter(external_id__in=chunk)


def _orders_with_external_ids(chunk: list[str]) -> Iterable[Order]:
    return (
        Order.objects.filter(external_id__in=chunk)
        .select_related("customer")
        .prefetch_related("lines", "shipments")
    )


def _products_with_skus(chunk: list[str]) -> Iterable[Product]:
    return Product.objects.filter(sku__in=chunk)


class _Importer:
    def __init__(self, actor: Actor | None, report: ImportReport) -> None:
        self.actor = actor
        self.report = report
        # The catalogue does not change during an order import, so it is read once per SKU.
        self.products: dict[str, Product | None] = {}

    def run_batch(self, groups: list[Group]) -> None:
        plans = []
        for group in groups:
            try:
                plans.append(plan_order(group))
            except RecordRejected as exc:
                self.report.fail(exc.line_errors, key=group.key)
        if not plans:
            return
        with transaction.atomic():
            customers: dict[str, Customer] = {
                str(customer.external_id): customer
                for customer in _in_chunks(
                    {plan.customer_external_id for plan in plans},
                    _customers_with_external_ids,
                )
            }
            orders: dict[str, Order] = {
                str(order.external_id): order
                for order in _in_chunks(
                    [plan.key for plan in plans],
                    _orders_with_external_ids,
                )
            }
            unseen = {line.sku for plan in plans for line in plan.lines} - self.products.keys()
            found = {product.sku: product for product in _in_chunks(unseen, _products_with_skus)}
            self.products.update({sku: found.get(sku) for sku in unseen})
            for plan in plans:
                attempt(
                    self.report,
                    line=plan.first_line,
                    key=plan.key,
                    work=partial(self.import_one, plan, customers, orders.get(plan.key)),
                )

    def import_one(self, plan: OrderPlan, customers: dict[str, Customer], existing: Order | None) -> Outcome:
        customer = customers.get(plan.customer_external_id)
        if customer is None:
            raise RecordRejected(
                [
                    RowError(
                        plan.customer_line,
                        f"customer_external_id: no customer {plan.customer_external_id[:60]!r} "
                        "(import the customers file first)",
                    )
                ]
            )
        customer = live_customer(customer) if customer.merged_into_id else customer
        built, errors = [], []
        for line in plan.lines:
            product = self.products.get(line.sku)
            if product is None and (line.unit_price is None or not line.item_name):
                errors.append(
                    RowError(
                        line.line,
                        f"sku: unknown SKU {line.sku[:60]!r} "
                        "(give item_name and unit_price for an item not in the catalogue)",
                    )
                )
                continue
            unit_price = line.unit_price if line.unit_price is not None else product.price  # type: ignore[union-attr]
            name = line.item_name or (product.name if product else line.sku)
            built.append(
                (
                    line.sku,
                    name,
                    line.quantity,
                    unit_price,
                    unit_price * line.quantity,
                    product.pk if product else None,
                )
            )
        if errors:
            raise RecordRejected(errors)
        status = plan.status or (existing.status if existing else OrderStatus.PAID)
        currency_code = plan.currency or (existing.currency if existing else "EUR")
        shipping = plan.shipping_total
        if shipping is None:
            shipping = existing.shipping_total if existing else Decimal("0.00")
        number = plan.number or (existing.number if existing else plan.key)
        if sum((line[4] for line in built), shipping) > MAX_AMOUNT:
            raise RecordRejected([RowError(plan.first_line, f"the total of order {plan.key!r} is too large")])
        outcome = Outcome.UNCHANGED
        order = existing
        if existing is None or (
            existing.number,
            existing.customer_id,
            existing.status,
            existing.placed_at,
            existing.currency,
            existing.shipping_total,
            [
                (line.sku, line.name, line.quantity, line.unit_price, line.line_total, line.product_id)
                for line in existing.lines.all()
            ],
        ) != (number, customer.pk, status, plan.placed_at, currency_code, shipping, built):
            order, created = upsert_order(
                actor=self.actor,
                customer=customer,
                number=number,
                lines=[
                    LineInput(
                        sku=line.sku, quantity=line.quantity, unit_price=line.unit_price, name=line.item_name
                    )
                    for line in plan.lines
                ],
                placed_at=plan.placed_at,
                currency=currency_code,
                status=status,
                shipping_total=shipping,
                external_id=plan.key,
            )
            outcome = Outcome.CREATED if created else Outcome.UPDATED
        assert order is not None
        current_shipments = list(existing.shipments.all()) if existing is not None else []
        for wanted in plan.shipments:
            current = _find_shipment(current_shipments, wanted)
            if current is not None and _same_shipment(current, wanted):
                continue
            upsert_shipment(
                actor=self.actor,
                order=order,
                carrier=wanted.carrier,
                tracking_number=wanted.tracking_number,
                status=wanted.status or (current.status if current else ShipmentStatus.PENDING),
                # Passing the stored times keeps them: the service would stamp "now" on a delivered one.
                shipped_at=wanted.shipped_at or (current.shipped_at if current else None),
                delivered_at=wanted.delivered_at or (current.delivered_at if current else None),
                signed_for_name=wanted.signed_for_name,
                external_id=wanted.external_id,
            )
            if outcome is Outcome.UNCHANGED:
                outcome = Outcome.UPDATED
        return outcome


def _key(record: Record, index: int) -> str:
    return record.fields[index].strip() if len(record.fields) > index else ""


def run(
    open_records: Callable[[], Iterator[Record]],
    header: list[str],
    *,
    actor: Actor | None,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    """Two passes: the first finds each order's last line, so the second can write an order once all
    its rows are in, wherever they are in the file, holding only unfinished orders in memory."""
    index = header.index(KEY_COLUMN)
    last_line: dict[str, int] = {}
    for record in open_records():
        if key := _key(record, index):
            last_line[key] = record.line
    importer = _Importer(actor, report)
    pending: dict[str, Group] = {}
    ready: list[Group] = []
    for record in with_progress(open_records(), progress):
        key = _key(record, index)
        if key and "\x00" in key:
            # The key is looked up before its row is parsed; PostgreSQL cannot even compare NUL text.
            report.fail([RowError(record.line, f"{KEY_COLUMN}: contains a NUL character")], key=key)
            continue
        if not key:
            reason = record.error
            if not reason:
                try:
                    to_row(record, header)
                    reason = f"{KEY_COLUMN}: is required"
                except ValueError as exc:
                    reason = str(exc)
            report.fail([RowError(record.line, reason)])
            continue
        group = pending.get(key)
        if group is None:
            group = pending[key] = Group(key=key, first_line=record.line)
        try:
            group.rows.append(to_row(record, header))
        except ValueError as exc:
            group.errors.append(RowError(record.line, str(exc)))
        if record.line >= last_line.get(key, 0):
            ready.append(pending.pop(key))
            if len(ready) >= BATCH_SIZE:
                importer.run_batch(ready)
                ready = []
    ready.extend(pending.values())
    if ready:
        importer.run_batch(ready)
