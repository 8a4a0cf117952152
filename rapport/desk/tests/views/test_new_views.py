"""Opening a conversation by hand from the 360 page, and the 360's list of conversations."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import Role
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import Conversation, MessageKind
from rapport.desk.tests.factories import TeamDeskFactory, a_conversation

pytestmark = pytest.mark.django_db


def _client(role: str, **fields: object) -> Client:
    client = Client()
    client.force_login(UserFactory(role=role, **fields))
    return client


def test_an_agent_logs_a_phone_call_and_lands_on_the_conversation() -> None:
    customer = CustomerFactory()

    response = _client(Role.AGENT).post(
        reverse("desk:new", args=[customer.pk]),
        {
            "channel": "phone",
            "subject": "Called about a refund",
            "first_message": "inbound",
            "body": "Wants to know when the refund lands",
            "priority": "high",
            "tags": "refund, phone",
        },
    )

    conversation = Conversation.objects.get(customer=customer)
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:conversation", args=[conversation.pk])
    assert (conversation.channel, conversation.priority) == ("phone", "high")
    assert conversation.messages.get().kind == MessageKind.INBOUND
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["phone", "refund"]


def test_an_empty_message_is_refused_with_the_form_shown_again() -> None:
    customer = CustomerFactory()

    response = _client(Role.AGENT).post(
        reverse("desk:new", args=[customer.pk]), {"channel": "phone", "first_message": "inbound", "body": ""}
    )

    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert not Conversation.objects.exists()


def test_an_analyst_cannot_open_conversations() -> None:
    customer = CustomerFactory()

    response = _client(Role.ANALYST).post(
        reverse("desk:new", args=[customer.pk]),
        {"channel": "phone", "first_message": "inbound", "body": "hello", "priority": "normal"},
    )

    assert response.status_code == 403
    assert not Conversation.objects.exists()


def test_the_360_lists_conversations_but_hides_a_private_teams_from_outsiders() -> None:
    customer = CustomerFactory()
    private = TeamDeskFactory(is_private=True).team
    a_conversation(customer=customer, subject="Open to all")
    a_conversation(customer=customer, subject="Fraud case", team=private)

    insider = _client(Role.AGENT, team=private).get(reverse("customers:detail", args=[customer.pk]))
    outsider = _client(Role.AGENT, team=TeamFactory()).get(reverse("customers:detail", args=[customer.pk]))

    assert b"Open to all" in insider.content
    assert b"Fraud case" in insider.content
    assert b"Open to all" in outsider.content
    assert b"Fraud case" not in outsider.content
