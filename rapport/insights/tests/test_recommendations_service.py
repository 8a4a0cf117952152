"""Stored recommendations: never what the customer owns, wished for, dislikes or what is no longer sold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rapport.commerce.models import OrderStatus, Product, WishlistItem
from rapport.commerce.tests.factories import OrderFactory, OrderLineFactory, ProductFactory
from rapport.customers.models import Customer, Preference
from rapport.customers.tests.factories import CustomerFactory
from rapport.insights.models import Recommendation, SimilarProduct
from rapport.insights.services.recommendations import refresh_recommendations

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def _buys(customer: Customer, *products: Product, days_ago: int = 30, status: str = OrderStatus.PAID) -> None:
    order = OrderFactory(customer=customer, placed_at=NOW - timedelta(days=days_ago), status=status)
    for product in products:
        OrderLineFactory(order=order, product=product, sku=product.sku, quantity=1, unit_price=Decimal("10"))


def _camping_shop() -> dict[str, Product]:
    """Tent buyers also buy stoves and mats; boot buyers buy socks. Ten customers make the pattern."""
    products = {
        "tent": ProductFactory(name="Tent", category="Camping"),
        "stove": ProductFactory(name="Stove", category="Camping", brand="Blaze"),
        "mat": ProductFactory(name="Mat", category="Camping"),
        "boots": ProductFactory(name="Boots", category="Footwear"),
        "socks": ProductFactory(name="Socks", category="Footwear"),
    }
    for n in range(6):
        _buys(CustomerFactory(name=f"Camper {n}"), products["tent"], products["stove"], products["mat"])
    for n in range(4):
        _buys(CustomerFactory(name=f"Walker {n}"), products["boots"], products["socks"])
    return products


def _recommended(customer: Customer) -> list[str]:
    return [r.product.name for r in Recommendation.objects.filter(customer=customer).order_by("rank")]


def test_a_new_tent_owner_is_offered_the_stove_and_mat_because_of_the_tent() -> None:
    products = _camping_shop()
    ada = CustomerFactory(name="Ada")
    _buys(ada, products["tent"])

    result = refresh_recommendations(now=NOW)

    assert set(_recommended(ada)[:2]) == {"Stove", "Mat"}
    first = Recommendation.objects.filter(customer=ada).order_by("rank").first()
    assert first is not None
    assert first.because == products["tent"]
    assert not first.because_wishlist
    assert result.recommendations == Recommendation.objects.count()
    stove_like_tent = SimilarProduct.objects.filter(product=products["tent"]).order_by("rank")
    assert {s.similar.name for s in stove_like_tent[:2]} == {"Stove", "Mat"}


def test_a_product_selling_lately_goes_first_among_equals_and_an_unrelated_bestseller_stays_out() -> None:
    products = _camping_shop()
    # Three campers bought the mat again yesterday: the tent's table is unchanged (a repeat counts once),
    # but the mat is selling lately and the stove is not.
    for camper in Customer.objects.filter(name__in=["Camper 0", "Camper 1", "Camper 2"]):
        _buys(camper, products["mat"], days_ago=1)
    umbrella = ProductFactory(name="Umbrella", category="Rain")
    for n in range(8):
        _buys(CustomerFactory(name=f"Passer-by {n}"), umbrella, days_ago=1)
    ada = CustomerFactory(name="Ada")
    _buys(ada, products["tent"])

    refresh_recommendations(now=NOW)

    assert _recommended(ada) == ["Mat", "Stove"]
    assert set(Recommendation.objects.filter(customer=ada).values_list("because", flat=True)) == {
        products["tent"].pk
    }


def test_nothing_owned_wished_for_disliked_or_discontinued_is_recommended() -> None:
    products = _camping_shop()
    ada = CustomerFactory(name="Ada")
    _buys(ada, products["tent"])
    WishlistItem.objects.create(customer=ada, product=products["boots"])
    Preference.objects.create(customer=ada, kind="brand", value="blaze", likes=False)
    Product.objects.filter(pk=products["socks"].pk).update(is_active=False)

    refresh_recommendations(now=NOW)

    names = _recommended(ada)
    assert "Tent" not in names
    assert "Boots" not in names
    assert "Stove" not in names  # Blaze, a brand Ada dislikes
    assert "Socks" not in names  # no longer sold
    assert names[0] == "Mat"
    assert not SimilarProduct.objects.filter(similar=products["socks"]).exists()


def test_a_wishlist_alone_gives_recommendations_with_it_as_the_reason() -> None:
    products = _camping_shop()
    bea = CustomerFactory(name="Bea")
    WishlistItem.objects.create(customer=bea, product=products["boots"])

    refresh_recommendations(now=NOW)

    first = Recommendation.objects.filter(customer=bea).order_by("rank").first()
    assert first is not None
    assert first.product == products["socks"]
    assert first.because == products["boots"]
    assert first.because_wishlist


def test_unpaid_orders_count_for_nothing_and_a_refresh_replaces_the_last() -> None:
    products = _camping_shop()
    cy = CustomerFactory(name="Cy")
    _buys(cy, products["tent"], status=OrderStatus.CANCELLED)
    refresh_recommendations(now=NOW)
    assert _recommended(cy) == []

    _buys(cy, products["boots"])
    refresh_recommendations(now=NOW)

    assert _recommended(cy)[0] == "Socks"
    assert Recommendation.objects.filter(customer=cy, rank=1).count() == 1


def test_an_empty_shop_stores_nothing() -> None:
    result = refresh_recommendations(now=NOW)
    assert result.recommendations == 0
    assert not Recommendation.objects.exists()
