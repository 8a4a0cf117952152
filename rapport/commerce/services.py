"""Writes for commerce: products, orders, shipments and wishlists, idempotent by the store's external ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.accounts.audit import changed, record_audit, snapshot
from rapport.accounts.permissions import Actor, Perm
from rapport.commerce.models import (
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Shipment,
    ShipmentStatus,
    WishlistItem,
)
from rapport.core.errors import Conflict, NotFound, ValidationFailed
from rapport.customers.events import record_event
from rapport.customers.models import Customer, IdentityKind
from rapport.customers.services import find_or_create_customer

PRODUCT_FIELDS = ["external_id", "sku", "name", "category", "brand", "price", "currency", "is_active"]
ORDER_FIELDS = [
    "external_id",
    "number",
    "customer",
    "status",
    "placed_at",
    "currency",
    "shipping_total",
    "total",
]
SHIPMENT_FIELDS = [
    "external_id",
    "order",
    "carrier",
    "tracking_number",
    "status",
    "shipped_at",
    "delivered_at",
    "signed_for_name",
]


def _money(value: object, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(f"{field} must be a number, got {value!r}", code="invalid_amount") from exc
    if not amount.is_finite() or amount < 0:
        raise ValidationFailed(f"{field} must be zero or more", code="invalid_amount")
    return _within_column(amount.quantize(Decimal("0.01")), field)


# Amount columns are DECIMAL(12, 2): PostgreSQL refuses more, SQLite would store it silently.
MAX_AMOUNT = Decimal("9999999999.99")


def _within_column(amount: Decimal, field: str) -> Decimal:
    if amount > MAX_AMOUNT:
        raise ValidationFailed(f"{field} must be at most {MAX_AMOUNT}", code="amount_too_large")
    return amount


def _line_key(sku: str, name: str, quantity: int, unit_price: Decimal) -> list[object]:
    return [sku, name, quantity, str(unit_price)]


def _currency(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationFailed(
            f"currency must be a three-letter ISO code, got {value!r}", code="invalid_currency"
        )
    return code


def live_customer(customer: Customer) -> Customer:
    """Follow a merge: records pushed for a merged-away customer land on the survivor."""
    # Read from the database: the caller's copy may predate the merge.
    merged_into = Customer.objects.filter(pk=customer.pk).values_list("merged_into_id", flat=True).first()
    # merge_customers re-points earlier merges at the final survivor, so one hop is enough.
    return Customer.objects.get(pk=merged_into) if merged_into is not None else customer


def upsert_product(
    *,
    actor: Actor | None,
    sku: str,
    name: str,
    price: object,
    currency: str = "EUR",
    category: str = "",
    brand: str = "",
    external_id: str | None = None,
    is_active: bool = True,
) -> tuple[Product, bool]:
    """Create or update a product found by external id, else by SKU. Returns (product, created)."""
    if actor is not None:
        actor.require(Perm.COMMERCE_EDIT)
    sku = sku.strip()
    name = name.strip()
    if not sku:
        raise ValidationFailed("a product needs a SKU", code="sku_required")
    if not name:
        raise ValidationFailed("a product needs a name", code="name_required")
    values = {
        "sku": sku,
        "name": name,
        "price": _money(price, "price"),
        "currency": _currency(currency),
        "category": category.strip(),
        "brand": brand.strip(),
        "is_active": is_active,
    }
    with transaction.atomic():
        product = None
        if external_id:
            product = Product.objects.select_for_update().filter(external_id=external_id).first()
        if product is None:
            product = Product.objects.select_for_update().filter(sku=sku).first()
            if product is not None and external_id and product.external_id not in (None, external_id):
                raise Conflict(f"SKU {sku} belongs to another product", code="sku_taken")
        elif Product.objects.filter(sku=sku).exclude(pk=product.pk).exists():
            raise Conflict(f"SKU {sku} belongs to another product", code="sku_taken")
        if product is None:
            product = Product.objects.create(external_id=external_id or None, **values)
            record_audit(
                actor=actor, action="product.create", target=product, after=snapshot(product, PRODUCT_FIELDS)
            )
            return product, True
        before = snapshot(product, PRODUCT_FIELDS)
        for field, value in values.items():
            setattr(product, field, value)
        if external_id:
            product.external_id = external_id
        old, new = changed(before, snapshot(product, PRODUCT_FIELDS))
        if new:
            product.updated_at = timezone.now()
            product.save()
            record_audit(actor=actor, action="product.update", target=product, before=old, after=new)
    return product, False


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int
    unit_price: object | None = None
    name: str = ""


def _build_lines(order: Order, lines: list[LineInput], currency: str) -> list[OrderLine]:
    if not lines:
        raise ValidationFailed("an order needs at least one line", code="order_lines_required")
    products = {p.sku: p for p in Product.objects.filter(sku__in=[line.sku for line in lines])}
    built = []
    for number, line in enumerate(lines, start=1):
        product = products.get(line.sku)
        if product is None and (line.unit_price is None or not line.name):
            raise ValidationFailed(
                f"line {number}: unknown SKU {line.sku!r} "
                "(give a name and unit price for items not in the catalogue)",
                code="unknown_sku",
            )
        if not isinstance(line.quantity, int) or line.quantity < 1:
            raise ValidationFailed(f"line {number}: quantity must be at least 1", code="invalid_quantity")
        # Checked above: without a catalogue product the line carries its own price.
        listed = line.unit_price if line.unit_price is not None else product.price  # type: ignore[union-attr]
        unit_price = _money(listed, f"line {number} unit price")
        built.append(
            OrderLine(
                order=order,
                product=product,
                sku=line.sku,
                name=line.name or (product.name if product else line.sku),
                quantity=line.quantity,
                unit_price=unit_price,
                line_total=_within_column(unit_price * line.quantity, f"line {number} total"),
            )
        )
    return built


def upsert_order(
    *,
    actor: Actor | None,
    customer: Customer,
    number: str,
    lines: list[LineInput],
    placed_at: datetime | None = None,
    currency: str = "EUR",
    status: str = OrderStatus.PAID,
    shipping_total: object = 0,
    external_id: str | None = None,
) -> tuple[Order, bool]:
    """Create an order with its lines, or replace an existing one's (found by external id or number)."""
    if actor is not None:
        actor.require(Perm.COMMERCE_EDIT)
    number = number.strip()
    if not number:
        raise ValidationFailed("an order needs a number", code="order_number_required")
    if status not in OrderStatus.values:
        raise ValidationFailed(f"unknown order status {status!r}", code="invalid_status")
    currency = _currency(currency)
    shipping = _money(shipping_total, "shipping_total")
    if placed_at is not None and timezone.is_naive(placed_at):
        raise ValidationFailed("placed_at needs a time zone", code="naive_datetime")
    with transaction.atomic():
        customer = live_customer(customer)
        order = None
        if external_id:
            order = Order.objects.select_for_update().filter(external_id=external_id).first()
        if order is None:
            order = Order.objects.select_for_update().filter(number=number).first()
            if order is not None and external_id and order.external_id not in (None, external_id):
                raise Conflict(f"order number {number} belongs to another order", code="order_number_taken")
        elif Order.objects.filter(number=number).exclude(pk=order.pk).exists():
            raise Conflict(f"order number {number} belongs to another order", code="order_number_taken")
        created = order is None
        before: dict[str, Any] = {}
        if order is None:
            order = Order(placed_at=placed_at or timezone.now())
        else:
            before = snapshot(order, ORDER_FIELDS) | {
                "lines": [_line_key(li.sku, li.name, li.quantity, li.unit_price) for li in order.lines.all()]
            }
        # A re-push names the same order; keep what it leaves out (its time, the id it was known by).
        order.external_id = external_id or order.external_id
        order.number = number
        order.customer = customer
        order.status = status
        order.placed_at = placed_at or order.placed_at
        order.currency = currency
        order.shipping_total = shipping
        built = _build_lines(order, lines, currency)
        order.total = _within_column(sum((line.line_total for line in built), shipping), "order total")
        after = snapshot(order, ORDER_FIELDS) | {
            "lines": [_line_key(b.sku, b.name, b.quantity, b.unit_price) for b in built]
        }
        if not created and after == before:
            return order, False
        order.updated_at = timezone.now()
        order.save()
        if not created and after["lines"] != before["lines"]:
            order.lines.all().delete()
        if created or after["lines"] != before["lines"]:
            for line in built:
                line.order = order
            OrderLine.objects.bulk_create(built)
        if created:
            record_audit(actor=actor, action="order.create", target=order, after=after)
            record_event(
                customer=customer,
                kind="order.placed",
                summary=f"Order {order.number} placed: {len(built)} item(s), {order.total} {order.currency}",
                actor=actor,
                subject=order,
                occurred_at=order.placed_at,
                data={"total": str(order.total), "currency": order.currency},
            )
        else:
            old, new = changed(before, after)
            if new:
                record_audit(actor=actor, action="order.update", target=order, before=old, after=new)
                if "status" in new:
                    record_event(
                        customer=customer,
                        kind="order.status_changed",
                        summary=f"Order {order.number} is now {order.get_status_display().lower()}",
                        actor=actor,
                        subject=order,
                    )
    return order, created


