"""Commerce reads: product and order search, spend for those who may see it, customers by id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rapport.accounts.models import User
from rapport.accounts.permissions import Actor
from rapport.commerce import selectors
from rapport.commerce.models import OrderStatus
from rapport.commerce.tests.factories import OrderFactory, ProductFactory
from rapport.core.errors import NotFound, PermissionDenied
from rapport.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_search_products_by_name_or_exact_sku_and_filters(agent: Actor) -> None:
    cup = ProductFactory(name="Tea cup", sku="CUP-1", category="Kitchen")
    pot = ProductFactory(name="Teapot", sku="POT-1", category="Kitchen", is_active=False)
    ProductFactory(name="Hammer", sku="HAM-1", category="Tools")

    assert list(selectors.search_products(agent, query="tea")) == [cup, pot]
    assert list(selectors.search_products(agent, query="POT-1")) == [pot]
    assert list(selectors.search_products(agent, category="Kitchen", is_active=True)) == [cup]


def test_search_orders_filters_by_customer_status_and_half_open_time_range(agent: Actor) -> None:
    ada = CustomerFactory()
    march = OrderFactory(customer=ada, placed_at=datetime(2025, 3, 1, tzinfo=UTC))
    april = OrderFactory(
        customer=ada, placed_at=datetime(2025, 4, 1, tzinfo=UTC), status=OrderStatus.REFUNDED
    )
    may = OrderFactory(placed_at=datetime(2025, 5, 1, tzinfo=UTC))

    assert list(selectors.search_orders(agent)) == [may, april, march]
    assert list(selectors.search_orders(agent, customer_id=ada.pk)) == [april, march]
    assert list(selectors.search_orders(agent, status="refunded")) == [april]
    assert list(
        selectors.search_orders(
            agent,
            placed_after=datetime(2025, 3, 1, tzinfo=UTC),
            placed_before=datetime(2025, 5, 1, tzinfo=UTC),
        )
    ) == [april, march]


def test_lifetime_spend_if_visible_is_none_for_a_token_without_commerce_scope(agent_user: User) -> None:
    customer = CustomerFactory()
    OrderFactory(customer=customer)
    customers_only = Actor(user=agent_user, via="token", scopes=frozenset({"customers:read"}))
    with_commerce = Actor(user=agent_user, via="token", scopes=frozenset({"commerce:read"}))

    assert selectors.lifetime_spend_if_visible(customers_only, customer) is None
    assert [s.orders for s in selectors.lifetime_spend_if_visible(with_commerce, customer) or []] == [1]


def test_customer_for_commerce_needs_only_the_commerce_view(agent_user: User) -> None:
    customer = CustomerFactory()
    commerce_token = Actor(user=agent_user, via="token", scopes=frozenset({"commerce:read"}))
    customers_token = Actor(user=agent_user, via="token", scopes=frozenset({"customers:read"}))

    assert selectors.customer_for_commerce(commerce_token, customer.pk) == customer
    with pytest.raises(NotFound):
        selectors.customer_for_commerce(commerce_token, customer.pk + 1000)
    with pytest.raises(PermissionDenied):
        selectors.customer_for_commerce(customers_token, customer.pk)


def test_monthly_spend_covers_every_month_and_skips_cancelled_orders(agent: Actor) -> None:
    from datetime import timedelta as _td
    from decimal import Decimal as _D

    from django.utils import timezone as _tz

    from rapport.commerce.selectors import monthly_spend
    from rapport.commerce.tests.factories import OrderFactory
    from rapport.customers.tests.factories import CustomerFactory

    customer = CustomerFactory()
    now = _tz.now()
    OrderFactory(customer=customer, total=_D("10.00"), placed_at=now)
    OrderFactory(customer=customer, total=_D("5.00"), placed_at=now)
    OrderFactory(customer=customer, total=_D("99.00"), placed_at=now, status="cancelled")
    OrderFactory(customer=customer, total=_D("7.00"), placed_at=now - _td(days=800))

    series = monthly_spend(agent, customer, currency="EUR", months=24)

    assert len(series) == 24
    assert series[-1].month == now.strftime("%Y-%m")
    assert (series[-1].total, series[-1].orders) == (_D("15.00"), 2)
    assert sum(point.orders for point in series) == 2
    assert len({point.month for point in series}) == 24


def test_lifetime_spend_is_exact_to_the_cent(agent: Actor) -> None:
    from decimal import Decimal as _D

    from rapport.commerce.selectors import lifetime_spend
    from rapport.commerce.tests.factories import OrderFactory
    from rapport.customers.tests.factories import CustomerFactory

    customer = CustomerFactory()
    for amount in ["0.10", "0.20", "3899.50"]:
        OrderFactory(customer=customer, total=_D(amount))

    (spend,) = lifetime_spend(agent, customer)

    assert str(spend.total) == "3899.80"
