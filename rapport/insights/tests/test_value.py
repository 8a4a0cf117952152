"""Lifetime values: one refresh fits both models on paid orders and stores every buyer's value and tier."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from rapport.commerce.models import ImportJob, OrderStatus
from rapport.commerce.tests.factories import OrderFactory
from rapport.customers.models import Customer
from rapport.customers.tests.factories import CustomerFactory
from rapport.insights.models import CustomerValue, ValueModelFit
from rapport.insights.services.value import refresh_after_import, refresh_customer_values, tiers_by_rank
from rapport.recovery.selectors import customer_value_tier

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def _buys(
    customer: Customer, days_ago: list[float], amount: str = "40.00", status: str = OrderStatus.PAID
) -> None:
    for days in days_ago:
        OrderFactory(
            customer=customer, placed_at=NOW - timedelta(days=days), total=Decimal(amount), status=status
        )


def _shop(seed: int = 7) -> dict[str, Customer]:
    """40 customers with a spread of habits, and three whose story the tests know."""
    rng = random.Random(seed)
    for n in range(40):
        first = rng.uniform(200, 700)
        visits = sorted(rng.uniform(0, first) for _ in range(rng.randint(0, 6)))
        _buys(CustomerFactory(name=f"Shopper {n}"), [first, *visits], amount=f"{rng.uniform(15, 120):.2f}")
    regular, lapsed, once = (CustomerFactory(name=name) for name in ("Regular", "Lapsed", "Once"))
    _buys(regular, [360, 300, 240, 180, 120, 60, 10], amount="80.00")
    _buys(lapsed, [700, 650, 600, 550, 500], amount="80.00")
    _buys(once, [30], amount="25.00")
    return {"regular": regular, "lapsed": lapsed, "once": once}


def test_without_paid_orders_nothing_is_fitted() -> None:
    _buys(CustomerFactory(), [10], status=OrderStatus.CANCELLED)
    assert refresh_customer_values(now=NOW) is None
    assert not CustomerValue.objects.exists()


def test_every_buyer_gets_a_value_and_habits_show_in_it() -> None:
    people = _shop()
    CustomerFactory(name="Never bought")

    fit = refresh_customer_values(now=NOW)

    assert fit is not None
    assert fit.customers == CustomerValue.objects.count() == 43
    assert fit.p is not None  # enough repeat buyers for Gamma-Gamma
    regular = CustomerValue.objects.get(customer=people["regular"])
    lapsed = CustomerValue.objects.get(customer=people["lapsed"])
    once = CustomerValue.objects.get(customer=people["once"])
    assert (regular.frequency, lapsed.frequency, once.frequency) == (6, 4, 0)
    assert regular.p_alive > 0.9 > lapsed.p_alive
    assert once.p_alive == 1.0  # BG/NBD: no repeat purchase, no chance yet to have dropped out
    assert regular.expected_purchases_365 > lapsed.expected_purchases_365
    assert regular.expected_purchases_365 > regular.expected_purchases_90 > 0
    assert regular.clv > lapsed.clv
    assert regular.average_order_value == Decimal("80.00")
    assert once.average_order_value == Decimal("25.00")
    assert regular.tier in ("platinum", "gold")


def test_cancelled_and_placed_orders_do_not_count() -> None:
    people = _shop()
    _buys(people["once"], [5, 3], status=OrderStatus.CANCELLED)
    _buys(people["once"], [2], status=OrderStatus.PLACED)

    refresh_customer_values(now=NOW)

    assert CustomerValue.objects.get(customer=people["once"]).frequency == 0


def test_a_refresh_replaces_the_last_one_and_drops_customers_with_no_paid_order_left() -> None:
    people = _shop()
    first = refresh_customer_values(now=NOW)
    people["once"].orders.update(status=OrderStatus.REFUNDED)

    second = refresh_customer_values(now=NOW + timedelta(days=1))

    assert first is not None
    assert second is not None
    assert set(CustomerValue.objects.values_list("fit_id", flat=True)) == {second.pk}
    assert not CustomerValue.objects.filter(customer=people["once"]).exists()
    assert ValueModelFit.objects.count() == 2


def test_tiers_go_by_rank_of_the_customers_with_a_value() -> None:
    values = [float(v) for v in range(100, 0, -1)] + [0.0] * 5

    tiers = tiers_by_rank(np.array(values))

    assert tiers[:5] == ["platinum"] * 5
    assert tiers[5:20] == ["gold"] * 15
    assert tiers[20:50] == ["silver"] * 30
    assert set(tiers[50:]) == {"standard"}


def test_recovery_and_listening_read_the_clv_tier_once_a_customer_has_one() -> None:
    people = _shop()
    cheap = CustomerFactory(name="No value yet")
    _buys(cheap, [2], amount="5.00", status=OrderStatus.PLACED)
    refresh_customer_values(now=NOW)

    stored = CustomerValue.objects.get(customer=people["regular"]).tier
    assert customer_value_tier(people["regular"]) == stored
    assert customer_value_tier(cheap) == "standard"  # no value: a year's paid orders decide


def test_a_finished_order_import_queues_a_refresh(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    _shop()
    with django_capture_on_commit_callbacks(execute=True):
        refresh_after_import(ImportJob(kind="products"))
    assert not CustomerValue.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        refresh_after_import(ImportJob(kind="orders"))
    assert CustomerValue.objects.exists()
