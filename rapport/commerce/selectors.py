"""Reads for commerce, scoped to who asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from rapport.accounts.permissions import Actor, Perm
from rapport.commerce.models import Order, OrderLine, Product, Shipment, WishlistItem
from rapport.core.errors import NotFound
from rapport.customers.models import Customer

RECENT_ORDERS = 10
CENT = Decimal("0.01")


def _cents(amount: Decimal | float | int) -> Decimal:
    # SQLite sums decimals as floating point (3899.80000000000); round back to cents.
    return Decimal(str(amount)).quantize(CENT)


@dataclass(frozen=True)
class Spend:
    currency: str
    total: Decimal
    orders: int


def lifetime_spend(actor: Actor, customer: Customer) -> list[Spend]:
    """Lifetime spend per currency and order count, excluding cancelled and refunded orders."""
    actor.require(Perm.COMMERCE_VIEW)
    rows = (
        Order.objects.filter(customer=customer)
        .exclude(status__in=["cancelled", "refunded"])
        .order_by()
        .values("currency")
        .annotate(total=Sum("total"), orders=Count("id"))
        .order_by("-orders", "currency")
    )
    return [Spend(currency=r["currency"], total=_cents(r["total"]), orders=r["orders"]) for r in rows]


def recent_orders(actor: Actor, customer: Customer, *, limit: int = RECENT_ORDERS) -> list[Order]:
    actor.require(Perm.COMMERCE_VIEW)
    return list(
        Order.objects.filter(customer=customer)
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
            Prefetch("shipments", queryset=Shipment.objects.order_by("-id")),
        )
        .order_by("-placed_at", "-id")[:limit]
    )


def wishlist_of(actor: Actor, customer: Customer) -> QuerySet[WishlistItem]:
    actor.require(Perm.COMMERCE_VIEW)
    # The id breaks ties between items added in the same instant, so pages never overlap.
    items = WishlistItem.objects.filter(customer=customer).select_related("product")
    return items.order_by("-added_at", "-id")


def products_visible_to(actor: Actor) -> QuerySet[Product]:
    actor.require(Perm.COMMERCE_VIEW)
    return Product.objects.all()


def orders_visible_to(actor: Actor) -> QuerySet[Order]:
    actor.require(Perm.COMMERCE_VIEW)
    return Order.objects.all()


def access_product(actor: Actor, product_id: int) -> Product:
    product = products_visible_to(actor).filter(pk=product_id).first()
    if product is None:
        raise NotFound(f"no product {product_id}", code="product_not_found")
    return product


def access_order(actor: Actor, order_id: int) -> Order:
    order = (
        orders_visible_to(actor)
        .select_related("customer")
        .prefetch_related("lines", "shipments")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    return order


def access_shipment(actor: Actor, shipment_id: int) -> Shipment:
    actor.require(Perm.COMMERCE_VIEW)
    shipment = Shipment.objects.select_related("order").filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound(f"no shipment {shipment_id}", code="shipment_not_found")
    return shipment


def lifetime_spend_if_visible(actor: Actor, customer: Customer) -> list[Spend] | None:
    """Lifetime spend for those who may see commerce; None for, say, a token scoped to customers only."""
    return lifetime_spend(actor, customer) if actor.can(Perm.COMMERCE_VIEW) else None


def search_products(
    actor: Actor, *, query: str = "", category: str = "", brand: str = "", is_active: bool | None = None
) -> QuerySet[Product]:
    """Products by name or exact SKU, with filters, in name order."""
    products = products_visible_to(actor)
    query = query.strip()
    if query:
        products = products.filter(Q(name__icontains=query) | Q(sku=query))
    if category:
        products = products.filter(category=category)
    if brand:
        products = products.filter(brand=brand)
    if is_active is not None:
        products = products.filter(is_active=is_active)
    return products.order_by("name", "id")


def search_orders(
    actor: Actor,
    *,
    customer_id: int | None = None,
    status: str = "",
    placed_after: datetime | None = None,
    placed_before: datetime | None = None,
) -> QuerySet[Order]:
    """Orders, newest first, filtered by customer, status and when they were placed [after, before)."""
    orders = orders_visible_to(actor)
    if customer_id is not None:
        orders = orders.filter(customer_id=customer_id)
    if status:
        orders = orders.filter(status=status)
    if placed_after is not None:
        orders = orders.filter(placed_at__gte=placed_after)
    if placed_before is not None:
        orders = orders.filter(placed_at__lt=placed_before)
    return orders.order_by("-placed_at", "-id")


def customer_for_commerce(actor: Actor, customer_id: int) -> Customer:
    """The customer whose orders or wishlist are asked about: the commerce right suffices, or NotFound."""
    actor.require(Perm.COMMERCE_VIEW)
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(f"no customer {customer_id}", code="customer_not_found")
    return customer


@dataclass(frozen=True)
class MonthlySpend:
    month: str
    total: Decimal
    orders: int


def monthly_spend(actor: Actor, customer: Customer, *, currency: str, months: int = 24) -> list[MonthlySpend]:
    """Spend per calendar month in one currency for the last `months` months, empty months included."""
    actor.require(Perm.COMMERCE_VIEW)
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - (months - 1)
    first = date(index // 12, index % 12 + 1, 1)
    rows = (
        Order.objects.filter(customer=customer, currency=currency, placed_at__date__gte=first)
        .exclude(status__in=["cancelled", "refunded"])
        .annotate(month=TruncMonth("placed_at"))
        .order_by()
        .values("month")
        .annotate(total=Sum("total"), orders=Count("id"))
    )
    by_month = {row["month"].strftime("%Y-%m"): row for row in rows}
    series = []
    cursor = first
    for _ in range(months):
        key = cursor.strftime("%Y-%m")
        row = by_month.get(key)
        series.append(
            MonthlySpend(
                month=key,
                total=_cents(row["total"]) if row else Decimal("0.00"),
                orders=row["orders"] if row else 0,
            )
        )
        cursor = (cursor + timedelta(days=31)).replace(day=1)
    return series
