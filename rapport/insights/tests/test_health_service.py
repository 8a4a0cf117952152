"""Health scores for every customer with a value or a service signal, and the outreach a lead starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.core.errors import Conflict, NotFound, PermissionDenied
from rapport.customers.models import Customer
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.tests.factories import a_conversation
from rapport.insights.models import CustomerValue, HealthScore
from rapport.insights.services.health import refresh_health, start_outreach
from rapport.insights.tests.factories_relationships import a_value
from rapport.listening.models import FollowUp
from rapport.listening.services.scoring import score_new_messages
from rapport.listening.tests.factories import a_customer_message

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def _valued(
    customer: Customer,
    *,
    p_alive: float,
    clv: str,
    frequency: int = 4,
    recency: float = 200,
    age: float = 400,
) -> CustomerValue:
    return a_value(
        customer=customer, clv=clv, p_alive=p_alive, frequency=frequency, recency_days=recency, age_days=age
    )


def test_a_lapsed_valuable_buyer_is_scored_with_the_reason_and_value_at_risk() -> None:
    customer = CustomerFactory(name="Ada Lapsed")
    _valued(customer, p_alive=0.25, clv="100.00", frequency=4, recency=200, age=440)

    assert refresh_health(now=NOW) == 1

    health = HealthScore.objects.get(customer=customer)
    assert health.score == 70.0
    assert health.band == "healthy"
    assert health.reasons[0]["text"] == "No order for 8 months, expected every 2 months (P(still buying) 25%)"
    assert health.value_at_risk == Decimal("300.00")  # 100 / 0.25 x 0.75


def test_service_signals_count_for_customers_who_never_bought() -> None:
    customer = CustomerFactory()
    with time_machine.travel(NOW - timedelta(days=20), tick=False):
        conversation = a_conversation(customer=customer, body_text="This is awful. I am closing my account.")
    with time_machine.travel(NOW - timedelta(days=19), tick=False):
        a_customer_message(conversation, "Terrible, nobody answers. Worst shop ever.")
        score_new_messages()

    refresh_health(now=NOW)

    health = HealthScore.objects.get(customer=customer)
    signals = [reason["signal"] for reason in health.reasons]
    assert "open_problems" in signals
    assert "defection" in signals
    assert "sentiment" in signals
    assert health.score < 70
    assert health.p_alive is None
    assert health.value_at_risk == Decimal("0.00")


def test_a_refresh_drops_customers_with_nothing_left_to_say() -> None:
    customer = CustomerFactory()
    value = _valued(customer, p_alive=0.9, clv="50.00")
    refresh_health(now=NOW)
    value.delete()

    refresh_health(now=NOW + timedelta(days=1))

    assert not HealthScore.objects.filter(customer=customer).exists()


def test_a_lead_starts_one_outreach_for_the_associate_with_a_suggested_message() -> None:
    associate = UserFactory(role=Role.AGENT, full_name="Maria Lopez")
    customer = CustomerFactory(name="Ada Lapsed", associate=associate)
    _valued(customer, p_alive=0.2, clv="80.00")
    refresh_health(now=NOW)
    lead = Actor(user=UserFactory(role=Role.LEAD))

    follow_up = start_outreach(actor=lead, customer_id=customer.pk)

    assert follow_up.assignee == associate
    assert follow_up.title == "Reach out to Ada Lapsed"
    assert "Hi Ada," in follow_up.detail
    assert "Maria Lopez" in follow_up.detail
    assert "No order for" in follow_up.detail
    with pytest.raises(Conflict):
        start_outreach(actor=lead, customer_id=customer.pk)
    assert FollowUp.objects.count() == 1


def test_agents_cannot_start_outreach_and_unknown_customers_are_not_found() -> None:
    customer = CustomerFactory()
    _valued(customer, p_alive=0.2, clv="80.00")
    refresh_health(now=NOW)
    with pytest.raises(PermissionDenied):
        start_outreach(actor=Actor(user=UserFactory(role=Role.AGENT)), customer_id=customer.pk)
    with pytest.raises(NotFound):
        start_outreach(actor=Actor(user=UserFactory(role=Role.LEAD)), customer_id=CustomerFactory().pk)


def test_configured_weights_change_the_score(settings) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_HEALTH_WEIGHTS = {
        "buying": 60.0,
        "open_problems": 10.0,
        "sentiment": 10.0,
        "defection": 10.0,
        "csat": 5.0,
        "sla": 5.0,
    }
    customer = CustomerFactory()
    _valued(customer, p_alive=0.5, clv="10.00")

    refresh_health(now=NOW)

    assert HealthScore.objects.get(customer=customer).score == 70.0  # 100 - 60 x 0.5


def test_weights_that_do_not_add_up_stop_start_up_with_the_reason(settings) -> None:  # type: ignore[no-untyped-def]
    from rapport.insights.checks import check_health_weights

    settings.RAPPORT_HEALTH_WEIGHTS = {"buying": 60.0}
    (error,) = check_health_weights()
    assert error.id == "rapport.E101"
    assert "add up to 100" in error.msg
    settings.RAPPORT_HEALTH_WEIGHTS = {}
    assert check_health_weights() == []
