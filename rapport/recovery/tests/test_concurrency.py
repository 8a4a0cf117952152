"""Fifty agents refunding one order at the same instant: together they never refund more than was paid."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.core.errors import ValidationFailed
from rapport.customers.tests.factories import CustomerFactory
from rapport.recovery.models import RESERVING_STATUSES, RecoveryAction, RecoveryLine
from rapport.recovery.services.actions import LineRequest
from rapport.recovery.tests.factories import PolicyFactory, an_order, lines_of, propose

pytestmark = pytest.mark.django_db(transaction=True)

AGENTS = 50


@pytest.mark.parametrize(
    ("mode", "each", "expected"),
    [
        # 150.00 paid, 7.00 at a time: 21 fit (147.00), 29 are refused.
        ("order", Decimal("7.00"), 21),
        # The sofa line is 100.00, 3.00 at a time: 33 fit (99.00), 17 are refused.
        ("line", Decimal("3.00"), 33),
    ],
)
def test_fifty_partial_refunds_at_once_never_exceed_what_was_paid(
    mode: str, each: Decimal, expected: int
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time; the race needs PostgreSQL's row locks")
    # Given an order of 150.00 and fifty agents, each allowed to refund it alone
    PolicyFactory(
        role="agent",
        per_action_limit=Decimal("1000"),
        per_customer_limit=Decimal("100000"),
        per_agent_daily_limit=Decimal("100000"),
    )
    customer = CustomerFactory()
    order = an_order(customer, lines=[("Sofa", 1, "100.00"), ("Lamp", 2, "25.00")], shipping="0")
    sofa, _lamp = lines_of(order)
    agents = [Actor(user=UserFactory(role=Role.AGENT)) for _ in range(AGENTS)]
    start = threading.Barrier(AGENTS)
    refused: list[str] = []
    errors: list[BaseException] = []

    def refund(agent: Actor) -> None:
        try:
            start.wait(timeout=30)
            lines = [LineRequest(order_line_id=sofa.pk, amount=each)] if mode == "line" else []
            propose(
                agent,
                customer=customer,
                kind="refund",
                reason="our_mistake",
                order=order,
                lines=lines,
                amount=None if mode == "line" else each,
            )
        except ValidationFailed as refusal:
            refused.append(refusal.code)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    # When they all refund at once, each on their own connection
    threads = [threading.Thread(target=refund, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # Then exactly what fits was refunded, and the rest were refused for that reason
    assert errors == []
    refunds = RecoveryAction.objects.filter(order=order, kind="refund", status__in=RESERVING_STATUSES)
    total = refunds.aggregate(total=Sum("amount"))["total"]
    assert refunds.count() == expected
    assert total == each * expected
    assert total <= order.total
    assert refused == ["refund_exceeds_paid"] * (AGENTS - expected)
    on_sofa = RecoveryLine.objects.filter(action__in=refunds, order_line=sofa).aggregate(total=Sum("amount"))[
        "total"
    ]
    assert (on_sofa or 0) <= sofa.line_total
