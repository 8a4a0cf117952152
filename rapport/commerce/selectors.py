"""Reads for commerce, scoped to who asks."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet, Sum

from rapport.accounts.permissions import Actor, Perm
from rapport.commerce.models import Order, OrderLine, Product, Shipment, WishlistItem
from rapport.core.errors import NotFound
from rapport.customers.models import Customer

RECENT_ORDERS = 10


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
        .order_by("-orders")
    )
    return [Spend(currency=r["currency"], total=r["total"], orders=r["orders"]) for r in rows]


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
    return WishlistItem.objects.filter(customer=customer).select_related("product")


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
