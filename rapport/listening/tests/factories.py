"""Factories for listening's message signals: customers of a value tier, customer messages, alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import factory
from django.utils import timezone

from rapport.customers.models import Customer
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import Conversation, Message
from rapport.desk.services.conversations import receive_message
from rapport.desk.tests.factories import a_conversation
from rapport.listening.models import Alert, AlertKind, FollowUp
from rapport.recovery.tests.factories import an_order

# Paid in the last year: recovery's tiers are silver 200+, gold 500+, platinum 1,500+.
TIER_SPEND = {"standard": None, "silver": "250.00", "gold": "600.00", "platinum": "2000.00"}


def a_customer_of_tier(tier: str, **kwargs: Any) -> Customer:
    customer = CustomerFactory(**kwargs)
    spend = TIER_SPEND[tier]
    if spend is not None:
        an_order(customer, lines=[("Coat", 1, spend)], shipping="0.00")
    return customer


def a_customer_message(conversation: Conversation, text: str, *, at: datetime | None = None) -> Message:
    """A message from the customer, received through the desk as a channel would."""
    message = receive_message(conversation=conversation, body_text=text)
    if at is not None:
        Message.objects.filter(pk=message.pk).update(created_at=at)
        message.refresh_from_db()
    return message


def a_customer_conversation(
    customer: Customer | None = None, text: str = "Where is my parcel?", **kwargs: Any
) -> Conversation:
    return a_conversation(customer=customer or CustomerFactory(), body_text=text, **kwargs)


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    kind = AlertKind.DEFECTION
    cause_key = factory.Sequence(lambda n: f"test:alert:{n}")
    title = factory.Sequence(lambda n: f"Alert {n}")
    customer = factory.SubFactory(CustomerFactory)


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    customer = factory.SubFactory(CustomerFactory)
    title = factory.Sequence(lambda n: f"Call back {n}")
    due_at = factory.LazyFunction(timezone.now)
