"""Commerce API: products, orders, shipments and wishlists, pushed by the store idempotently."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from rapport.api.auth import api_actor
from rapport.api.v1.pagination import paginate
from rapport.api.v1.schemas.commerce import (
    OrderDetailOut,
    OrderFields,
    OrderFilters,
    OrderIn,
    OrderPage,
    ProductFields,
    ProductFilters,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductPatch,
    ShipmentIn,
    ShipmentOut,
    ShipmentPushIn,
    WishlistIn,
    WishlistItemOut,
    WishlistPage,
)
from rapport.api.v1.schemas.common import Id, PageParams, Text, problems
from rapport.commerce import selectors, services
from rapport.commerce.models import Order, Product, Shipment, WishlistItem
from rapport.commerce.services import CustomerRef, LineInput

router = Router(tags=["commerce"])

ExternalId = Annotated[Text, Field(min_length=1, max_length=100)]
UPSERTED = (200, 201)


def _order_upsert(request: HttpRequest, payload: OrderFields, external_id: str | None) -> Status[Order]:
    order, created = services.upsert_order_for(
        actor=api_actor(request),
        customer_ref=CustomerRef(
            id=payload.customer_id, external_id=payload.customer_external_id, email=payload.customer_email
        ),
        number=payload.number,
        lines=[
            LineInput(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price, name=line.name)
            for line in payload.lines
        ],
        placed_at=payload.placed_at,
        currency=payload.currency,
        status=payload.status,
        shipping_total=payload.shipping_total,
        external_id=external_id,
    )
    return Status(201 if created else 200, order)


@router.get("/products", response={200: ProductPage, **problems(422)})
def list_products(
    request: HttpRequest, filters: Query[ProductFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Products in name order."""
    products = selectors.search_products(
        api_actor(request),
        query=filters.q,
        category=filters.category,
        brand=filters.brand,
        is_active=filters.is_active,
    )
    return paginate(products, page)


@router.post("/products", response={**dict.fromkeys(UPSERTED, ProductOut), **problems(409, 422)})
def create_product(request: HttpRequest, payload: ProductIn) -> Status[Product]:
    """Create a product (201); one with the same external id, else SKU, is updated instead (200)."""
    product, created = services.upsert_product(actor=api_actor(request), **payload.model_dump())
    return Status(201 if created else 200, product)


@router.get("/products/{product_id}", response={200: ProductOut, **problems(404, 422)})
def get_product(request: HttpRequest, product_id: Id) -> Product:
    return selectors.access_product(api_actor(request), product_id)


@router.patch("/products/{product_id}", response={200: ProductOut, **problems(404, 409, 422)})
def update_product(request: HttpRequest, product_id: Id, payload: ProductPatch) -> Product:
    """Change the fields sent; 409 `sku_taken` when the SKU belongs to another product."""
    actor = api_actor(request)
    product = selectors.access_product(actor, product_id)
    return services.update_product(actor=actor, product=product, **payload.model_dump(exclude_unset=True))


@router.put(
    "/products/by-external-id/{external_id}",
    response={**dict.fromkeys(UPSERTED, ProductOut), **problems(409, 422)},
)
def upsert_product(request: HttpRequest, external_id: ExternalId, payload: ProductFields) -> Status[Product]:
    """Idempotent push from the store: created (201) or brought up to date (200)."""
    product, created = services.upsert_product(
        actor=api_actor(request), external_id=external_id, **payload.model_dump()
    )
    return Status(201 if created else 200, product)


