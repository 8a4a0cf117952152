"""Schemas of the commerce router: products, orders with lines, shipments and wishlists."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from rapport.api.v1.schemas.common import UNSENT, Id, Instant, Money, Text
from rapport.commerce.models import OrderStatus, ShipmentStatus

CURRENCY = r"^[A-Za-z]{3}$"


class ProductFields(Schema):
    sku: Text = Field(min_length=1, max_length=64)
    name: Text = Field(min_length=1, max_length=200)
    price: Money
    currency: Text = Field("EUR", pattern=CURRENCY, description="ISO 4217 code")
    category: Text = Field("", max_length=100)
    brand: Text = Field("", max_length=100)
    is_active: bool = True


class ProductIn(ProductFields):
    external_id: Text | None = Field(None, min_length=1, max_length=100, description="The store's id")


class ProductPatch(Schema):
    """Only the fields sent change; omitted fields keep their value."""

    sku: Text = Field(UNSENT, min_length=1, max_length=64)
    name: Text = Field(UNSENT, min_length=1, max_length=200)
    price: Money = Field(UNSENT)
    currency: Text = Field(UNSENT, pattern=CURRENCY)
    category: Text = Field(UNSENT, max_length=100)
    brand: Text = Field(UNSENT, max_length=100)
    is_active: bool = Field(UNSENT)
    external_id: Text | None = Field(None, max_length=100, description="null clears it")


class ProductOut(Schema):
    id: int
    external_id: str | None
    sku: str
    name: str
    category: str
    brand: str
    price: Money
    currency: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ProductPage(Schema):
    count: int
    items: list[ProductOut]


class ProductFilters(Schema):
    q: Text = Field("", max_length=200, description="Part of the name, or the exact SKU")
    category: Text = Field("", max_length=100)
    brand: Text = Field("", max_length=100)
    is_active: bool | None = None


class OrderLineIn(Schema):
    sku: Text = Field(min_length=1, max_length=64)
    quantity: int = Field(1, ge=1, le=100_000)
    unit_price: Money | None = Field(None, description="Defaults to the catalogue price of the SKU")
    name: Text = Field(
        "", max_length=200, description="Needed, with unit_price, for SKUs not in the catalogue"
    )


class OrderFields(Schema):
    customer_id: Id | None = Field(None, description="Give exactly one of customer_id, customer_external_id")
    customer_external_id: Text | None = Field(None, min_length=1, max_length=100)
    customer_email: Text | None = Field(
        None, min_length=1, max_length=254, description="or customer_email (the customer is created if new)"
    )
    number: Text = Field(min_length=1, max_length=64)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    placed_at: Instant | None = Field(None, description="Defaults to now")
    currency: Text = Field("EUR", pattern=CURRENCY, description="ISO 4217 code")
    status: OrderStatus = OrderStatus.PAID
    shipping_total: Money = Decimal("0")


class OrderIn(OrderFields):
    external_id: Text | None = Field(None, min_length=1, max_length=100, description="The store's id")


class OrderOut(Schema):
    id: int
    external_id: str | None
    number: str
    customer_id: int
    status: OrderStatus
    placed_at: datetime
    currency: str
    shipping_total: Money
    total: Money
    created_at: datetime
    updated_at: datetime


class OrderPage(Schema):
    count: int
    items: list[OrderOut]


class OrderFilters(Schema):
    customer_id: Id | None = None
    status: OrderStatus | None = None
    placed_after: Instant | None = Field(None, description="Placed at or after this instant")
    placed_before: Instant | None = Field(None, description="Placed before this instant")


class OrderLineOut(Schema):
    id: int
    product_id: int | None
    sku: str
    name: str
    quantity: int
    unit_price: Money
    line_total: Money


class ShipmentFields(Schema):
    carrier: Text = Field("", max_length=64)
    tracking_number: Text = Field("", max_length=100)
    status: ShipmentStatus = ShipmentStatus.PENDING
    shipped_at: Instant | None = None
    delivered_at: Instant | None = Field(None, description="Defaults to now when status is delivered")
    signed_for_name: Text = Field("", max_length=200)


class ShipmentIn(ShipmentFields):
    external_id: Text | None = Field(None, min_length=1, max_length=100, description="The store's id")


class ShipmentPushIn(ShipmentFields):
    order_id: Id


class ShipmentOut(Schema):
    id: int
    external_id: str | None
    order_id: int
    carrier: str
    tracking_number: str
    status: ShipmentStatus
    shipped_at: datetime | None
    delivered_at: datetime | None
    signed_for_name: str
    updated_at: datetime


class OrderDetailOut(OrderOut):
    lines: list[OrderLineOut]
    shipments: list[ShipmentOut]


class WishlistIn(Schema):
    product_id: Id


class WishlistItemOut(Schema):
    id: int
    product: ProductOut
    added_at: datetime


class WishlistPage(Schema):
    count: int
    items: list[WishlistItemOut]