def upsert_shipment(
    *,
    actor: Actor | None,
    order: Order,
    carrier: str = "",
    tracking_number: str = "",
    status: str = ShipmentStatus.PENDING,
    shipped_at: datetime | None = None,
    delivered_at: datetime | None = None,
    signed_for_name: str = "",
    external_id: str | None = None,
) -> tuple[Shipment, bool]:
    if actor is not None:
        actor.require(Perm.COMMERCE_EDIT)
    if status not in ShipmentStatus.values:
        raise ValidationFailed(f"unknown shipment status {status!r}", code="invalid_status")
    with transaction.atomic():
        shipment = None
        if external_id:
            shipment = Shipment.objects.select_for_update().filter(external_id=external_id).first()
        elif tracking_number:
            shipment = (
                Shipment.objects.select_for_update()
                .filter(order=order, carrier=carrier, tracking_number=tracking_number)
                .first()
            )
        created = shipment is None
        if shipment is None:
            shipment = Shipment(external_id=external_id or None, order=order)
        elif shipment.order_id != order.pk:
            raise Conflict("this shipment belongs to another order", code="shipment_order_mismatch")
        before = None if created else snapshot(shipment, SHIPMENT_FIELDS)
        shipment.carrier = carrier.strip()
        shipment.tracking_number = tracking_number.strip()
        shipment.status = status
        shipment.shipped_at = shipped_at or shipment.shipped_at
        shipment.delivered_at = delivered_at or shipment.delivered_at
        if status == ShipmentStatus.DELIVERED and shipment.delivered_at is None:
            # Carriers do not always send the time; the first delivered push is the best we know.
            shipment.delivered_at = timezone.now()
        shipment.signed_for_name = signed_for_name.strip() or shipment.signed_for_name
        after = snapshot(shipment, SHIPMENT_FIELDS)
        old, new = changed(before or {}, after)
        if not created and not new:
            return shipment, False
        shipment.updated_at = timezone.now()
        shipment.save()
        if created or new:
            record_audit(
                actor=actor,
                action="shipment.create" if created else "shipment.update",
                target=shipment,
                before=None if created else old,
                after=after if created else new,
            )
        if created or "status" in new:
            signed = f", signed for by {shipment.signed_for_name}" if shipment.signed_for_name else ""
            record_event(
                customer=order.customer,
                kind=f"shipment.{shipment.status}",
                summary=(
                    f"Order {order.number}: shipment {shipment.carrier} {shipment.tracking_number} "
                    f"{shipment.get_status_display().lower()}{signed}"
                ).replace("  ", " "),
                actor=actor,
                subject=shipment,
                occurred_at=_shipment_event_time(shipment),
            )
    return shipment, created


