"""Other apps read the lifetime-value tier: SLA policies for valuable customers."""

from __future__ import annotations

import pytest

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.core.errors import ValidationFailed
from rapport.customers.models import Customer
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.services.config.sla_policies import save_sla_policy
from rapport.desk.tests.factories import a_conversation
from rapport.insights.tests.factories_relationships import a_value

pytestmark = pytest.mark.django_db


def _of_tier(tier: str) -> Customer:
    return a_value(clv="500", tier=tier).customer


def test_an_sla_policy_for_gold_customers_times_gold_and_platinum_customers_only() -> None:
    admin = Actor(user=UserFactory(role=Role.ADMIN))
    save_sla_policy(
        actor=admin, name="Valuable", customer_tier="gold", first_response_minutes=30, resolution_minutes=240
    )
    save_sla_policy(actor=admin, name="Everyone", first_response_minutes=240, resolution_minutes=2880)

    assert a_conversation(customer=_of_tier("platinum")).sla_policy.name == "Valuable"
    assert a_conversation(customer=_of_tier("gold")).sla_policy.name == "Valuable"
    assert a_conversation(customer=_of_tier("silver")).sla_policy.name == "Everyone"
    assert a_conversation(customer=CustomerFactory()).sla_policy.name == "Everyone"  # not valued: standard


def test_an_unknown_tier_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        save_sla_policy(
            actor=Actor(user=UserFactory(role=Role.ADMIN)),
            name="Odd",
            customer_tier="diamond",
            first_response_minutes=30,
            resolution_minutes=None,
        )


def test_the_customer_list_shows_and_filters_by_value_tier(client) -> None:  # type: ignore[no-untyped-def]
    gold = _of_tier("gold")
    gold.name = "Golda"
    gold.save()
    plain = CustomerFactory(name="Plain Jane")
    client.force_login(UserFactory(role=Role.ANALYST))

    every = client.get("/customers/").content.decode()
    assert "Golda" in every
    assert "Plain Jane" in every
    assert "<td>Gold</td>" in every
    assert "<td>Standard</td>" in every

    only_gold = client.get("/customers/", {"tier": "gold"}).content.decode()
    assert "Golda" in only_gold
    assert plain.name not in only_gold
    assert "Plain Jane" in client.get("/customers/", {"tier": "standard"}).content.decode()
