"""Factories for the desk. Conversations are opened through the service, as the product does."""

from __future__ import annotations

from typing import Any

import factory

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.customers.models import Customer
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import BusinessCalendar, Conversation, CustomField, Macro, SlaPolicy, TeamDesk
from rapport.desk.services.conversations import open_conversation

NINE_TO_FIVE = [[[540, 1020]]] * 5 + [[], []]


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessCalendar

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "Europe/London"
    weekly_hours = NINE_TO_FIVE


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    first_response_minutes = 60
    resolution_minutes = 8 * 60


class TeamDeskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamDesk

    team = factory.SubFactory("rapport.accounts.tests.factories.TeamFactory")


class CustomFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomField

    key = factory.Sequence(lambda n: f"field{n}")
    label = factory.Sequence(lambda n: f"Field {n}")
    kind = "text"


class MacroFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Macro

    name = factory.Sequence(lambda n: f"Macro {n}")
    body = "Hello {{ customer.first_name }}, thank you for writing."


def a_conversation(
    *,
    actor: Actor | None = None,
    customer: Customer | None = None,
    body_text: str = "Where is my parcel?",
    **kwargs: Any,
) -> Conversation:
    """A conversation opened through open_conversation, by a fresh agent unless one is given."""
    opener = actor or Actor(user=UserFactory(role=Role.AGENT))
    kwargs.setdefault("channel", "email")
    return open_conversation(
        actor=opener, customer=customer or CustomerFactory(), body_text=body_text, **kwargs
    )
