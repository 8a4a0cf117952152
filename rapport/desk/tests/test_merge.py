"""Merging conversations, splitting a message out, and following a customer merge."""

from __future__ import annotations

import pytest

from rapport.accounts.permissions import Actor
from rapport.core.errors import Conflict, PermissionDenied, ValidationFailed
from rapport.customers.services import merge_customers
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import Conversation, MessageKind, Status
from rapport.desk.services import conversations as service
from rapport.desk.services.merge import merge_conversations, split_message
from rapport.desk.tests.factories import a_conversation

pytestmark = pytest.mark.django_db


def test_merging_moves_messages_tags_and_closes_the_source(agent: Actor) -> None:
    customer = CustomerFactory()
    target = a_conversation(actor=agent, customer=customer, body_text="My order is late", tags=["delivery"])
    source = a_conversation(actor=agent, customer=customer, body_text="Also, wrong size", tags=["exchange"])

    merged = merge_conversations(actor=agent, source=source, target=target)

    source.refresh_from_db()
    assert source.status == Status.CLOSED
    assert source.merged_into == merged
    assert [m.body_text for m in merged.messages.order_by("created_at", "id")] == [
        "My order is late",
        "Also, wrong size",
    ]
    assert merged.message_count == 2
    assert source.message_count == 0
    assert sorted(merged.tags.values_list("name", flat=True)) == ["delivery", "exchange"]
    kinds = set(customer.events.values_list("kind", flat=True))
    assert {"desk.conversation.merged", "desk.conversation.merged_in"} <= kinds


def test_conversations_of_different_customers_cannot_be_merged(agent: Actor) -> None:
    first, second = a_conversation(actor=agent), a_conversation(actor=agent)

    with pytest.raises(ValidationFailed) as error:
        merge_conversations(actor=agent, source=first, target=second)

    assert error.value.code == "merge_other_customer"
    assert first.messages.count() == 1
    assert second.messages.count() == 1


def test_a_merged_conversation_takes_no_more_changes(agent: Actor) -> None:
    customer = CustomerFactory()
    target = a_conversation(actor=agent, customer=customer)
    source = a_conversation(actor=agent, customer=customer)
    merge_conversations(actor=agent, source=source, target=target)

    with pytest.raises(Conflict):
        service.reply(actor=agent, conversation=source, body_text="hello")
    with pytest.raises(Conflict):
        merge_conversations(actor=agent, source=source, target=target)


def test_splitting_moves_one_customer_message_into_a_new_conversation(agent: Actor) -> None:
    conversation = a_conversation(actor=agent, subject="Late parcel", body_text="Where is it?")
    other_topic = service.receive_message(
        conversation=conversation, body_text="Also, can I change my address?"
    )

    created = split_message(actor=agent, message=other_topic)

    assert created.customer == conversation.customer
    assert [m.body_text for m in created.messages.all()] == ["Also, can I change my address?"]
    conversation.refresh_from_db()
    assert conversation.message_count == 1
    assert created.subject == "Late parcel (split)"
    assert created.events.filter(kind="conversation.opened", data__split_from=conversation.pk).exists()


def test_only_customer_messages_split_and_never_the_last_one(agent: Actor) -> None:
    conversation = a_conversation(actor=agent)
    note = service.add_note(actor=agent, conversation=conversation, body_text="internal")

    with pytest.raises(ValidationFailed) as not_inbound:
        split_message(actor=agent, message=note)
    only = conversation.messages.get(kind=MessageKind.INBOUND)
    lone = a_conversation(actor=agent)
    with pytest.raises(ValidationFailed) as last_one:
        split_message(actor=agent, message=lone.messages.get())

    assert not_inbound.value.code == "split_not_inbound"
    assert last_one.value.code == "split_only_message"
    assert only.conversation_id == conversation.pk


def test_an_analyst_cannot_merge(agent: Actor, analyst: Actor) -> None:
    customer = CustomerFactory()
    first, second = (
        a_conversation(actor=agent, customer=customer),
        a_conversation(actor=agent, customer=customer),
    )

    with pytest.raises(PermissionDenied):
        merge_conversations(actor=analyst, source=first, target=second)


def test_a_customer_merge_brings_their_conversations_along(admin: Actor, agent: Actor) -> None:
    survivor, duplicate = CustomerFactory(), CustomerFactory()
    conversation = a_conversation(actor=agent, customer=duplicate)

    merge_customers(actor=admin, source=duplicate, target=survivor)

    assert Conversation.objects.get(pk=conversation.pk).customer == survivor