def _shipment_event_time(shipment: Shipment) -> datetime:
    """When the status happened, as far as the store told us; imported history keeps its dates."""
    if shipment.status == ShipmentStatus.DELIVERED and shipment.delivered_at:
        return shipment.delivered_at
    if shipment.status == ShipmentStatus.IN_TRANSIT and shipment.shipped_at:
        return shipment.shipped_at
    return timezone.now()


def add_to_wishlist(*, actor: Actor | None, customer: Customer, product: Product) -> WishlistItem:
    if actor is not None:
        actor.require(Perm.COMMERCE_EDIT)
    with transaction.atomic():
        customer = live_customer(customer)
        item, created = WishlistItem.objects.get_or_create(customer=customer, product=product)
        if created:
            record_audit(actor=actor, action="wishlist.add", target=customer, after={"sku": product.sku})
            record_event(
                customer=customer,
                kind="wishlist.added",
                summary=f"Added {product.name} to the wishlist",
                actor=actor,
                subject=product,
            )
    return item


def remove_from_wishlist(*, actor: Actor | None, customer: Customer, product: Product) -> None:
    if actor is not None:
        actor.require(Perm.COMMERCE_EDIT)
    with transaction.atomic():
        customer = live_customer(customer)
        deleted, _ = WishlistItem.objects.filter(customer=customer, product=product).delete()
        if not deleted:
            raise NotFound(f"{product.sku} is not on this wishlist", code="wishlist_item_not_found")
        record_audit(actor=actor, action="wishlist.remove", target=customer, before={"sku": product.sku})


