"""Commerce services: products, orders and shipments, idempotent by the store's ids."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rapport.accounts.models import AuditEntry
from rapport.accounts.permissions import Actor
from rapport.commerce import selectors, services
from rapport.commerce.models import Order, OrderLine, Product
from rapport.commerce.services import LineInput
from rapport.commerce.tests.factories import OrderFactory, ProductFactory
from rapport.core.errors import Conflict, PermissionDenied, ValidationFailed
from rapport.customers.models import TimelineEvent
from rapport.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_upsert_product_creates_then_updates_by_external_id(lead: Actor) -> None:
    product, created = services.upsert_product(
        actor=lead, external_id="p-1", sku="MT-1", name="Multitool", price="24.5", currency="eur"
    )
    again, created_again = services.upsert_product(
        actor=lead, external_id="p-1", sku="MT-1", name="Multitool Pro", price="29.00", currency="EUR"
    )

    assert created is True
    assert created_again is False
    assert again.pk == product.pk
    assert Product.objects.get().name == "Multitool Pro"
    assert Product.objects.get().price == Decimal("29.00")
    assert AuditEntry.objects.filter(action="product.update").get().after == {
        "name": "Multitool Pro",
        "price": "29.00",
    }


def test_pushing_the_same_product_twice_writes_no_audit_entry(lead: Actor) -> None:
    for _ in range(2):
        services.upsert_product(actor=lead, external_id="p-1", sku="MT-1", name="Multitool", price="24.50")

    assert AuditEntry.objects.filter(action__startswith="product.").count() == 1


@pytest.mark.parametrize(
    ("price", "currency", "code"),
    [
        ("-1", "EUR", "invalid_amount"),
        ("abc", "EUR", "invalid_amount"),
        ("NaN", "EUR", "invalid_amount"),
        ("1", "EURO", "invalid_currency"),
    ],
)
def test_bad_product_values_are_refused(lead: Actor, price: str, currency: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.upsert_product(actor=lead, sku="X", name="X", price=price, currency=currency)

    assert error.value.code == code
    assert Product.objects.count() == 0


def test_order_total_is_lines_plus_shipping_and_lands_on_the_timeline(lead: Actor) -> None:
    ProductFactory(sku="A", price=Decimal("10.00"))
    ProductFactory(sku="B", price=Decimal("2.50"))
    customer = CustomerFactory()

    order, created = services.upsert_order(
        actor=lead,
        customer=customer,
        number="R-1",
        external_id="o-1",
        lines=[LineInput(sku="A", quantity=2), LineInput(sku="B", quantity=1, unit_price="2.00")],
        shipping_total="4.95",
        placed_at=datetime(2026, 3, 1, 12, tzinfo=UTC),
    )

    assert created
    assert order.total == Decimal("26.95")
    assert [(line.sku, line.line_total) for line in order.lines.all()] == [
        ("A", Decimal("20.00")),
        ("B", Decimal("2.00")),
    ]
    event = TimelineEvent.objects.get(customer=customer, kind="order.placed")
    assert event.occurred_at == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert event.summary == "Order R-1 placed: 2 item(s), 26.95 EUR"


def test_order_pushed_twice_is_updated_not_duplicated(lead: Actor) -> None:
    ProductFactory(sku="A")
    customer = CustomerFactory()
    for status in ["paid", "fulfilled"]:
        services.upsert_order(
            actor=lead,
            customer=customer,
            number="R-1",
            external_id="o-1",
            status=status,
            lines=[LineInput(sku="A", quantity=1)],
        )

    assert Order.objects.get().status == "fulfilled"
    assert OrderLine.objects.count() == 1
    assert TimelineEvent.objects.filter(kind="order.placed").count() == 1
    assert TimelineEvent.objects.filter(kind="order.status_changed").count() == 1


def test_order_with_an_unknown_sku_is_refused_whole(lead: Actor) -> None:
    ProductFactory(sku="A")

    with pytest.raises(ValidationFailed) as error:
        services.upsert_order(
            actor=lead,
            customer=CustomerFactory(),
            number="R-1",
            lines=[LineInput(sku="A", quantity=1), LineInput(sku="NOPE", quantity=1)],
        )

    assert error.value.code == "unknown_sku"
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0


def test_order_number_of_another_order_is_a_conflict(lead: Actor) -> None:
    ProductFactory(sku="A")
    OrderFactory(number="R-1", external_id="o-1")

    with pytest.raises(Conflict):
        services.upsert_order(
            actor=lead,
            customer=CustomerFactory(),
            number="R-1",
            external_id="o-2",
            lines=[LineInput(sku="A", quantity=1)],
        )


def test_shipment_status_changes_land_on_the_timeline(lead: Actor) -> None:
    order = OrderFactory()

    services.upsert_shipment(
        actor=lead, order=order, external_id="s-1", carrier="DHL", tracking_number="JD1", status="in_transit"
    )
    services.upsert_shipment(
        actor=lead,
        order=order,
        external_id="s-1",
        carrier="DHL",
        tracking_number="JD1",
        status="delivered",
        signed_for_name="J. Doe",
    )

    kinds = list(TimelineEvent.objects.filter(customer=order.customer).values_list("kind", flat=True))
    assert sorted(kinds) == ["shipment.delivered", "shipment.in_transit"]
    delivered = TimelineEvent.objects.get(kind="shipment.delivered")
    assert "signed for by J. Doe" in delivered.summary
    assert order.shipments.get().delivered_at is not None


def test_lifetime_spend_excludes_cancelled_orders(agent: Actor) -> None:
    customer = CustomerFactory()
    OrderFactory(customer=customer, total=Decimal("10.00"))
    OrderFactory(customer=customer, total=Decimal("5.00"))
    OrderFactory(customer=customer, total=Decimal("99.00"), status="cancelled")

    spend = selectors.lifetime_spend(agent, customer)

    assert [(s.currency, s.total, s.orders) for s in spend] == [("EUR", Decimal("15.00"), 2)]


def test_agent_may_read_but_not_write_commerce(agent: Actor) -> None:
    with pytest.raises(PermissionDenied):
        services.upsert_product(actor=agent, sku="X", name="X", price="1")
    assert selectors.products_visible_to(agent).count() == 0


def test_update_product_changes_only_given_fields_and_audits(lead: Actor) -> None:
    product = ProductFactory(sku="MUG-1", name="Mug", price=Decimal("12.00"))

    updated = services.update_product(actor=lead, product=product, price="9.5", currency="usd")

    assert (updated.sku, updated.name, updated.price, updated.currency) == (
        "MUG-1",
        "Mug",
        Decimal("9.50"),
        "USD",
    )
    assert AuditEntry.objects.get(action="product.update").after == {"price": "9.50", "currency": "USD"}


def test_update_product_refuses_a_taken_sku_and_unknown_fields(lead: Actor, agent: Actor) -> None:
    ProductFactory(sku="TAKEN")
    product = ProductFactory(sku="MINE")

    with pytest.raises(Conflict):
        services.update_product(actor=lead, product=product, sku="TAKEN")
    with pytest.raises(ValidationFailed):
        services.update_product(actor=lead, product=product, created_at="now")
    with pytest.raises(PermissionDenied):
        services.update_product(actor=agent, product=product, name="Cup")
    product.refresh_from_db()
    assert product.sku == "MINE"


def test_upsert_order_for_an_email_creates_the_customer_only_with_the_order(lead: Actor) -> None:
    from rapport.customers.models import Customer

    ProductFactory(sku="MUG-1")
    ref = services.CustomerRef(email="first@example.org")

    with pytest.raises(ValidationFailed):
        services.upsert_order_for(
            actor=lead, customer_ref=ref, number="R-1", lines=[LineInput(sku="NOPE", quantity=1)]
        )
    assert Customer.objects.count() == 0
    order, created = services.upsert_order_for(
        actor=lead, customer_ref=ref, number="R-1", lines=[LineInput(sku="MUG-1", quantity=1)]
    )

    assert created
    assert order.customer.identities.get().value == "first@example.org"


@pytest.mark.parametrize("ref", [services.CustomerRef(), services.CustomerRef(id=1, email="a@example.org")])
def test_upsert_order_for_needs_exactly_one_customer_reference(
    lead: Actor, ref: services.CustomerRef
) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        services.upsert_order_for(
            actor=lead, customer_ref=ref, number="R-1", lines=[LineInput(sku="X", quantity=1)]
        )

    assert excinfo.value.code == "customer_reference_required"


def test_repushing_an_unchanged_order_writes_nothing(lead: Actor) -> None:
    ProductFactory(sku="A")
    customer = CustomerFactory()
    placed = datetime(2026, 1, 5, 9, tzinfo=UTC)
    order, _ = services.upsert_order(
        actor=lead,
        customer=customer,
        number="R-9",
        external_id="o-9",
        lines=[LineInput(sku="A", quantity=2)],
        placed_at=placed,
    )
    line_ids = list(order.lines.values_list("id", flat=True))

    again, created = services.upsert_order(
        actor=lead, customer=customer, number="R-9", external_id="o-9", lines=[LineInput(sku="A", quantity=2)]
    )

    assert created is False
    assert again.placed_at == placed
    assert list(again.lines.values_list("id", flat=True)) == line_ids
    assert AuditEntry.objects.filter(action="order.update").count() == 0


def test_order_matched_by_number_keeps_the_external_id_it_was_sent_with(lead: Actor) -> None:
    ProductFactory(sku="A")
    OrderFactory(number="R-10", external_id=None)

    order, created = services.upsert_order(
        actor=lead,
        customer=CustomerFactory(),
        number="R-10",
        external_id="shop-10",
        lines=[LineInput(sku="A", quantity=1)],
    )

    assert created is False
    assert Order.objects.get(pk=order.pk).external_id == "shop-10"


def test_amount_beyond_the_column_is_refused(lead: Actor) -> None:
    ProductFactory(sku="A", price=Decimal("9000000000.00"))

    with pytest.raises(ValidationFailed) as error:
        services.upsert_order(
            actor=lead, customer=CustomerFactory(), number="BIG", lines=[LineInput(sku="A", quantity=2)]
        )

    assert error.value.code == "amount_too_large"
    assert Order.objects.count() == 0


def test_repushing_a_delivered_shipment_keeps_its_delivery_time(lead: Actor) -> None:
    order = OrderFactory()
    first, _ = services.upsert_shipment(actor=lead, order=order, external_id="s-7", status="delivered")

    again, created = services.upsert_shipment(actor=lead, order=order, external_id="s-7", status="delivered")

    assert created is False
    assert again.delivered_at == first.delivered_at
    assert AuditEntry.objects.filter(action="shipment.update").count() == 0


def test_shipment_history_keeps_the_dates_the_store_sent(lead: Actor) -> None:
    order = OrderFactory()
    shipped = datetime(2025, 6, 1, 8, tzinfo=UTC)

    services.upsert_shipment(
        actor=lead, order=order, external_id="s-9", status="in_transit", shipped_at=shipped
    )

    assert TimelineEvent.objects.get(kind="shipment.in_transit").occurred_at == shipped