@router.get("/orders", response={200: OrderPage, **problems(422)})
def list_orders(
    request: HttpRequest, filters: Query[OrderFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Orders, newest first."""
    orders = selectors.search_orders(
        api_actor(request),
        customer_id=filters.customer_id,
        status=filters.status or "",
        placed_after=filters.placed_after,
        placed_before=filters.placed_before,
    )
    return paginate(orders, page)


@router.post("/orders", response={**dict.fromkeys(UPSERTED, OrderDetailOut), **problems(404, 409, 422)})
def create_order(request: HttpRequest, payload: OrderIn) -> Status[Order]:
    """Record an order (201), or replace the one with the same external id or number (200)."""
    return _order_upsert(request, payload, payload.external_id)


@router.get("/orders/{order_id}", response={200: OrderDetailOut, **problems(404, 422)})
def get_order(request: HttpRequest, order_id: Id) -> Order:
    """One order with its lines and shipments."""
    return selectors.access_order(api_actor(request), order_id)


@router.put(
    "/orders/by-external-id/{external_id}",
    response={**dict.fromkeys(UPSERTED, OrderDetailOut), **problems(404, 409, 422)},
)
def upsert_order(request: HttpRequest, external_id: ExternalId, payload: OrderFields) -> Status[Order]:
    """Idempotent push from the store: the order and its lines as sent, created (201) or replaced (200)."""
    return _order_upsert(request, payload, external_id)


@router.post(
    "/orders/{order_id}/shipments",
    response={**dict.fromkeys(UPSERTED, ShipmentOut), **problems(404, 409, 422)},
)
def add_shipment(request: HttpRequest, order_id: Id, payload: ShipmentIn) -> Status[Shipment]:
    """Record a shipment (201); the same external id, or carrier and tracking number, updates it (200)."""
    actor = api_actor(request)
    order = selectors.access_order(actor, order_id)
    shipment, created = services.upsert_shipment(actor=actor, order=order, **payload.model_dump())
    return Status(201 if created else 200, shipment)


@router.put(
    "/shipments/by-external-id/{external_id}",
    response={**dict.fromkeys(UPSERTED, ShipmentOut), **problems(404, 409, 422)},
)
def upsert_shipment(
    request: HttpRequest, external_id: ExternalId, payload: ShipmentPushIn
) -> Status[Shipment]:
    """Idempotent push from the store; 409 `shipment_order_mismatch` if it belongs to another order."""
    actor = api_actor(request)
    order = selectors.access_order(actor, payload.order_id)
    shipment, created = services.upsert_shipment(
        actor=actor, order=order, external_id=external_id, **payload.model_dump(exclude={"order_id"})
    )
    return Status(201 if created else 200, shipment)


@router.get("/shipments/{shipment_id}", response={200: ShipmentOut, **problems(404, 422)})
def get_shipment(request: HttpRequest, shipment_id: Id) -> Shipment:
    return selectors.access_shipment(api_actor(request), shipment_id)


@router.get("/customers/{customer_id}/wishlist", response={200: WishlistPage, **problems(404, 422)})
def list_wishlist(request: HttpRequest, customer_id: Id, page: Query[PageParams]) -> dict[str, Any]:
    """What the customer wants, most recently added first."""
    actor = api_actor(request)
    customer = selectors.customer_for_commerce(actor, customer_id)
    return paginate(selectors.wishlist_of(actor, customer), page)


@router.post("/customers/{customer_id}/wishlist", response={201: WishlistItemOut, **problems(404, 422)})
def add_to_wishlist(request: HttpRequest, customer_id: Id, payload: WishlistIn) -> Status[WishlistItem]:
    """Add a product (adding it twice keeps one item)."""
    actor = api_actor(request)
    customer = selectors.customer_for_commerce(actor, customer_id)
    product = selectors.access_product(actor, payload.product_id)
    return Status(201, services.add_to_wishlist(actor=actor, customer=customer, product=product))


@router.delete("/customers/{customer_id}/wishlist/{product_id}", response={204: None, **problems(404, 422)})
def remove_from_wishlist(request: HttpRequest, customer_id: Id, product_id: Id) -> Status[None]:
    """Remove a product; 404 `wishlist_item_not_found` when it is not on the wishlist."""
    actor = api_actor(request)
    customer = selectors.customer_for_commerce(actor, customer_id)
    product = selectors.access_product(actor, product_id)
    services.remove_from_wishlist(actor=actor, customer=customer, product=product)
    return Status(204, None)
