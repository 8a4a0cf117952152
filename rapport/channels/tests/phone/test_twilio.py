"""Twilio's voice status callbacks: signed form posts mapped onto the same call events as our JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from rapport.channels.models import CallStatus, DeliveryStatus, InboundDelivery, PhoneCall
from rapport.channels.tests.phone.factories import post_twilio, twilio_form
from rapport.desk.models import Message, MessageKind, Priority

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def test_signed_completed_call_becomes_a_message(
    client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    form = twilio_form(RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_twilio(client, form)

    assert response.status_code == 204
    delivery = InboundDelivery.objects.get()
    assert (delivery.source, delivery.external_id, delivery.sender, delivery.status) == (
        "twilio",
        "CA11111111111111111111111111111111:completed:3",
        "+442079460018",
        DeliveryStatus.PROCESSED,
    )
    assert Message.objects.get().body_text == (
        "Inbound call, 1 min 5 s\nRecording: https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1"
    )
    call = PhoneCall.objects.get()
    assert (call.call_id, call.provider, call.status, call.duration_seconds) == (
        "CA11111111111111111111111111111111",
        "twilio",
        CallStatus.ANSWERED,
        65,
    )
    assert call.started_at is not None
    assert call.ended_at is not None
    assert (call.ended_at - call.started_at).total_seconds() == 65


def test_no_answer_opens_a_callback(client: Client, django_capture_on_commit_callbacks: Capture) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(client, twilio_form(CallStatus="no-answer", CallDuration="0"))

    conversation = InboundDelivery.objects.get().conversation
    assert conversation is not None
    assert (conversation.subject, conversation.priority) == ("Missed call from +442079460018", Priority.HIGH)


def test_ringing_then_completed_is_one_call_with_one_message(
    client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(client, twilio_form(CallStatus="ringing", CallDuration="", SequenceNumber="0"))
        post_twilio(client, twilio_form())

    assert InboundDelivery.objects.count() == 2
    assert PhoneCall.objects.get().status == CallStatus.ANSWERED
    assert Message.objects.count() == 1


def test_retried_callback_has_one_effect(client: Client, django_capture_on_commit_callbacks: Capture) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = post_twilio(client, twilio_form())
        second = post_twilio(client, twilio_form())

    assert (first.status_code, second.status_code) == (204, 204)
    assert InboundDelivery.objects.count() == 1


def test_outbound_api_call_is_the_companys(
    client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    form = twilio_form(Direction="outbound-api", From="+442079460999", To="+442079460018")

    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(client, form)

    message = Message.objects.get()
    assert (message.kind, message.body_text) == (MessageKind.OUTBOUND, "Outbound call, 1 min 5 s")
    assert message.conversation.customer.identities.get().value == "+442079460018"


@pytest.mark.parametrize(
    ("token", "signature"),
    [
        pytest.param("someone-elses-token", None, id="signed with another token"),
        pytest.param("twilio-test-auth-token", "", id="no signature"),
        pytest.param(
            "twilio-test-auth-token", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", id="signature of other params"
        ),
    ],
)
def test_badly_signed_callback_is_refused_and_nothing_is_stored(
    client: Client, token: str, signature: str | None
) -> None:
    response = post_twilio(client, twilio_form(), token=token, signature=signature)

    assert response.status_code == 401
    assert InboundDelivery.objects.count() == 0


def test_callback_without_an_auth_token_configured_is_not_accepted(client: Client, settings: Any) -> None:
    settings.RAPPORT_TWILIO_AUTH_TOKEN = ""

    response = post_twilio(client, twilio_form())

    assert response.status_code == 503
    assert InboundDelivery.objects.count() == 0


def test_unknown_call_status_is_quarantined(
    client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(client, twilio_form(CallStatus="teleported"))

    delivery = InboundDelivery.objects.get()
    assert delivery.status == DeliveryStatus.QUARANTINED
    assert delivery.reason == "the call event cannot be read: CallStatus: unknown value 'teleported'"
