"""The limits through the real services and database: whatever agents propose, for whichever customers, on
whichever days, what was approved without a lead stays within the policy."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.customers.tests.factories import CustomerFactory
from rapport.recovery.models import GRANTED_STATUSES, RecoveryAction
from rapport.recovery.selectors import start_of_day
from rapport.recovery.services.actions import approve_action
from rapport.recovery.tests.factories import PolicyFactory, propose

pytestmark = pytest.mark.django_db

PER_ACTION, PER_CUSTOMER, DAILY, WINDOW_DAYS = Decimal("40"), Decimal("90"), Decimal("120"), 3

steps = st.lists(
    st.tuples(
        st.integers(0, 2),  # agent
        st.integers(0, 1),  # customer
        st.decimals(min_value=1, max_value=60, places=2),  # amount
        st.integers(0, 30),  # hours since the previous step
        st.booleans(),  # a lead approves it if it waits
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(sequence=steps)
def test_what_was_granted_without_a_lead_never_exceeds_the_policy(
    sequence: list[tuple[int, int, Decimal, int, bool]],
) -> None:
    with transaction.atomic():
        PolicyFactory(
            role="agent",
            per_action_limit=PER_ACTION,
            per_customer_limit=PER_CUSTOMER,
            per_customer_window_days=WINDOW_DAYS,
            per_agent_daily_limit=DAILY,
        )
        PolicyFactory(role="lead", per_action_limit=Decimal("1000"), per_customer_limit=Decimal("1000"))
        agents = [Actor(user=UserFactory(role=Role.AGENT)) for _ in range(3)]
        lead = Actor(user=UserFactory(role=Role.LEAD))
        customers = [CustomerFactory(), CustomerFactory()]  # no orders: standard tier, multiplier 1
        with time_machine.travel(timezone.now(), tick=False) as clock:
            for agent, customer, amount, hours, lead_approves in sequence:
                clock.shift(timedelta(hours=hours))
                action = propose(agents[agent], customer=customers[customer], amount=amount)
                if action.status == "proposed" and lead_approves:
                    approve_action(actor=lead, action=action)

        automatic = list(
            RecoveryAction.objects.filter(status__in=GRANTED_STATUSES, approved_automatically=True).order_by(
                "decided_at"
            )
        )
        for grant in automatic:
            assert grant.amount <= PER_ACTION
            assert grant.decided_at is not None
            window_start = grant.decided_at - timedelta(days=WINDOW_DAYS)
            in_window = sum(
                (
                    other.amount
                    for other in automatic
                    if other.customer_id == grant.customer_id
                    and other.decided_at is not None
                    and window_start < other.decided_at <= grant.decided_at
                ),
                Decimal(0),
            )
            assert in_window <= PER_CUSTOMER
        per_day: dict[tuple[int | None, object], Decimal] = defaultdict(Decimal)
        for grant in automatic:
            assert grant.decided_at is not None
            per_day[(grant.requested_by_id, start_of_day(grant.decided_at))] += grant.amount
        assert all(total <= DAILY for total in per_day.values())
        transaction.set_rollback(True)
