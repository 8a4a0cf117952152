"""The report: cost by reason and kind month by month, and who bought again within 90 days."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from rapport.accounts.permissions import Actor
from rapport.commerce.tests.factories import OrderFactory
from rapport.core.errors import PermissionDenied
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.tests.factories import a_conversation
from rapport.recovery.reports import bought_again_after, cost_over_time
from rapport.recovery.tests.factories import PolicyFactory, propose

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy() -> None:
    PolicyFactory(
        per_action_limit=Decimal("500"),
        per_customer_limit=Decimal("5000"),
        per_agent_daily_limit=Decimal("5000"),
    )


def test_cost_is_summed_per_month_by_reason_and_kind(agent: Actor, analyst: Actor) -> None:
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=35)):
        propose(agent, customer=CustomerFactory(), amount="10", reason="carrier")
    propose(agent, customer=CustomerFactory(), amount="20", reason="carrier")
    propose(agent, customer=CustomerFactory(), amount="5", reason="goodwill", kind="free_shipping")
    propose(agent, customer=CustomerFactory(), amount="999", reason="goodwill", currency="GBP")

    report = cost_over_time(analyst, currency="EUR", now=now)

    assert (report.total, report.count) == (Decimal("35.00"), 3)
    by_reason = {serie["key"]: serie for serie in report.by_reason}
    assert by_reason["carrier"]["amounts"][-1] == 20.0
    assert sum(by_reason["carrier"]["amounts"]) == 30.0  # type: ignore[arg-type]
    assert by_reason["goodwill"]["total"] == "5.00"
    assert [serie["key"] for serie in report.by_kind] == ["free_shipping", "goodwill_credit"]
    assert len(report.labels) == 12


def test_recovered_customers_are_compared_with_complaints_left_unrecovered(
    agent: Actor, analyst: Actor
) -> None:
    now = timezone.now()
    recovered_back, recovered_gone = CustomerFactory(), CustomerFactory()
    complained_back, complained_gone, too_recent = CustomerFactory(), CustomerFactory(), CustomerFactory()
    with time_machine.travel(now - timedelta(days=120)):
        propose(agent, customer=recovered_back, amount="5")
        propose(agent, customer=recovered_gone, amount="5")
        a_conversation(customer=complained_back)
        a_conversation(customer=complained_gone)
        a_conversation(customer=recovered_back)
    a_conversation(customer=too_recent)
    OrderFactory(customer=recovered_back, placed_at=now - timedelta(days=100))
    OrderFactory(customer=recovered_gone, placed_at=now - timedelta(days=5))  # after the 90 days: no
    OrderFactory(customer=complained_back, placed_at=now - timedelta(days=60))

    follow_up = bought_again_after(analyst, now=now)

    assert (follow_up.recovered.customers, follow_up.recovered.bought_again) == (2, 1)
    assert (follow_up.not_recovered.customers, follow_up.not_recovered.bought_again) == (2, 1)
    assert follow_up.not_recovered.still_open == 1
    assert follow_up.recovered.percent == "50%"


def test_the_report_needs_the_recovery_view(db: None) -> None:
    from rapport.accounts.tests.factories import UserFactory

    nobody = Actor(user=UserFactory(role="agent", is_active=False))

    with pytest.raises(PermissionDenied):
        cost_over_time(nobody, currency="EUR")
