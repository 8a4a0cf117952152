"""Hand-made values, health scores and orders for the relationships dashboard: figures known in advance."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from rapport.commerce.models import Order, OrderStatus
from rapport.commerce.tests.factories import OrderFactory
from rapport.customers.models import Customer
from rapport.customers.tests.factories import CustomerFactory
from rapport.insights.models import CustomerValue, HealthScore, ValueModelFit


def a_fit(**overrides: object) -> ValueModelFit:
    """A value-model fit with the published CDNOW parameters unless told otherwise."""
    fields: dict[str, object] = {
        "calibration_end": datetime(2025, 1, 1, tzinfo=UTC),
        "customers": 2357,
        "repeat_customers": 1000,
        "r": 0.243,
        "alpha": 4.414,
        "a": 0.793,
        "b": 2.426,
        "log_likelihood": -9582.4,
        "p": 6.25,
        "q": 3.74,
        "gamma": 15.44,
        "annual_discount_rate": 0.1,
        "horizon_months": 12,
    }
    fields.update(overrides)
    return ValueModelFit.objects.create(**fields)


def a_value(
    *,
    clv: str,
    tier: str = "standard",
    customer: Customer | None = None,
    fit: ValueModelFit | None = None,
    **overrides: object,
) -> CustomerValue:
    """A customer's stored value under the latest fit (made when there is none); any field can be given."""
    fields: dict[str, object] = {
        "frequency": 1,
        "recency_days": 10.0,
        "age_days": 100.0,
        "p_alive": 0.5,
        "expected_purchases_90": 0.1,
        "expected_purchases_365": 0.4,
        **overrides,
    }
    return CustomerValue.objects.create(
        customer=customer or CustomerFactory(),
        fit=fit or ValueModelFit.objects.order_by("-pk").first() or a_fit(),
        clv=Decimal(clv),
        tier=tier,
        **fields,
    )


def a_health(
    *,
    band: str,
    value_at_risk: str,
    customer: Customer | None = None,
    reasons: list[str] | None = None,
    score: float = 30.0,
) -> HealthScore:
    return HealthScore.objects.create(
        customer=customer or CustomerFactory(),
        score=score,
        band=band,
        reasons=[{"signal": "buying", "text": text, "points": 10.0} for text in reasons or []],
        p_alive=0.2,
        clv=Decimal("100.00"),
        value_at_risk=Decimal(value_at_risk),
    )


def purchases(customer: Customer, *days: date, status: str = OrderStatus.PAID) -> list[Order]:
    """Orders of this customer at noon UTC on each day."""
    return [
        OrderFactory(customer=customer, placed_at=datetime.combine(day, time(12), tzinfo=UTC), status=status)
        for day in days
    ]


def known_purchases() -> dict[str, Customer]:
    """Six customers whose defection and cohorts over 2024 are worked out in test_relationships_report.

    Ann bought first in 2023 and keeps buying; Ben's last purchase (2023-05-20) leaves him active until
    2024-05-19; Fay's (2023-01-10) until 2024-01-09; Cleo and Dan first bought in March 2024 (Cleo again
    twice in April and once in June; Dan's May order was cancelled); Gus first bought in November 2024,
    again in December and in January 2025 (after the months shown).
    """
    people = {name: CustomerFactory(name=name) for name in ("Ann", "Ben", "Cleo", "Dan", "Fay", "Gus")}
    purchases(people["Ann"], date(2023, 3, 10), date(2024, 2, 5), date(2024, 4, 20))
    purchases(people["Ben"], date(2023, 5, 20))
    purchases(people["Fay"], date(2023, 1, 10))
    purchases(people["Cleo"], date(2024, 3, 3), date(2024, 4, 10), date(2024, 4, 25), date(2024, 6, 1))
    purchases(people["Dan"], date(2024, 3, 15))
    purchases(people["Dan"], date(2024, 5, 5), status=OrderStatus.CANCELLED)
    purchases(people["Gus"], date(2024, 11, 20), date(2024, 12, 2), date(2025, 1, 5))
    return people
