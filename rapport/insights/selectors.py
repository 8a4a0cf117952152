"""Insights reads that pages and the API share, limited to the customers the asking person may see."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.db.models import QuerySet

from rapport.accounts.permissions import Actor, Perm
from rapport.commerce.models import Product
from rapport.customers.models import Customer
from rapport.customers.selectors import customers_visible_to
from rapport.insights.models import CustomerValue, HealthBand, HealthScore, Recommendation, ValueModelFit


@dataclass(frozen=True)
class CustomerInsight:
    customer: Customer
    value: CustomerValue | None
    health: HealthScore | None
    fit: ValueModelFit | None
    recommendations: list[Recommendation]


def customer_insight(actor: Actor, customer: Customer) -> CustomerInsight:
    """The customer's value and health (the caller has already checked the customer is visible)."""
    actor.require(Perm.CUSTOMERS_VIEW)
    value = CustomerValue.objects.select_related("fit").filter(customer=customer).first()
    health = HealthScore.objects.filter(customer=customer).first()
    return CustomerInsight(
        customer=customer,
        value=value,
        health=health,
        fit=value.fit if value else None,
        recommendations=recommendations_for(actor, customer),
    )


NOT_HEALTHY = (HealthBand.WATCH, HealthBand.AT_RISK)


def at_risk(actor: Actor, *, band: str = "", tier: str = "") -> QuerySet[HealthScore]:
    """Customers of a health band (by default both below healthy), most value at risk first."""
    actor.require(Perm.CUSTOMERS_VIEW)
    scores = HealthScore.objects.filter(
        customer__in=customers_visible_to(actor), customer__merged_into__isnull=True
    )
    scores = scores.filter(band=band) if band else scores.filter(band__in=NOT_HEALTHY)
    if tier:
        scores = scores.filter(customer__value__tier=tier)
    return scores.select_related("customer__associate", "customer__value").order_by(
        "-value_at_risk", "customer_id"
    )


def recommendations_for(actor: Actor, customer: Customer, *, limit: int = 5) -> list[Recommendation]:
    """The customer's stored recommendations, best first (the caller has checked the customer is visible)."""
    actor.require(Perm.CUSTOMERS_VIEW)
    return list(
        Recommendation.objects.filter(customer=customer, product__is_active=True)
        .select_related("product", "because")
        .order_by("rank")[:limit]
    )


def product_link(product: Product) -> str:
    """What an agent inserts into a reply: the product's address in the store when one is configured."""
    pattern = settings.RAPPORT_PRODUCT_URL
    text = f"{product.name} ({product.price} {product.currency})"
    if pattern:
        return f"{text}: {pattern.replace('{sku}', quote(product.sku, safe=''))}"
    return f"{text}, item {product.sku}"