def move_commerce_records(source: Customer, target: Customer) -> dict[str, int]:
    """Merge step: the survivor takes the orders and wishlist of the merged customer."""
    orders = Order.objects.filter(customer=source).update(customer=target)
    owned = set(WishlistItem.objects.filter(customer=target).values_list("product_id", flat=True))
    WishlistItem.objects.filter(customer=source, product_id__in=owned).delete()
    wishlist = WishlistItem.objects.filter(customer=source).update(customer=target)
    return {"orders": orders, "wishlist": wishlist}


def update_product(*, actor: Actor | None, product: Product, **changes: Any) -> Product:
    """Change some fields of a product; SKU and external id stay unique, the rest as in upsert_product."""
    if actor is not None:
        actor.require(Perm.COMMERCE_EDIT)
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValidationFailed(f"cannot change {', '.join(sorted(unknown))}", code="invalid_field")
    cleaners: dict[str, Callable[[Any], Any]] = {
        "sku": lambda v: v.strip(),
        "name": lambda v: v.strip(),
        "price": lambda v: _money(v, "price"),
        "currency": _currency,
        "category": lambda v: v.strip(),
        "brand": lambda v: v.strip(),
        "external_id": lambda v: v or None,
        "is_active": bool,
    }
    values = {field: cleaners[field](value) for field, value in changes.items()}
    if "sku" in values and not values["sku"]:
        raise ValidationFailed("a product needs a SKU", code="sku_required")
    if "name" in values and not values["name"]:
        raise ValidationFailed("a product needs a name", code="name_required")
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        others = Product.objects.exclude(pk=locked.pk)
        if "sku" in values and others.filter(sku=values["sku"]).exists():
            raise Conflict(f"SKU {values['sku']} belongs to another product", code="sku_taken")
        if values.get("external_id") and others.filter(external_id=values["external_id"]).exists():
            raise Conflict("external id is taken", code="external_id_taken")
        before = snapshot(locked, PRODUCT_FIELDS)
        for field, value in values.items():
            setattr(locked, field, value)
        old, new = changed(before, snapshot(locked, PRODUCT_FIELDS))
        if new:
            locked.updated_at = timezone.now()
            locked.save()
            record_audit(actor=actor, action="product.update", target=locked, before=old, after=new)
    return locked


@dataclass(frozen=True)
class CustomerRef:
    """How the store names an order's customer: by our id, by its own id, or by email address."""

    id: int | None = None
    external_id: str | None = None
    email: str | None = None


def _resolve_customer(ref: CustomerRef) -> Customer:
    given = [value for value in (ref.id, ref.external_id, ref.email) if value not in (None, "")]
    if len(given) != 1:
        raise ValidationFailed(
            "name the customer by exactly one of customer_id, customer_external_id or customer_email",
            code="customer_reference_required",
        )
    if ref.email:
        # The store's push creates a first-time buyer as a channel creates a first-time writer.
        customer, _ = find_or_create_customer(kind=IdentityKind.EMAIL, value=ref.email)
        return customer
    found = (
        Customer.objects.filter(pk=ref.id)
        if ref.id is not None
        else Customer.objects.filter(external_id=ref.external_id)
    ).first()
    if found is None:
        raise NotFound(f"no customer {given[0]}", code="customer_not_found")
    return found


def upsert_order_for(
    *,
    actor: Actor | None,
    customer_ref: CustomerRef,
    number: str,
    lines: list[LineInput],
    placed_at: datetime | None = None,
    currency: str = "EUR",
    status: str = OrderStatus.PAID,
    shipping_total: object = 0,
    external_id: str | None = None,
) -> tuple[Order, bool]:
    """upsert_order with the customer named by reference; a customer made for it goes if the order fails."""
    if actor is not None:
        actor.require(Perm.COMMERCE_EDIT)
    with transaction.atomic():
        return upsert_order(
            actor=actor,
            customer=_resolve_customer(customer_ref),
            number=number,
            lines=lines,
            placed_at=placed_at,
            currency=currency,
            status=status,
            shipping_total=shipping_total,
            external_id=external_id,
        )
