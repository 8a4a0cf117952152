"""Calls become messages on phone conversations: one per call, callbacks for missed calls, known numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.channels.models import CallStatus, DeliveryStatus, InboundDelivery, PhoneCall
from rapport.channels.phone.ingest import call_summary, spoken_duration
from rapport.channels.tests.phone.factories import call_payload, post_call
from rapport.customers.models import Customer, Identity, TimelineEvent
from rapport.customers.tests.factories import PhoneIdentityFactory
from rapport.desk.models import Conversation, Message, MessageKind, Priority, Status
from rapport.desk.services.conversations import change_status
from rapport.desk.tests.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

Deliver = Callable[..., InboundDelivery]


@pytest.fixture
def deliver(client: Client, django_capture_on_commit_callbacks: Callable[..., Any]) -> Deliver:
    """Post a signed call event to the real endpoint and return its delivery once processed."""

    def send(**fields: Any) -> InboundDelivery:
        payload = call_payload(**fields)
        with django_capture_on_commit_callbacks(execute=True):
            response = post_call(client, payload)
        assert response.status_code == 204
        return InboundDelivery.objects.get(external_id=payload["event_id"])

    return send


def test_ringing_then_completed_updates_the_call_and_writes_one_message(deliver: Deliver) -> None:
    running = deliver(call_id="c-7", ended_at=None, duration_seconds=0)

    assert running.status == DeliveryStatus.PROCESSED
    assert running.reason == "the call is in progress; its message is written when it ends"
    assert PhoneCall.objects.get().status == CallStatus.IN_PROGRESS
    assert Message.objects.count() == 0

    ended = deliver(call_id="c-7", duration_seconds=75)

    call = PhoneCall.objects.get()
    assert (call.status, call.duration_seconds, call.message) == (CallStatus.ANSWERED, 75, ended.message)
    assert Message.objects.get().body_text == "Inbound call, 1 min 15 s"


def test_late_report_after_the_end_fills_in_without_going_back(deliver: Deliver) -> None:
    ended = deliver(call_id="c-8", duration_seconds=30)

    late = deliver(
        call_id="c-8", ended_at=None, status="answered", recording_url="https://rec.example/c-8.mp3"
    )

    call = PhoneCall.objects.get()
    assert late.status == DeliveryStatus.IGNORED
    assert late.reason == "call c-8 was already recorded; details it lacked were filled in"
    assert late.conversation == ended.conversation
    assert (call.status, call.recording_url) == (CallStatus.ANSWERED, "https://rec.example/c-8.mp3")
    assert Message.objects.count() == 1


@pytest.mark.parametrize("status", ["missed", "busy", "voicemail"])
def test_missed_inbound_call_opens_a_callback_due_by_the_sla(deliver: Deliver, status: str) -> None:
    SlaPolicyFactory(name="Urgent callbacks", priority=Priority.HIGH, first_response_minutes=30)

    delivery = deliver(status=status, duration_seconds=0, **{"from": "020 7946 0018"})

    conversation = delivery.conversation
    assert conversation is not None
    assert conversation.subject == "Missed call from +442079460018"
    assert (conversation.priority, conversation.channel, conversation.status) == (
        Priority.HIGH,
        "phone",
        Status.NEW,
    )
    assert [tag.name for tag in conversation.tags.all()] == ["callback"]
    assert conversation.first_response_due_at == conversation.created_at + timedelta(minutes=30)


def test_repeated_missed_calls_add_to_the_waiting_callback(deliver: Deliver) -> None:
    first = deliver(call_id="m-1", status="missed", duration_seconds=0)
    second = deliver(call_id="m-2", status="missed", duration_seconds=0)

    assert first.conversation == second.conversation
    assert first.conversation is not None
    assert list(first.conversation.messages.values_list("body_text", flat=True)) == [
        "Inbound call, missed",
        "Inbound call, missed",
    ]


def test_call_from_a_known_number_goes_to_that_customer(deliver: Deliver) -> None:
    identity = PhoneIdentityFactory(value="+442079460018")

    delivery = deliver(**{"from": "020 7946 0018"})

    assert delivery.conversation is not None
    assert delivery.conversation.customer == identity.customer
    assert Customer.objects.count() == 1


def test_call_from_a_new_number_creates_the_customer_with_that_phone(deliver: Deliver) -> None:
    delivery = deliver(**{"from": "+44 20 7946 0077"})

    assert delivery.conversation is not None
    identity = Identity.objects.get(customer=delivery.conversation.customer)
    assert (identity.kind, identity.value) == ("phone", "+442079460077")


def test_call_lands_on_the_customers_recent_phone_conversation_and_its_timeline(deliver: Deliver) -> None:
    first = deliver(call_id="a-1")
    second = deliver(call_id="a-2", duration_seconds=5)

    assert first.conversation == second.conversation
    assert first.conversation is not None
    timeline = TimelineEvent.objects.filter(customer=first.conversation.customer, kind="desk.message.inbound")
    assert sorted(timeline.values_list("summary", flat=True)) == [
        "Customer wrote: Inbound call, 4 min 12 s",
        "Customer wrote: Inbound call, 5 s",
    ]


def test_phone_conversation_older_than_a_day_is_not_continued(deliver: Deliver) -> None:
    first = deliver(call_id="o-1")
    Conversation.objects.filter(pk=first.conversation_id).update(
        last_message_at=timezone.now() - timedelta(hours=25)
    )

    second = deliver(call_id="o-2")

    assert second.conversation_id != first.conversation_id


def test_unknown_or_inactive_agent_is_recorded_as_text_only(deliver: Deliver) -> None:
    UserFactory(email="gone@shop.test", full_name="Gone", is_active=False)

    unknown = deliver(call_id="u-1", agent_email="temp@agency.test")
    inactive = deliver(call_id="u-2", agent_email="gone@shop.test", duration_seconds=3)

    assert unknown.message is not None
    assert inactive.message is not None
    assert unknown.message.body_text == "Inbound call, 4 min 12 s, answered by temp@agency.test"
    assert inactive.message.body_text == "Inbound call, 3 s, answered by gone@shop.test"
    assert list(PhoneCall.objects.order_by("call_id").values_list("agent", "agent_email")) == [
        (None, "temp@agency.test"),
        (None, "gone@shop.test"),
    ]


def test_agent_calling_back_answers_the_callback(deliver: Deliver) -> None:
    agent = UserFactory(email="ana@shop.test", full_name="Ana", role=Role.AGENT)
    missed = deliver(call_id="cb-1", status="missed", duration_seconds=0)

    back = deliver(
        call_id="cb-2",
        direction="outbound",
        **{"from": "+442079460999", "to": "+442079460018"},
        agent_email="ana@shop.test",
        duration_seconds=61,
    )

    assert back.conversation == missed.conversation
    assert back.message is not None
    assert (back.message.kind, back.message.author, back.message.body_text) == (
        MessageKind.OUTBOUND,
        agent,
        "Outbound call, 1 min 1 s, made by Ana",
    )
    assert back.conversation is not None
    assert back.conversation.first_response_at == back.message.created_at


def test_outbound_call_without_staff_opens_a_conversation_the_company_started(deliver: Deliver) -> None:
    delivery = deliver(
        direction="outbound",
        status="missed",
        duration_seconds=0,
        **{"from": "+442079460999", "to": "+442079460018"},
    )

    conversation = delivery.conversation
    assert conversation is not None
    assert (conversation.subject, conversation.status) == ("Call to +442079460018", Status.OPEN)
    assert conversation.first_response_at is not None
    message = conversation.messages.get()
    assert (message.kind, message.body_text) == (MessageKind.OUTBOUND, "Outbound call, not answered")


def test_closed_conversation_is_not_continued(deliver: Deliver, admin: Actor) -> None:
    first = deliver(call_id="x-1")
    assert first.conversation is not None
    change_status(actor=admin, conversation=first.conversation, status=Status.RESOLVED)
    change_status(actor=admin, conversation=first.conversation, status=Status.CLOSED)

    second = deliver(call_id="x-2")

    assert second.status == DeliveryStatus.PROCESSED
    assert second.conversation_id != first.conversation_id


@pytest.mark.parametrize("number", ["anonymous", "", "+266696687", "sip:alice@example.com"])
def test_withheld_number_is_ignored_with_its_reason(deliver: Deliver, number: str) -> None:
    delivery = deliver(**{"from": number})

    assert delivery.status == DeliveryStatus.IGNORED
    assert "withheld or not a telephone number" in delivery.reason
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("seconds", "spoken"),
    [(0, "0 s"), (59, "59 s"), (60, "1 min 0 s"), (252, "4 min 12 s"), (3723, "1 h 2 min 3 s")],
)
def test_durations_read_as_people_say_them(seconds: int, spoken: str) -> None:
    assert spoken_duration(seconds) == spoken


@pytest.mark.parametrize(
    ("direction", "status", "expected"),
    [
        ("inbound", "answered", "Inbound call, 1 min 0 s, answered by Ana"),
        ("inbound", "voicemail", "Inbound call, voicemail (1 min 0 s)"),
        ("inbound", "busy", "Inbound call, line busy"),
        ("outbound", "missed", "Outbound call, not answered, made by Ana"),
        ("outbound", "failed", "Outbound call, failed, made by Ana"),
    ],
)
def test_call_summary(direction: str, status: str, expected: str) -> None:
    assert (
        call_summary(direction=direction, status=status, duration_seconds=60, agent="Ana", recording_url="")
        == expected
    )
