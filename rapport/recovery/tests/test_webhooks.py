"""The store hears of approved actions through a signed webhook; its delivery moves the action along."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from rapport.accounts.permissions import Actor
from rapport.customers.tests.factories import EmailIdentityFactory
from rapport.desk.tests.factories import a_conversation
from rapport.recovery.models import ActionStatus
from rapport.recovery.services.actions import LineRequest, cancel_action, record_outcome
from rapport.recovery.tests.factories import PolicyFactory, an_order, lines_of, propose
from rapport.webhooks.backoff import RETRY_WINDOW
from rapport.webhooks.models import OutboxEvent
from rapport.webhooks.services.delivery import deliver_due
from rapport.webhooks.tests.factories import EndpointFactory, Receiver, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(settings: Any) -> None:
    settings.RAPPORT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    PolicyFactory(role="agent", per_action_limit=Decimal("50"), per_customer_limit=Decimal("100"))


@pytest.fixture
def store() -> Iterator[Receiver]:
    receiver = Receiver().start()
    subscribe(
        EndpointFactory(url=receiver.url),
        "recovery.action.approved",
        "recovery.action.cancelled",
        "recovery.action.done",
    )
    yield receiver
    receiver.stop()


def test_an_approved_replacement_reaches_the_store_with_what_it_needs_and_becomes_sent(
    agent: Actor, store: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    customer = EmailIdentityFactory(value="dorothy@example.org").customer
    conversation = a_conversation(customer=customer)
    order = an_order(customer, lines=[("Pocket multitool", 1, "24.00")], shipping="4.95")
    (line,) = lines_of(order)

    with django_capture_on_commit_callbacks(execute=True):
        action = propose(
            agent,
            conversation=conversation,
            kind="replacement",
            reason="lost_or_stolen",
            order=order,
            lines=[LineRequest(line.pk)],
            waive_shipping=True,
            expedited=True,
        )

    (received,) = store.requests
    body = received.json()
    assert body["type"] == "recovery.action.approved"
    data = body["data"]
    assert data["id"] == action.pk
    assert (data["kind"], data["reason"], data["status"]) == ("replacement", "lost_or_stolen", "approved")
    assert (data["order_number"], data["amount"], data["currency"]) == (order.number, "28.95", "EUR")
    assert data["lines"] == [
        {
            "order_line_id": line.pk,
            "sku": line.sku,
            "name": "Pocket multitool",
            "quantity": 1,
            "amount": "24.00",
        }
    ]
    assert data["options"] == {"waive_shipping": True, "expedited": True, "coupon_code": ""}
    assert data["customer"]["email"] == "dorothy@example.org"
    assert data["conversation_id"] == conversation.pk
    action.refresh_from_db()
    assert action.status == ActionStatus.SENT


def test_nothing_is_sent_for_an_action_waiting_for_approval(agent: Actor, store: Receiver) -> None:
    propose(agent, customer=EmailIdentityFactory().customer, amount="80")

    assert OutboxEvent.objects.count() == 0


def test_cancelled_and_done_are_sent_too(
    agent: Actor, store: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    customer = EmailIdentityFactory().customer
    with django_capture_on_commit_callbacks(execute=True):
        first = propose(agent, customer=customer, amount="5")
    # Cancelled before its approval went out (once sent, only the store's outcome moves it).
    second = propose(agent, customer=customer, amount="5")
    with django_capture_on_commit_callbacks(execute=True):
        record_outcome(actor=agent, action=first, status="done", reference="CR-7")
        cancel_action(actor=agent, action=second)

    sent = [(request.json()["type"], request.json()["data"]["id"]) for request in store.requests]
    assert sent == [
        ("recovery.action.approved", first.pk),
        ("recovery.action.done", first.pk),
        ("recovery.action.cancelled", second.pk),
    ]
    assert store.requests[1].json()["data"]["store_reference"] == "CR-7"


def test_an_approval_the_store_never_receives_fails_the_action(
    agent: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    down = Receiver().start()
    subscribe(EndpointFactory(url=down.url), "recovery.action.approved")
    down.stop()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            action = propose(agent, customer=EmailIdentityFactory().customer, amount="5")
        # Past the whole retry window, every retry due is tried and refused.
        for _ in range(40):
            traveller.shift(RETRY_WINDOW / 20)
            deliver_due()

    action.refresh_from_db()
    assert action.status == ActionStatus.FAILED
    assert action.failure_reason == "the store could not be reached"
