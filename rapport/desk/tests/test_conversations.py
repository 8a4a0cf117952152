"""Opening conversations, messages, notes and the status rules a person applies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.accounts.permissions import Actor
from rapport.commerce.tests.factories import OrderFactory
from rapport.core.errors import Conflict, PermissionDenied, ValidationFailed
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk import blobs
from rapport.desk.models import Conversation, ConversationEvent, Message, MessageKind, Status
from rapport.desk.services import conversations as service
from rapport.desk.services.conversations import AttachmentInput
from rapport.desk.tests.factories import CustomFieldFactory, SlaPolicyFactory, a_conversation

pytestmark = pytest.mark.django_db


def test_staff_log_a_phone_call_as_a_new_conversation_on_the_customer_timeline(agent: Actor) -> None:
    customer = CustomerFactory()

    conversation = a_conversation(
        actor=agent, customer=customer, channel="phone", subject="Parcel missing", body_text="Called about it"
    )

    assert conversation.status == Status.NEW
    message = conversation.messages.get()
    assert (message.kind, message.body_text, message.channel) == (
        MessageKind.INBOUND,
        "Called about it",
        "phone",
    )
    kinds = list(customer.events.order_by("id").values_list("kind", flat=True))
    assert kinds[:2] == ["desk.conversation.opened", "desk.message.inbound"]


def test_html_bodies_are_stored_without_scripts_or_event_handlers(agent: Actor) -> None:
    conversation = a_conversation(
        actor=agent,
        body_text="",
        body_html='<p onclick="steal()">Hi <b>there</b><script>alert(1)</script>'
        '<details open ontoggle="alert(2)">x</details><a href="javascript:alert(3)">link</a></p>',
    )

    message = conversation.messages.get()
    assert "script" not in message.body_html
    assert "onclick" not in message.body_html
    assert "ontoggle" not in message.body_html
    assert "javascript:" not in message.body_html
    assert "<b>there</b>" in message.body_html
    assert message.body_text.startswith("Hi there")


def test_a_customer_reply_reopens_a_pending_conversation(agent: Actor) -> None:
    conversation = a_conversation(actor=agent)
    service.reply(
        actor=agent, conversation=conversation, body_text="Can you send a photo?", then_status="pending"
    )

    service.receive_message(conversation=conversation, body_text="Here it is")

    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    change = ConversationEvent.objects.filter(kind="conversation.status_changed").last()
    assert change is not None
    assert change.data["reason"] == "the customer replied"


@pytest.mark.parametrize("status", ["snoozed", "resolved"])
def test_a_customer_reply_reopens_snoozed_and_resolved_conversations(agent: Actor, status: str) -> None:
    conversation = a_conversation(actor=agent)
    until = timezone.now() + timedelta(days=1) if status == "snoozed" else None
    service.change_status(actor=agent, conversation=conversation, status=status, snoozed_until=until)

    service.receive_message(conversation=conversation, body_text="One more thing")

    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert conversation.snoozed_until is None
    assert conversation.resolved_at is None


def test_a_closed_conversation_is_not_reopened_by_a_customer_message(agent: Actor) -> None:
    conversation = a_conversation(actor=agent)
    service.change_status(actor=agent, conversation=conversation, status="resolved")
    service.change_status(actor=agent, conversation=conversation, status="closed")

    with pytest.raises(Conflict) as error:
        service.receive_message(conversation=conversation, body_text="Hello again")

    assert error.value.code == "conversation_closed"
    assert conversation.messages.count() == 1


@pytest.mark.parametrize(
    ("start", "target"),
    [("new", "closed"), ("open", "new"), ("open", "closed"), ("closed", "open"), ("resolved", "pending")],
)
def test_invalid_status_transitions_are_refused_and_change_nothing(
    agent: Actor, start: str, target: str
) -> None:
    conversation = a_conversation(actor=agent)
    path = {"new": [], "open": ["open"], "resolved": ["resolved"], "closed": ["resolved", "closed"]}[start]
    for step in path:
        service.change_status(actor=agent, conversation=conversation, status=step)
    events_before = ConversationEvent.objects.count()

    with pytest.raises(ValidationFailed) as error:
        service.change_status(actor=agent, conversation=conversation, status=target)

    assert error.value.code == "invalid_transition"
    conversation.refresh_from_db()
    assert conversation.status == start
    assert ConversationEvent.objects.count() == events_before


def test_snoozing_needs_a_time_in_the_future(agent: Actor) -> None:
    conversation = a_conversation(actor=agent)

    with pytest.raises(ValidationFailed) as error:
        service.change_status(
            actor=agent,
            conversation=conversation,
            status="snoozed",
            snoozed_until=timezone.now() - timedelta(1),
        )

    assert error.value.code == "invalid_snooze"


def test_first_reply_opens_a_new_conversation_and_marks_the_first_response(agent: Actor) -> None:
    conversation = a_conversation(actor=agent)

    service.reply(actor=agent, conversation=conversation, body_text="Looking into it")

    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert conversation.first_response_at is not None
    reply = conversation.messages.get(kind=MessageKind.OUTBOUND)
    assert reply.author == agent.user


def test_a_reply_on_top_of_a_newer_customer_message_is_refused(agent: Actor) -> None:
    conversation = a_conversation(actor=agent)
    seen = conversation.last_inbound_at
    service.receive_message(conversation=conversation, body_text="Actually, it arrived")

    with pytest.raises(Conflict) as error:
        service.reply(actor=agent, conversation=conversation, body_text="We'll resend", seen_inbound_at=seen)

    assert error.value.code == "newer_customer_message"
    assert not conversation.messages.filter(kind=MessageKind.OUTBOUND).exists()


def test_notes_do_not_count_as_a_response_nor_move_the_conversation_up(agent: Actor) -> None:
    conversation = a_conversation(actor=agent)
    before = conversation.last_message_at

    service.add_note(actor=agent, conversation=conversation, body_text="Customer is a VIP")

    conversation.refresh_from_db()
    assert conversation.first_response_at is None
    assert conversation.last_message_at == before
    assert conversation.message_count == 2


def test_attachments_are_stored_by_content_hash_once(agent: Actor) -> None:
    photo = AttachmentInput(
        filename="../../etc/photo.jpg", content_type="image/jpeg", data=b"\xff\xd8 jpeg bytes"
    )
    conversation = a_conversation(actor=agent, attachments=[photo])

    service.reply(actor=agent, conversation=conversation, body_text="Same photo back", attachments=[photo])

    first, second = (m.attachments.get() for m in conversation.messages.order_by("id"))
    assert first.sha256 == second.sha256
    assert first.filename == "photo.jpg"
    assert blobs.read_blob(first.sha256) == b"\xff\xd8 jpeg bytes"


def test_an_oversized_attachment_is_refused_and_nothing_is_written(agent: Actor) -> None:
    service.desk_settings()
    conversation = a_conversation(actor=agent)
    huge = AttachmentInput(
        filename="big.bin", content_type="application/octet-stream", data=b"x" * (20 * 2**20 + 1)
    )

    with pytest.raises(ValidationFailed) as error:
        service.reply(actor=agent, conversation=conversation, body_text="see file", attachments=[huge])

    assert error.value.code == "attachment_too_large"
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_an_analyst_cannot_open_or_reply(analyst: Actor, agent: Actor) -> None:
    conversation = a_conversation(actor=agent)

    with pytest.raises(PermissionDenied):
        service.reply(actor=analyst, conversation=conversation, body_text="hi")
    with pytest.raises(PermissionDenied):
        a_conversation(actor=analyst)


def test_tags_are_added_and_removed_with_one_event(agent: Actor) -> None:
    conversation = a_conversation(actor=agent, tags=["Delivery"])

    service.change_tags(
        actor=agent, conversation=conversation, add=["refund", "delivery"], remove=["delivery"]
    )

    assert sorted(conversation.tags.values_list("name", flat=True)) == ["refund"]
    event = ConversationEvent.objects.get(kind="conversation.tags_changed")
    assert event.data == {"conversation_id": conversation.pk, "added": ["refund"], "removed": ["delivery"]}


def test_custom_fields_are_checked_against_their_definitions(agent: Actor) -> None:
    CustomFieldFactory(key="store", kind="choice", choices=["london", "paris"])
    CustomFieldFactory(key="amount", kind="number")
    conversation = a_conversation(actor=agent)

    with pytest.raises(ValidationFailed) as error:
        service.update_details(
            actor=agent, conversation=conversation, custom_fields={"store": "rome", "amount": "ten", "x": 1}
        )

    assert set(error.value.errors) == {"store", "amount", "x"}
    service.update_details(
        actor=agent, conversation=conversation, custom_fields={"store": "paris", "amount": "12.5"}
    )
    conversation.refresh_from_db()
    assert conversation.custom_fields == {"store": "paris", "amount": "12.5"}


def test_only_the_customers_own_orders_can_be_linked(agent: Actor) -> None:
    customer = CustomerFactory()
    own, other = OrderFactory(customer=customer), OrderFactory()
    conversation = a_conversation(actor=agent, customer=customer, order_ids=[own.pk])

    with pytest.raises(ValidationFailed):
        service.update_details(actor=agent, conversation=conversation, order_ids=[own.pk, other.pk])

    assert list(conversation.orders.all()) == [own]


def test_a_merged_away_customer_cannot_get_new_conversations(agent: Actor) -> None:
    survivor = CustomerFactory()
    merged = CustomerFactory(merged_into=survivor)

    with pytest.raises(Conflict):
        a_conversation(actor=agent, customer=merged)
    assert Conversation.objects.count() == 0


def test_a_conversation_the_company_starts_needs_no_first_response(agent: Actor) -> None:
    SlaPolicyFactory(first_response_minutes=30, resolution_minutes=None)

    conversation = a_conversation(
        actor=agent, first_message="outbound", body_text="We called about your order"
    )

    assert conversation.status == Status.OPEN
    assert conversation.first_response_at is not None
    assert conversation.sla_due_at is None
