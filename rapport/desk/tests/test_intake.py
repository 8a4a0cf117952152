"""Bulk intake writes what open_conversation and receive_message write, one message at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.core.errors import Conflict
from rapport.customers.models import Customer
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import Conversation, ConversationEvent, Status
from rapport.desk.services.conversations import (
    AttachmentInput,
    change_status,
    open_conversation,
    receive_message,
)
from rapport.desk.services.intake import (
    InboundReply,
    NewInbound,
    open_inbound_conversations,
    receive_inbound_messages,
)
from rapport.desk.tests.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PHOTO = AttachmentInput(filename="photo.jpg", content_type="image/jpeg", data=b"\xff\xd8 a photo")


def described(conversation: Conversation) -> dict[str, Any]:
    """What an agent sees of a conversation, without the ids that differ from one to the next."""
    conversation.refresh_from_db()
    assignee = conversation.assignee.display_name if conversation.assignee else "nobody"

    def anonymous(summary: str) -> str:
        return summary.replace(assignee, "the assignee")

    messages = [
        (m.kind, m.channel, m.body_text, m.body_html, m.sender, m.external_id, m.created_at)
        for m in conversation.messages.order_by("pk")
    ]
    attachments = [
        (a.filename, a.content_type, a.size, a.sha256)
        for message in conversation.messages.order_by("pk")
        for a in message.attachments.order_by("pk")
    ]
    events = [
        (kind, anonymous(summary), actor)
        for kind, summary, actor in ConversationEvent.objects.filter(conversation=conversation)
        .order_by("pk")
        .values_list("kind", "summary", "actor_id")
    ]
    timeline = [
        (kind, anonymous(summary))
        for kind, summary in conversation.customer.events.filter(subject_id=str(conversation.pk))
        .order_by("pk")
        .values_list("kind", "summary")
    ]
    fields = [
        "channel",
        "subject",
        "status",
        "priority",
        "team_id",
        "assigned_reason",
        "participants",
        "custom_fields",
        "sla_policy_id",
        "first_response_due_at",
        "resolution_due_at",
        "sla_due_at",
        "sla_state",
        "message_count",
        "created_at",
        "last_message_at",
        "last_inbound_at",
        "resolved_at",
        "created_by_id",
    ]
    return {
        **{name: getattr(conversation, name) for name in fields},
        "assigned_to_associate": conversation.assignee_id == conversation.customer.associate_id,
        "messages": messages,
        "attachments": attachments,
        "events": events,
        "timeline": timeline,
    }


def opened_one_at_a_time(customer: Customer, **item: Any) -> Conversation:
    return open_conversation(actor=None, customer=customer, channel="email", **item)


def first_message(**overrides: Any) -> dict[str, Any]:
    return {
        "subject": "Late parcel",
        "body_text": "It has not arrived.",
        "attachments": [PHOTO],
        "participants": ["Partner@Example.com"],
        "sender": "ada@example.com",
        "external_id": "first@example.com",
        **overrides,
    }


@time_machine.travel(TUESDAY, tick=False)
def test_conversations_opened_in_bulk_are_those_opened_one_at_a_time() -> None:
    SlaPolicyFactory()
    team = TeamFactory()
    customers = [
        CustomerFactory(associate=UserFactory(role=Role.AGENT, team=team)),
        CustomerFactory(),
        CustomerFactory(associate=UserFactory(role=Role.AGENT, team=team)),
        CustomerFactory(),
    ]
    other_team = TeamFactory()

    single = [
        opened_one_at_a_time(customers[0], **first_message()),
        opened_one_at_a_time(customers[1], **first_message(subject="", team=other_team)),
    ]
    bulk = open_inbound_conversations(
        [
            NewInbound(customer=customers[2], channel="email", **first_message()),
            NewInbound(customer=customers[3], channel="email", **first_message(subject="", team=other_team)),
        ]
    )

    assert [described(conversation) for conversation, _ in bulk] == [described(c) for c in single]
    assert described(bulk[0][0])["assigned_to_associate"]
    assert [message.body_text for _, message in bulk] == ["It has not arrived."] * 2


@time_machine.travel(TUESDAY, tick=False)
@pytest.mark.parametrize("status", [Status.NEW, Status.OPEN, Status.PENDING, Status.RESOLVED])
def test_replies_received_in_bulk_are_those_received_one_at_a_time(status: str) -> None:
    SlaPolicyFactory()
    lead = Actor(user=UserFactory(role=Role.LEAD))
    conversations = [opened_one_at_a_time(CustomerFactory(), **first_message()) for _ in range(2)]
    for conversation in conversations:
        if status != Status.NEW:
            change_status(actor=lead, conversation=conversation, status=status)
    reply = {"body_text": "Any news?", "attachments": [PHOTO], "sender": "ada@example.com"}

    receive_message(conversation=conversations[0], external_id="r1@example.com", **reply)
    receive_inbound_messages(
        [InboundReply(conversation_id=conversations[1].pk, external_id="r1@example.com", **reply)]
    )

    single, bulk = (described(conversation) for conversation in conversations)
    assert bulk == single
    assert bulk["status"] == (Status.OPEN if status != Status.NEW else Status.NEW)


@time_machine.travel(TUESDAY, tick=False)
def test_two_replies_to_one_conversation_in_one_call_count_twice_and_reopen_once() -> None:
    lead = Actor(user=UserFactory(role=Role.LEAD))
    conversation = opened_one_at_a_time(CustomerFactory(), **first_message())
    change_status(actor=lead, conversation=conversation, status=Status.RESOLVED)

    receive_inbound_messages(
        [
            InboundReply(conversation_id=conversation.pk, body_text="Any news?"),
            InboundReply(conversation_id=conversation.pk, body_text="Hello?"),
        ]
    )

    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert conversation.message_count == 3
    kinds = list(conversation.events.order_by("pk").values_list("kind", flat=True))
    assert kinds[-3:] == ["message.inbound", "conversation.status_changed", "message.inbound"]


def test_a_reply_to_a_closed_or_merged_conversation_is_refused_and_nothing_is_written() -> None:
    lead = Actor(user=UserFactory(role=Role.LEAD))
    closed = opened_one_at_a_time(CustomerFactory(), **first_message())
    change_status(actor=lead, conversation=closed, status=Status.RESOLVED)
    change_status(actor=lead, conversation=closed, status=Status.CLOSED)
    open_one = opened_one_at_a_time(CustomerFactory(), **first_message())
    merged = opened_one_at_a_time(open_one.customer, **first_message())
    Conversation.objects.filter(pk=merged.pk).update(merged_into=open_one)

    for refused, code in ((closed, "conversation_closed"), (merged, "conversation_merged")):
        with pytest.raises(Conflict) as raised:
            receive_inbound_messages(
                [
                    InboundReply(conversation_id=open_one.pk, body_text="Fine"),
                    InboundReply(conversation_id=refused.pk, body_text="Hello?"),
                ]
            )
        assert raised.value.code == code

    assert open_one.messages.count() == 1
