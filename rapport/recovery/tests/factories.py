"""Factories for recovery tests: policies, paid orders with lines, actions proposed through the service."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory

from rapport.accounts.permissions import Actor
from rapport.commerce.models import Order, OrderLine
from rapport.commerce.tests.factories import OrderFactory, OrderLineFactory, ProductFactory
from rapport.customers.models import Customer
from rapport.desk.models import Conversation
from rapport.recovery.models import EmpowermentPolicy, RecoveryAction
from rapport.recovery.services.actions import ActionRequest, LineRequest, propose_action


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmpowermentPolicy

    role = "agent"
    currency = "EUR"
    per_action_limit = Decimal("50")
    per_customer_limit = Decimal("100")
    per_customer_window_days = 30
    per_agent_daily_limit = Decimal("200")
    kinds_needing_approval: list[str] = []
    tier_multipliers = factory.LazyFunction(
        lambda: {"standard": "1", "silver": "1.25", "gold": "1.5", "platinum": "2"}
    )


def an_order(
    customer: Customer,
    *,
    lines: list[tuple[str, int, str]] = (("Mug", 1, "20.00"),),  # type: ignore[assignment]
    shipping: str = "5.00",
    status: str = "paid",
    currency: str = "EUR",
    **kwargs: Any,
) -> Order:
    """A paid order of the customer's: lines as (name, quantity, unit price), total = lines + shipping."""
    order = OrderFactory(
        customer=customer, status=status, currency=currency, shipping_total=Decimal(shipping), **kwargs
    )
    total = Decimal(shipping)
    for name, quantity, price in lines:
        product = ProductFactory(name=name, price=Decimal(price))
        line_total = Decimal(price) * quantity
        OrderLineFactory(
            order=order, product=product, quantity=quantity, unit_price=Decimal(price), line_total=line_total
        )
        total += line_total
    order.total = total
    order.save(update_fields=["total"])
    return order


def lines_of(order: Order) -> list[OrderLine]:
    return list(order.lines.order_by("id"))


def propose(
    actor: Actor,
    *,
    customer: Customer | None = None,
    conversation: Conversation | None = None,
    kind: str = "goodwill_credit",
    reason: str = "goodwill",
    order: Order | None = None,
    lines: list[LineRequest] | None = None,
    amount: str | Decimal | None = None,
    **kwargs: Any,
) -> RecoveryAction:
    who = customer if customer is not None else conversation.customer if conversation is not None else None
    assert who is not None, "name the customer or the conversation"
    return propose_action(
        actor=actor,
        customer=who,
        conversation=conversation,
        request=ActionRequest(
            kind=kind,
            reason=reason,
            order_id=order.pk if order is not None else None,
            lines=lines or [],
            amount=Decimal(amount) if amount is not None else None,
            **kwargs,
        ),
    )
