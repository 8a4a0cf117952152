"""Reads: value tiers from what customers paid, repeated recoveries, what was granted, merges."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.customers.services import merge_customers
from rapport.customers.tests.factories import CustomerFactory
from rapport.recovery.models import RecoveryAction
from rapport.recovery.selectors import (
    customer_value_tier,
    granted_amounts,
    policy_for,
    repeated_recoveries,
    tier_for_total,
)
from rapport.recovery.services.actions import approve_action, cancel_action
from rapport.recovery.tests.factories import PolicyFactory, an_order, propose

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("total", "tier"),
    [
        ("0", "standard"),
        ("199.99", "standard"),
        ("200", "silver"),
        ("499.99", "silver"),
        ("500", "gold"),
        ("1500", "platinum"),
    ],
)
def test_tiers_follow_the_documented_thresholds(total: str, tier: str) -> None:
    assert tier_for_total(Decimal(total)) == tier


def test_tier_counts_paid_orders_of_the_last_365_days_only() -> None:
    customer = CustomerFactory()
    now = timezone.now()
    an_order(customer, lines=[("Bike", 1, "600.00")], shipping="0", placed_at=now - timedelta(days=366))
    an_order(customer, lines=[("Helmet", 1, "150.00")], shipping="0", placed_at=now - timedelta(days=10))
    an_order(customer, lines=[("Tent", 1, "900.00")], shipping="0", status="cancelled", placed_at=now)

    assert customer_value_tier(customer) == "standard"
    an_order(customer, lines=[("Lamp", 1, "60.00")], shipping="0", status="fulfilled", placed_at=now)
    assert customer_value_tier(customer) == "silver"
    with time_machine.travel(now + timedelta(days=360)):
        assert customer_value_tier(customer) == "standard"


def test_repeated_recoveries_count_what_was_granted_in_twelve_months(agent: Actor, lead: Actor) -> None:
    PolicyFactory(per_customer_limit=Decimal("1000"))
    customer = CustomerFactory()
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        propose(agent, customer=customer, amount="40")
    propose(agent, customer=customer, amount="10")
    propose(agent, customer=customer, amount="15.50")
    cancel_action(actor=agent, action=propose(agent, customer=customer, amount="5"))
    # Another currency than the policy's waits for a lead, and counts once approved.
    approve_action(actor=lead, action=propose(agent, customer=customer, amount="5", currency="GBP"))
    propose(agent, customer=customer, amount="7", currency="GBP")

    repeated = repeated_recoveries(agent, customer)

    assert repeated.count == 3
    assert repeated.totals == [("EUR", Decimal("25.50")), ("GBP", Decimal("5.00"))]
    assert repeated.total_text == "€25.50 + £5.00"


def test_granted_amounts_count_the_customers_window_and_the_persons_own_day(
    agent: Actor, lead: Actor
) -> None:
    policy = PolicyFactory(per_customer_limit=Decimal("1000"), per_customer_window_days=7)
    PolicyFactory(role="lead", per_action_limit=Decimal("1000"), per_customer_limit=Decimal("1000"))
    customer = CustomerFactory()
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=8)):
        propose(agent, customer=customer, amount="30")
    propose(agent, customer=customer, amount="20")
    propose(lead, customer=customer, amount="100")
    propose(agent, customer=CustomerFactory(), amount="7")

    granted = granted_amounts(customer=customer, user=agent.user, policy=policy, now=timezone.now())

    assert granted.customer_in_window == Decimal("120.00")
    assert granted.agent_today == Decimal("27.00")


def test_admins_act_under_the_leads_policy() -> None:
    leads = PolicyFactory(role="lead")
    PolicyFactory(role="agent")

    assert policy_for(UserFactory(role=Role.ADMIN)) == leads


def test_a_merge_moves_the_actions_to_the_survivor(agent: Actor, admin: Actor) -> None:
    PolicyFactory()
    survivor, duplicate = CustomerFactory(), CustomerFactory()
    action = propose(agent, customer=duplicate, amount="5")

    merge_customers(actor=admin, source=duplicate, target=survivor)

    assert RecoveryAction.objects.get(pk=action.pk).customer == survivor
