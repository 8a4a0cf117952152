"""Commerce API: products, orders, shipments and wishlists, including the store's idempotent pushes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from rapport.accounts.models import AuditEntry, User
from rapport.api.tests.conftest import ApiClient, ApiFor, assert_problem
from rapport.commerce.models import Order, OrderLine, OrderStatus, Product, Shipment, WishlistItem
from rapport.commerce.tests.factories import OrderFactory, OrderLineFactory, ProductFactory, ShipmentFactory
from rapport.customers.models import Customer, Identity
from rapport.customers.tests.factories import CustomerFactory, EmailIdentityFactory

pytestmark = pytest.mark.django_db

PLACED = "2025-03-01T09:30:00+00:00"


def _counts() -> tuple[int, int, int, int, int, int]:
    return (
        Product.objects.count(),
        Order.objects.count(),
        OrderLine.objects.count(),
        Shipment.objects.count(),
        WishlistItem.objects.count(),
        Customer.objects.count(),
    )


def _order_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "number": "R-1001",
        "placed_at": PLACED,
        "currency": "EUR",
        "shipping_total": "4.95",
        "lines": [
            {"sku": "MUG-1", "quantity": 2},
            {"sku": "GIFT", "quantity": 1, "unit_price": "3.00", "name": "Gift wrap"},
        ],
        **overrides,
    }


ROUTES = [
    ("get", "/products"),
    ("post", "/products"),
    ("get", "/products/1"),
    ("patch", "/products/1"),
    ("put", "/products/by-external-id/p-1"),
    ("get", "/orders"),
    ("post", "/orders"),
    ("get", "/orders/1"),
    ("put", "/orders/by-external-id/o-1"),
    ("post", "/orders/1/shipments"),
    ("put", "/shipments/by-external-id/s-1"),
    ("get", "/shipments/1"),
    ("get", "/customers/1/wishlist"),
    ("post", "/customers/1/wishlist"),
    ("delete", "/customers/1/wishlist/1"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_commerce_route_refuses_a_request_without_credentials(
    anonymous: ApiClient, method: str, path: str
) -> None:
    assert_problem(anonymous.call(method, path, {}), 401, "not_authenticated")


@pytest.mark.parametrize(
    "path",
    [
        "/products",
        "/products/{product}",
        "/orders",
        "/orders/{order}",
        "/shipments/{shipment}",
        "/customers/{customer}/wishlist",
    ],
)
def test_reading_commerce_needs_the_commerce_read_scope(api_for: ApiFor, lead_user: User, path: str) -> None:
    shipment = ShipmentFactory()
    customers_only = api_for(lead_user, scopes=["customers:read", "customers:write"])
    ids = {"product": ProductFactory().pk, "order": shipment.order_id, "shipment": shipment.pk}

    response = customers_only.get(path.format(customer=shipment.order.customer_id, **ids))

    body = assert_problem(response, 403, "permission_denied")
    assert body["detail"] == "lead token may not commerce view"


# products


def test_list_products_filters_and_pages(agent_api: ApiClient) -> None:
    ProductFactory(name="Tea cup", sku="CUP-1", category="Kitchen", brand="Acme")
    ProductFactory(name="Teapot", sku="POT-1", category="Kitchen", brand="Other", is_active=False)
    ProductFactory(name="Hammer", sku="HAM-1", category="Tools", brand="Acme")

    def skus(**params: Any) -> list[str]:
        response = agent_api.get("/products", params)
        assert response.status_code == 200
        return [p["sku"] for p in response.json()["items"]]

    assert agent_api.get("/products", {"limit": 1}).json()["count"] == 3
    assert skus() == ["HAM-1", "CUP-1", "POT-1"]
    assert skus(q="tea") == ["CUP-1", "POT-1"]
    assert skus(q="HAM-1") == ["HAM-1"]
    assert skus(category="Kitchen", is_active="true") == ["CUP-1"]
    assert skus(brand="Acme", limit=1, offset=1) == ["CUP-1"]


def test_create_product_then_the_same_sku_updates_it(lead_api: ApiClient) -> None:
    created = lead_api.post(
        "/products",
        {"sku": "MUG-1", "name": "Mug", "price": "12.5", "currency": "eur", "category": "Kitchen"},
    )
    updated = lead_api.post("/products", {"sku": "MUG-1", "name": "Big mug", "price": "14.00"})

    product = Product.objects.get()
    assert created.status_code == 201
    assert created.json() == {
        "id": product.pk,
        "external_id": None,
        "sku": "MUG-1",
        "name": "Mug",
        "category": "Kitchen",
        "brand": "",
        "price": "12.50",
        "currency": "EUR",
        "is_active": True,
        "created_at": product.created_at.isoformat(),
        "updated_at": created.json()["updated_at"],
    }
    assert updated.status_code == 200
    assert (updated.json()["id"], updated.json()["name"], updated.json()["price"]) == (
        product.pk,
        "Big mug",
        "14.00",
    )


@pytest.mark.parametrize(
    "payload",
    [
        {"sku": "X", "name": "X", "price": 12.5},
        {"sku": "X", "name": "X", "price": "-1"},
        {"sku": "X", "name": "X", "price": "1.234"},
        {"sku": "X", "name": "X", "price": "12", "currency": "EURO"},
        {"sku": "", "name": "X", "price": "1"},
        {"name": "X", "price": "1"},
        {"sku": "X", "name": "X", "price": "1", "is_active": "sometimes"},
    ],
)
def test_create_product_with_bad_input_writes_nothing(lead_api: ApiClient, payload: dict[str, Any]) -> None:
    assert_problem(lead_api.post("/products", payload), 422, "invalid_request")
    assert Product.objects.count() == 0


@pytest.mark.parametrize("client", ["agent_api", "analyst_api"])
def test_agents_and_analysts_cannot_create_products(request: pytest.FixtureRequest, client: str) -> None:
    api: ApiClient = request.getfixturevalue(client)

    assert_problem(api.post("/products", {"sku": "X", "name": "X", "price": "1"}), 403, "permission_denied")
    assert Product.objects.count() == 0


def test_a_read_only_token_cannot_create_products(api_for: ApiFor, lead_user: User) -> None:
    read_only = api_for(lead_user, scopes=["commerce:read"])

    assert_problem(
        read_only.post("/products", {"sku": "X", "name": "X", "price": "1"}), 403, "permission_denied"
    )
    assert Product.objects.count() == 0


def test_get_product_and_unknown_product(agent_api: ApiClient) -> None:
    product = ProductFactory(sku="MUG-1", price=Decimal("12.00"))

    found = agent_api.get(f"/products/{product.pk}")

    assert (found.status_code, found.json()["sku"], found.json()["price"]) == (200, "MUG-1", "12.00")
    assert_problem(agent_api.get("/products/424242"), 404, "product_not_found")


def test_patch_product_changes_only_the_fields_sent(lead_api: ApiClient) -> None:
    product = ProductFactory(sku="MUG-1", name="Mug", price=Decimal("12.00"), brand="Acme")

    response = lead_api.patch(f"/products/{product.pk}", {"price": "9.99", "is_active": False})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["sku"], body["name"], body["brand"], body["price"], body["is_active"]) == (
        "MUG-1",
        "Mug",
        "Acme",
        "9.99",
        False,
    )
    entry = AuditEntry.objects.get(action="product.update")
    assert entry.after == {"price": "9.99", "is_active": False}


def test_patch_product_to_a_taken_sku_is_a_conflict(lead_api: ApiClient) -> None:
    ProductFactory(sku="TAKEN")
    product = ProductFactory(sku="MINE")

    assert_problem(lead_api.patch(f"/products/{product.pk}", {"sku": "TAKEN"}), 409, "sku_taken")
    product.refresh_from_db()
    assert product.sku == "MINE"


@pytest.mark.parametrize("payload", [{"name": None}, {"price": "free"}, {"sku": ""}])
def test_patch_product_with_bad_input_changes_nothing(lead_api: ApiClient, payload: dict[str, Any]) -> None:
    product = ProductFactory(sku="MUG-1", name="Mug")

    assert_problem(lead_api.patch(f"/products/{product.pk}", payload), 422, "invalid_request")
    product.refresh_from_db()
    assert (product.sku, product.name) == ("MUG-1", "Mug")


def test_agent_cannot_patch_products_and_unknown_is_not_found(
    agent_api: ApiClient, lead_api: ApiClient
) -> None:
    product = ProductFactory(name="Mug")

    assert_problem(agent_api.patch(f"/products/{product.pk}", {"name": "Cup"}), 403, "permission_denied")
    assert_problem(lead_api.patch("/products/424242", {"name": "Cup"}), 404, "product_not_found")
    product.refresh_from_db()
    assert product.name == "Mug"


def test_put_product_by_external_id_is_idempotent(lead_api: ApiClient) -> None:
    payload = {"sku": "MUG-1", "name": "Mug", "price": "12.00", "brand": "Acme"}

    first = lead_api.put("/products/by-external-id/shop-77", payload)
    audits = AuditEntry.objects.filter(target_type="commerce.product").count()
    again = lead_api.put("/products/by-external-id/shop-77", payload)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["external_id"] == "shop-77"
    assert again.json() == first.json()
    assert Product.objects.count() == 1
    assert AuditEntry.objects.filter(target_type="commerce.product").count() == audits


def test_put_product_with_a_sku_of_another_product_is_a_conflict(lead_api: ApiClient) -> None:
    ProductFactory(sku="MUG-1", external_id="shop-1")

    response = lead_api.put("/products/by-external-id/shop-2", {"sku": "MUG-1", "name": "Mug", "price": "1"})

    assert_problem(response, 409, "sku_taken")
    assert Product.objects.count() == 1


def test_analyst_cannot_put_products(analyst_api: ApiClient) -> None:
    response = analyst_api.put("/products/by-external-id/p-1", {"sku": "X", "name": "X", "price": "1"})

    assert_problem(response, 403, "permission_denied")
    assert Product.objects.count() == 0


# orders


def test_post_order_for_a_customer_id_prices_lines_from_the_catalogue(lead_api: ApiClient) -> None:
    customer = CustomerFactory()
    mug = ProductFactory(sku="MUG-1", name="Mug", price=Decimal("12.50"))

    response = lead_api.post("/orders", _order_payload(customer_id=customer.pk, external_id="o-1"))

    assert response.status_code == 201, response.content
    order = Order.objects.get()
    lines = list(order.lines.order_by("id"))
    assert response.json() == {
        "id": order.pk,
        "external_id": "o-1",
        "number": "R-1001",
        "customer_id": customer.pk,
        "status": "paid",
        "placed_at": PLACED,
        "currency": "EUR",
        "shipping_total": "4.95",
        "total": "32.95",
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
        "lines": [
            {
                "id": lines[0].pk,
                "product_id": mug.pk,
                "sku": "MUG-1",
                "name": "Mug",
                "quantity": 2,
                "unit_price": "12.50",
                "line_total": "25.00",
            },
            {
                "id": lines[1].pk,
                "product_id": None,
                "sku": "GIFT",
                "name": "Gift wrap",
                "quantity": 1,
                "unit_price": "3.00",
                "line_total": "3.00",
            },
        ],
        "shipments": [],
    }


def test_post_order_by_customer_external_id(lead_api: ApiClient) -> None:
    customer = CustomerFactory(external_id="shop-cust-9")
    ProductFactory(sku="MUG-1")

    response = lead_api.post("/orders", _order_payload(customer_external_id="shop-cust-9"))

    assert response.status_code == 201
    assert response.json()["customer_id"] == customer.pk


def test_post_order_by_email_finds_the_customer_or_creates_one(lead_api: ApiClient) -> None:
    known = EmailIdentityFactory(value="known@example.org").customer
    ProductFactory(sku="MUG-1")

    to_known = lead_api.post("/orders", _order_payload(customer_email="KNOWN@example.org"))
    to_new = lead_api.post("/orders", _order_payload(number="R-1002", customer_email="new@example.org"))

    assert to_known.json()["customer_id"] == known.pk
    new_customer = Identity.objects.get(value="new@example.org").customer
    assert to_new.json()["customer_id"] == new_customer.pk
    assert Customer.objects.count() == 2


def test_post_order_with_a_bad_line_writes_nothing_not_even_the_new_customer(lead_api: ApiClient) -> None:
    ProductFactory(sku="MUG-1")
    before = _counts()

    response = lead_api.post(
        "/orders",
        _order_payload(customer_email="first.time@example.org", lines=[{"sku": "MUG-1"}, {"sku": "NOPE"}]),
    )

    body = assert_problem(response, 422, "unknown_sku")
    assert body["detail"].startswith("line 2: unknown SKU 'NOPE'")
    assert _counts() == before
    assert not Identity.objects.filter(value="first.time@example.org").exists()


@pytest.mark.parametrize(
    "refs",
    [
        {},
        {"customer_id": 1, "customer_email": "a@example.org"},
        {"customer_external_id": "x", "customer_id": 1},
    ],
)
def test_post_order_needs_exactly_one_customer_reference(lead_api: ApiClient, refs: dict[str, Any]) -> None:
    ProductFactory(sku="MUG-1")
    before = _counts()

    assert_problem(lead_api.post("/orders", _order_payload(**refs)), 422, "customer_reference_required")
    assert _counts() == before


@pytest.mark.parametrize("refs", [{"customer_id": 424242}, {"customer_external_id": "nobody"}])
def test_post_order_for_an_unknown_customer_is_not_found(lead_api: ApiClient, refs: dict[str, Any]) -> None:
    ProductFactory(sku="MUG-1")

    assert_problem(lead_api.post("/orders", _order_payload(**refs)), 404, "customer_not_found")
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"placed_at": "2025-03-01T09:30:00"},
        {"lines": []},
        {"lines": [{"sku": "MUG-1", "quantity": 0}]},
        {"lines": [{"sku": "MUG-1", "quantity": "two"}]},
        {"status": "lost"},
        {"shipping_total": 4.95},
        {"customer_id": "me"},
    ],
)
def test_post_order_with_wrong_types_writes_nothing(lead_api: ApiClient, overrides: dict[str, Any]) -> None:
    customer = CustomerFactory()
    ProductFactory(sku="MUG-1")
    before = _counts()

    response = lead_api.post("/orders", {**_order_payload(customer_id=customer.pk), **overrides})

    assert_problem(response, 422, "invalid_request")
    assert _counts() == before


def test_post_order_with_a_number_of_another_order_is_a_conflict(lead_api: ApiClient) -> None:
    OrderFactory(number="R-1001", external_id="o-1")
    customer = CustomerFactory()
    ProductFactory(sku="MUG-1")

    response = lead_api.post("/orders", _order_payload(customer_id=customer.pk, external_id="o-2"))

    assert_problem(response, 409, "order_number_taken")
    assert Order.objects.count() == 1


@pytest.mark.parametrize("client", ["agent_api", "analyst_api"])
def test_agents_and_analysts_cannot_post_orders(request: pytest.FixtureRequest, client: str) -> None:
    api: ApiClient = request.getfixturevalue(client)
    customer = CustomerFactory()
    ProductFactory(sku="MUG-1")

    assert_problem(api.post("/orders", _order_payload(customer_id=customer.pk)), 403, "permission_denied")
    assert Order.objects.count() == 0


def test_put_order_by_external_id_is_idempotent_and_replaces_lines(lead_api: ApiClient) -> None:
    customer = CustomerFactory()
    ProductFactory(sku="MUG-1", price=Decimal("10.00"))
    payload = _order_payload(customer_id=customer.pk)

    first = lead_api.put("/orders/by-external-id/o-9", payload)
    again = lead_api.put("/orders/by-external-id/o-9", payload)
    changed = lead_api.put(
        "/orders/by-external-id/o-9",
        {**payload, "status": "cancelled", "lines": [{"sku": "MUG-1", "quantity": 1}]},
    )

    assert (first.status_code, again.status_code, changed.status_code) == (201, 200, 200)
    assert first.json()["total"] == again.json()["total"] == "27.95"
    assert (changed.json()["status"], changed.json()["total"]) == ("cancelled", "14.95")
    assert [line["quantity"] for line in changed.json()["lines"]] == [1]
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 1


def test_list_orders_filters_by_customer_status_and_time(agent_api: ApiClient) -> None:
    ada, bea = CustomerFactory(), CustomerFactory()
    march = OrderFactory(customer=ada, number="A-1", placed_at=datetime(2025, 3, 1, tzinfo=UTC))
    OrderFactory(
        customer=ada, number="A-2", placed_at=datetime(2025, 4, 1, tzinfo=UTC), status=OrderStatus.REFUNDED
    )
    OrderFactory(customer=bea, number="B-1", placed_at=datetime(2025, 5, 1, tzinfo=UTC))

    def numbers(**params: Any) -> list[str]:
        response = agent_api.get("/orders", params)
        assert response.status_code == 200, response.content
        return [o["number"] for o in response.json()["items"]]

    assert numbers() == ["B-1", "A-2", "A-1"]
    assert numbers(customer_id=ada.pk) == ["A-2", "A-1"]
    assert numbers(status="refunded") == ["A-2"]
    assert numbers(placed_after="2025-03-15T00:00:00Z", placed_before="2025-05-01T00:00:00Z") == ["A-2"]
    assert agent_api.get("/orders", {"limit": 1}).json()["count"] == 3
    assert agent_api.get("/orders", {"customer_id": ada.pk}).json()["items"][-1]["id"] == march.pk


@pytest.mark.parametrize(
    "params",
    [{"status": "lost"}, {"placed_after": "2025-03-15T00:00:00"}, {"customer_id": "ada"}, {"limit": 500}],
)
def test_list_orders_with_bad_filters_is_an_invalid_request(
    agent_api: ApiClient, params: dict[str, Any]
) -> None:
    assert_problem(agent_api.get("/orders", params), 422, "invalid_request")


def test_get_order_with_lines_and_shipments(agent_api: ApiClient) -> None:
    line = OrderLineFactory()
    shipment = ShipmentFactory(order=line.order, carrier="DHL", tracking_number="JD1")

    body = agent_api.get(f"/orders/{line.order_id}").json()

    assert [li["id"] for li in body["lines"]] == [line.pk]
    assert [(s["id"], s["carrier"], s["tracking_number"], s["status"]) for s in body["shipments"]] == [
        (shipment.pk, "DHL", "JD1", "pending")
    ]


def test_get_unknown_order_is_not_found(agent_api: ApiClient) -> None:
    assert_problem(agent_api.get("/orders/424242"), 404, "order_not_found")


# shipments


def test_post_shipment_then_the_same_tracking_number_updates_it(lead_api: ApiClient) -> None:
    order = OrderFactory()

    created = lead_api.post(
        f"/orders/{order.pk}/shipments",
        {"carrier": "DHL", "tracking_number": "JD1", "status": "in_transit", "shipped_at": PLACED},
    )
    delivered = lead_api.post(
        f"/orders/{order.pk}/shipments",
        {
            "carrier": "DHL",
            "tracking_number": "JD1",
            "status": "delivered",
            "delivered_at": "2025-03-03T15:00:00+01:00",
            "signed_for_name": "A. Lovelace",
        },
    )

    shipment = Shipment.objects.get()
    assert (created.status_code, delivered.status_code) == (201, 200)
    assert delivered.json() == {
        "id": shipment.pk,
        "external_id": None,
        "order_id": order.pk,
        "carrier": "DHL",
        "tracking_number": "JD1",
        "status": "delivered",
        "shipped_at": PLACED,
        # Answered in UTC, as every time the API returns.
        "delivered_at": "2025-03-03T14:00:00+00:00",
        "signed_for_name": "A. Lovelace",
        "updated_at": shipment.updated_at.isoformat(),
    }
    assert shipment.delivered_at == datetime(2025, 3, 3, 14, tzinfo=UTC)


def test_post_shipment_for_unknown_order_and_bad_status(lead_api: ApiClient) -> None:
    order = OrderFactory()

    assert_problem(lead_api.post("/orders/424242/shipments", {"carrier": "DHL"}), 404, "order_not_found")
    assert_problem(
        lead_api.post(f"/orders/{order.pk}/shipments", {"status": "teleported"}), 422, "invalid_request"
    )
    assert Shipment.objects.count() == 0


def test_agent_cannot_post_shipments(agent_api: ApiClient) -> None:
    order = OrderFactory()

    assert_problem(
        agent_api.post(f"/orders/{order.pk}/shipments", {"carrier": "DHL"}), 403, "permission_denied"
    )
    assert Shipment.objects.count() == 0


def test_put_shipment_by_external_id_is_idempotent(lead_api: ApiClient) -> None:
    order = OrderFactory()
    payload = {"order_id": order.pk, "carrier": "UPS", "tracking_number": "1Z", "status": "in_transit"}

    first = lead_api.put("/shipments/by-external-id/s-1", payload)
    again = lead_api.put("/shipments/by-external-id/s-1", payload)

    assert (first.status_code, again.status_code) == (201, 200)
    # updated_at moves on every push; everything the store sent stays as it was.
    assert {**again.json(), "updated_at": None} == {**first.json(), "updated_at": None}
    assert first.json()["external_id"] == "s-1"
    assert Shipment.objects.count() == 1


def test_put_shipment_onto_another_order_is_a_conflict(lead_api: ApiClient) -> None:
    shipment = ShipmentFactory(external_id="s-1")
    other = OrderFactory()

    response = lead_api.put("/shipments/by-external-id/s-1", {"order_id": other.pk, "carrier": "UPS"})

    assert_problem(response, 409, "shipment_order_mismatch")
    shipment.refresh_from_db()
    assert shipment.carrier == "DHL"


def test_put_shipment_without_order_is_an_invalid_request(lead_api: ApiClient) -> None:
    assert_problem(lead_api.put("/shipments/by-external-id/s-1", {"carrier": "UPS"}), 422, "invalid_request")
    assert Shipment.objects.count() == 0


def test_get_shipment_and_unknown_shipment(agent_api: ApiClient) -> None:
    shipment = ShipmentFactory(tracking_number="JD1")

    assert agent_api.get(f"/shipments/{shipment.pk}").json()["tracking_number"] == "JD1"
    assert_problem(agent_api.get("/shipments/424242"), 404, "shipment_not_found")


# wishlists


def test_wishlist_add_list_and_remove(lead_api: ApiClient) -> None:
    customer = CustomerFactory()
    mug, pot = ProductFactory(sku="MUG-1"), ProductFactory(sku="POT-1")

    added = lead_api.post(f"/customers/{customer.pk}/wishlist", {"product_id": mug.pk})
    lead_api.post(f"/customers/{customer.pk}/wishlist", {"product_id": pot.pk})
    twice = lead_api.post(f"/customers/{customer.pk}/wishlist", {"product_id": mug.pk})
    listed = lead_api.get(f"/customers/{customer.pk}/wishlist")
    removed = lead_api.delete(f"/customers/{customer.pk}/wishlist/{mug.pk}")

    item = WishlistItem.objects.get(product=pot)
    assert added.status_code == 201
    assert added.json()["product"]["sku"] == "MUG-1"
    assert twice.json()["id"] == added.json()["id"]
    assert listed.json()["count"] == 2
    assert [i["product"]["sku"] for i in listed.json()["items"]] == ["POT-1", "MUG-1"]
    assert removed.status_code == 204
    assert list(WishlistItem.objects.values_list("pk", flat=True)) == [item.pk]


def test_wishlist_removal_of_an_item_not_on_it_is_not_found(lead_api: ApiClient) -> None:
    customer, product = CustomerFactory(), ProductFactory()

    assert_problem(
        lead_api.delete(f"/customers/{customer.pk}/wishlist/{product.pk}"), 404, "wishlist_item_not_found"
    )


def test_wishlist_of_unknown_customer_or_product_is_not_found(lead_api: ApiClient) -> None:
    customer, product = CustomerFactory(), ProductFactory()

    assert_problem(lead_api.get("/customers/424242/wishlist"), 404, "customer_not_found")
    assert_problem(
        lead_api.post("/customers/424242/wishlist", {"product_id": product.pk}), 404, "customer_not_found"
    )
    assert_problem(
        lead_api.post(f"/customers/{customer.pk}/wishlist", {"product_id": 424242}), 404, "product_not_found"
    )
    assert WishlistItem.objects.count() == 0


def test_agent_can_read_a_wishlist_but_not_change_it(agent_api: ApiClient) -> None:
    customer, product = CustomerFactory(), ProductFactory()
    WishlistItem.objects.create(customer=customer, product=product)

    assert agent_api.get(f"/customers/{customer.pk}/wishlist").json()["count"] == 1
    assert_problem(
        agent_api.post(f"/customers/{customer.pk}/wishlist", {"product_id": product.pk}),
        403,
        "permission_denied",
    )
    assert_problem(
        agent_api.delete(f"/customers/{customer.pk}/wishlist/{product.pk}"), 403, "permission_denied"
    )
    assert WishlistItem.objects.count() == 1


def test_wishlist_with_wrong_types_is_an_invalid_request(lead_api: ApiClient) -> None:
    customer = CustomerFactory()

    assert_problem(
        lead_api.post(f"/customers/{customer.pk}/wishlist", {"product_id": "mug"}), 422, "invalid_request"
    )
    assert WishlistItem.objects.count() == 0


def test_order_times_that_have_no_utc_form_are_an_invalid_request(lead_api: ApiClient) -> None:
    customer = CustomerFactory()
    ProductFactory(sku="MUG-1")

    posted = lead_api.post(
        "/orders", _order_payload(customer_id=customer.pk, placed_at="0001-01-01T00:00:00+01:00")
    )
    listed = lead_api.get("/orders", {"placed_before": "9999-12-31T23:59:59-05:00"})

    assert_problem(posted, 422, "invalid_request")
    assert_problem(listed, 422, "invalid_request")
    assert Order.objects.count() == 0
