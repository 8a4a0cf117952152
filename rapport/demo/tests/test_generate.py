"""The demo generator: requested sizes, repeatability, consistency with the services, sign-in."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import phonenumbers
import pytest
import time_machine
from django.db import connection, transaction
from django.db.models import Count, Sum

from rapport.accounts.models import AuditEntry, Role, User
from rapport.accounts.permissions import Actor
from rapport.accounts.safety import DEMO_EMAILS, DEMO_PASSWORD
from rapport.commerce.models import Order, OrderLine, Product, Shipment, ShipmentStatus, WishlistItem
from rapport.commerce.selectors import lifetime_spend
from rapport.commerce.services import LineInput, upsert_order, upsert_shipment
from rapport.customers.models import Customer, Identity, IdentityKind, Note, TimelineEvent
from rapport.customers.selectors import timeline_for
from rapport.demo.generate import SPAN_DAYS, generate
from rapport.demo.writing import plain_indexes_deferred

NOW = datetime(2025, 6, 1, tzinfo=UTC)
# The desk part runs through the desk's services at the current time; it has its own test below.
SMALL = {"customers": 200, "products": 50, "orders": 2000, "conversations": 0}


@pytest.fixture
def store(db: None) -> dict[str, int]:
    return generate(**SMALL, seed=42, now=NOW).counts


def snapshot() -> dict[str, Any]:
    return {
        "customers": list(
            Customer.objects.order_by("external_id").values_list(
                "external_id", "name", "country", "language", "time_zone", "created_at", "associate__email"
            )
        ),
        "identities": sorted(
            Identity.objects.values_list("customer__external_id", "kind", "value", "is_primary")
        ),
        "tags": sorted(Customer.tags.through.objects.values_list("customer__external_id", "tag__name")),
        "products": list(Product.objects.order_by("sku").values_list("sku", "name", "price", "is_active")),
        "orders": list(
            Order.objects.order_by("number").values_list(
                "number", "customer__external_id", "status", "placed_at", "total"
            )
        ),
        "lines": sorted(OrderLine.objects.values_list("order__number", "sku", "quantity", "unit_price")),
        "shipments": sorted(
            Shipment.objects.values_list(
                "order__number", "carrier", "tracking_number", "status", "delivered_at"
            )
        ),
        "events": sorted(
            TimelineEvent.objects.values_list("customer__external_id", "kind", "occurred_at", "summary")
        ),
    }


def test_makes_the_requested_numbers_of_customers_products_and_orders(store: dict[str, int]) -> None:
    assert (Customer.objects.count(), Product.objects.count(), Order.objects.count()) == (200, 50, 2000)
    assert (store["customers"], store["products"], store["orders"]) == (200, 50, 2000)
    assert store["order_lines"] == OrderLine.objects.count()
    assert store["timeline_events"] == TimelineEvent.objects.count()
    assert AuditEntry.objects.get(action="demo.seed").after == store


def test_products_spread_over_ten_categories_with_brands_and_prices(store: dict[str, int]) -> None:
    per_category = Counter(Product.objects.values_list("category", flat=True))

    assert len(per_category) == 10
    assert set(per_category.values()) == {5}
    assert Product.objects.filter(brand="").count() == 0
    assert all(1 <= price < 1200 for price in Product.objects.values_list("price", flat=True))


def test_the_same_seed_gives_the_same_data(db: None) -> None:
    snapshots = []
    for seed in (7, 7, 8):
        with transaction.atomic():
            generate(**SMALL, seed=seed, now=NOW, staff=False)
            snapshots.append(snapshot())
            transaction.set_rollback(True)

    assert snapshots[0] == snapshots[1]
    assert snapshots[0]["customers"] != snapshots[2]["customers"]


def test_demo_users_sign_in_with_the_published_password(store: dict[str, int]) -> None:
    users = {user.email: user for user in User.objects.filter(email__in=DEMO_EMAILS)}

    assert sorted(users) == sorted(DEMO_EMAILS)
    assert all(user.check_password(DEMO_PASSWORD) for user in users.values())
    assert {user.email: user.role for user in users.values()} == {
        "admin@demo.test": Role.ADMIN,
        "lead@demo.test": Role.LEAD,
        "agent@demo.test": Role.AGENT,
        "analyst@demo.test": Role.ANALYST,
    }
    assert all(user.full_name for user in users.values())
    assert len({user.team_id for user in users.values()}) == 2


def test_order_totals_are_the_sum_of_lines_plus_shipping(store: dict[str, int]) -> None:
    orders = Order.objects.annotate(lines_total=Sum("lines__line_total"), line_count=Count("lines"))

    assert all(order.total == order.lines_total + order.shipping_total for order in orders)
    assert all(1 <= order.line_count <= 4 for order in orders)
    assert all(line.line_total == line.unit_price * line.quantity for line in OrderLine.objects.all())


def test_repeat_purchases_are_skewed(store: dict[str, int]) -> None:
    per_customer = sorted(Customer.objects.annotate(n=Count("orders")).values_list("n", flat=True))

    assert per_customer.count(0) == 16
    assert per_customer.count(1) >= 20
    assert per_customer[-1] >= 50
    assert per_customer[len(per_customer) // 2] < 2000 / 200


def test_orders_fall_in_the_last_two_years(store: dict[str, int]) -> None:
    placed = Order.objects.values_list("placed_at", flat=True)

    assert (NOW - min(placed)).days <= SPAN_DAYS
    assert max(placed) < NOW


def test_identities_are_valid_and_several_per_customer_for_some(store: dict[str, int]) -> None:
    phones = Identity.objects.filter(kind=IdentityKind.PHONE).values_list("value", flat=True)
    per_customer = Counter(Identity.objects.values_list("customer_id", flat=True))

    assert all(phonenumbers.is_valid_number(phonenumbers.parse(phone)) for phone in phones)
    assert len({phonenumbers.region_code_for_number(phonenumbers.parse(p)) for p in phones}) >= 5
    emails = Identity.objects.filter(kind=IdentityKind.EMAIL).values_list("value", flat=True)
    # Only domains reserved for examples: no demo message can reach a real person.
    assert all(re.fullmatch(r"[^@\s]+@([a-z]+\.)?example(\.(com|net|org))?", email) for email in emails)
    assert Identity.objects.filter(kind=IdentityKind.SOCIAL).exists()
    assert max(per_customer.values()) >= 3
    assert all(
        Identity.objects.filter(customer=customer, kind=IdentityKind.EMAIL, is_primary=True).count() == 1
        for customer in Customer.objects.all()
    )


def test_possible_duplicates_come_in_pairs_with_the_same_name(store: dict[str, int]) -> None:
    duplicates = Customer.objects.filter(tags__name="possible-duplicate")
    by_name = Counter(duplicates.values_list("name", flat=True))

    assert duplicates.count() == 4
    for name in by_name:
        pair = list(duplicates.filter(name=name).prefetch_related("identities"))
        kinds = [sorted(identity.kind for identity in customer.identities.all()) for customer in pair]
        emails = {i.value for customer in pair for i in customer.identities.all() if i.kind == "email"}
        assert len(pair) >= 2
        assert len(emails) >= 2
        assert ["email"] in kinds  # the duplicate lacks the other's phone
        assert any("phone" in k for k in kinds)


def test_tags_consents_and_associates(store: dict[str, int]) -> None:
    tags = Counter(Customer.tags.through.objects.values_list("tag__name", flat=True))
    associates = set(Customer.objects.exclude(associate=None).values_list("associate__email", flat=True))

    assert tags["newsletter"] == Customer.objects.filter(marketing_consent=True).count()
    assert tags["vip"] >= 1
    assert associates == {"lead@demo.test", "agent@demo.test"}
    assert all(c.associate_id for c in Customer.objects.filter(tags__name="vip"))


def test_shipments_are_mostly_delivered_with_some_in_transit_or_failed(store: dict[str, int]) -> None:
    statuses = Counter(Shipment.objects.values_list("status", flat=True))

    assert statuses[ShipmentStatus.DELIVERED] > 0.85 * sum(statuses.values())
    assert statuses[ShipmentStatus.EXCEPTION] + statuses[ShipmentStatus.RETURNED] > 0
    delivered = Shipment.objects.filter(status=ShipmentStatus.DELIVERED)
    assert not delivered.filter(delivered_at=None).exists()
    assert delivered.exclude(signed_for_name="").exists()
    assert not Shipment.objects.exclude(status=ShipmentStatus.DELIVERED).exclude(delivered_at=None).exists()


def test_every_order_shipment_and_note_is_on_the_timeline(store: dict[str, int]) -> None:
    kinds = Counter(TimelineEvent.objects.values_list("kind", flat=True))

    assert kinds["customer.created"] == 200
    assert kinds["order.placed"] == 2000
    assert sum(n for kind, n in kinds.items() if kind.startswith("shipment.")) == Shipment.objects.count()
    assert kinds["note.added"] == Note.objects.count() > 0
    assert kinds["wishlist.added"] == WishlistItem.objects.count() > 0


def test_timeline_rows_are_those_the_services_write(store: dict[str, int], lead: Actor) -> None:
    generated = Order.objects.filter(
        shipments__status=ShipmentStatus.DELIVERED, shipments__signed_for_name__gt=""
    )
    order = generated.prefetch_related("lines", "shipments").first()
    assert order is not None
    shipment = order.shipments.get()

    twin, _ = upsert_order(
        actor=None,
        customer=order.customer,
        number=f"T{order.number}",
        lines=[
            LineInput(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price)
            for line in order.lines.all()
        ],
        placed_at=order.placed_at,
        status=order.status,
        shipping_total=order.shipping_total,
    )
    upsert_shipment(
        actor=None,
        order=twin,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        status=shipment.status,
        shipped_at=shipment.shipped_at,
        delivered_at=shipment.delivered_at,
        signed_for_name=shipment.signed_for_name,
    )

    def rows(subject: Order) -> list[tuple[str, str, Any, datetime]]:
        events = TimelineEvent.objects.filter(
            subject_id__in=[str(subject.pk), *(str(s.pk) for s in subject.shipments.all())],
            subject_type__in=["commerce.order", "commerce.shipment"],
            customer=order.customer,
        )
        return sorted(
            (e.kind, e.summary.replace(f"T{order.number}", order.number), e.data, e.occurred_at)
            for e in events
        )

    assert twin.total == order.total
    assert len(rows(order)) == 2
    assert rows(twin) == rows(order)
    assert timeline_for(lead, order.customer)
    assert lifetime_spend(lead, order.customer)


def test_without_staff_no_logins_are_made_and_no_one_is_an_associate(db: None) -> None:
    generate(**SMALL, seed=1, now=NOW, staff=False)

    assert not User.objects.exists()
    assert not Customer.objects.exclude(associate=None).exists()
    assert Note.objects.filter(author=None).exists()


def test_refuses_orders_without_customers_or_products(db: None) -> None:
    with pytest.raises(ValueError, match="at least one customer"):
        generate(customers=0, products=10, orders=5, now=NOW)


def test_small_stores_work(db: None) -> None:
    counts = generate(customers=3, products=2, orders=10, seed=5, now=NOW).counts

    assert (counts["customers"], counts["products"], counts["orders"]) == (3, 2, 10)


def _indexes() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
        return cursor.fetchall()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="indexes are set aside on SQLite only")
def test_indexes_set_aside_while_loading_are_all_back_afterwards(db: None) -> None:
    before = _indexes()

    generate(**SMALL, seed=3, now=NOW, staff=False)

    assert _indexes() == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="indexes are set aside on SQLite only")
def test_a_failed_load_brings_the_indexes_back(db: None) -> None:
    before = _indexes()
    during: list[tuple[str, str]] = []

    def load() -> None:
        with transaction.atomic(), plain_indexes_deferred([Order]):
            during.extend(_indexes())
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        load()

    assert len(during) < len(before)
    assert _indexes() == before


# A Tuesday morning in London: the demo's agents work office hours, so routing can assign.
@time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
def test_the_demo_desk_has_conversations_in_every_state_with_sla_clocks(db: None) -> None:
    from rapport.desk.models import Conversation, Macro, SlaPolicy

    counts = generate(customers=200, products=50, orders=2000, conversations=60, seed=7).counts

    assert counts["conversations"] == Conversation.objects.count() == 60
    statuses = set(Conversation.objects.values_list("status", flat=True))
    assert {"new", "pending", "resolved"} <= statuses
    assert SlaPolicy.objects.count() == 3
    assert Macro.objects.count() == 4
    assert Conversation.objects.filter(sla_policy__isnull=False).count() == 60
    assert Conversation.objects.filter(assignee__isnull=False).exists()


def test_demo_replies_are_history_and_are_never_mailed(db: None) -> None:
    from rapport.channels.models import OutboundEmail, SendStatus
    from rapport.demo.channels import settle_demo_replies

    generate(customers=200, products=50, orders=300, conversations=60, seed=7)

    assert OutboundEmail.objects.filter(status=SendStatus.SENT).exists()
    assert not OutboundEmail.objects.filter(status=SendStatus.QUEUED).exists()
    assert settle_demo_replies(after_id=0) == 0
