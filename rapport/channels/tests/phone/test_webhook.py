"""The phone endpoint: a signed body is committed before the 2xx, anything unsigned leaves no trace."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import Role
from rapport.accounts.tests.factories import UserFactory
from rapport.channels.models import ChannelKind, DeliveryStatus, InboundDelivery, PhoneCall
from rapport.channels.signatures import MAX_BODY_BYTES
from rapport.channels.tests.phone.factories import SECRET, call_payload, post_call, signed_headers
from rapport.desk.models import Message, MessageKind

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def test_signed_call_is_stored_then_becomes_a_message(
    client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    UserFactory(email="ana@shop.test", full_name="Ana", role=Role.AGENT)
    payload = call_payload(agent_email="ANA@shop.test", recording_url="https://rec.example/1.mp3")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_call(client, payload)

    assert response.status_code == 204
    delivery = InboundDelivery.objects.get()
    assert (delivery.kind, delivery.source, delivery.external_id, delivery.sender) == (
        ChannelKind.PHONE,
        "json",
        payload["event_id"],
        "+442079460018",
    )
    assert bytes(delivery.raw) == json.dumps(payload).encode()
    assert delivery.status == DeliveryStatus.PROCESSED
    message = Message.objects.get()
    assert message.kind == MessageKind.INBOUND
    assert (
        message.body_text == "Inbound call, 4 min 12 s, answered by Ana\nRecording: https://rec.example/1.mp3"
    )
    assert message.conversation.channel == "phone"
    assert message.conversation.subject == "Call from +442079460018"
    assert delivery.message == message


def test_the_same_event_twice_has_one_effect(
    client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    payload = call_payload()

    with django_capture_on_commit_callbacks(execute=True):
        first = post_call(client, payload)
        second = post_call(client, payload)

    assert (first.status_code, second.status_code) == (204, 204)
    assert InboundDelivery.objects.count() == 1
    assert Message.objects.count() == 1
    assert PhoneCall.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no signature headers"),
        pytest.param({"webhook-signature": "v1,AAAA"}, id="wrong signature"),
        pytest.param({"webhook-signature": "v2,AAAA"}, id="no v1 signature"),
        pytest.param({"webhook-timestamp": "soon"}, id="timestamp not a number"),
    ],
)
def test_bad_or_missing_signature_is_refused_and_nothing_is_stored(
    client: Client, headers: dict[str, str]
) -> None:
    body = json.dumps(call_payload()).encode()
    sent = {**signed_headers(body), **headers} if headers else {}

    response = client.post(
        reverse("channels:phone_webhook"), body, content_type="application/json", headers=sent
    )

    assert response.status_code == 401
    assert InboundDelivery.objects.count() == 0


def test_body_changed_after_signing_is_refused(client: Client) -> None:
    body = json.dumps(call_payload()).encode()
    headers = signed_headers(body)

    response = client.post(
        reverse("channels:phone_webhook"),
        body.replace(b"inbound", b"outbound"),
        content_type="application/json",
        headers=headers,
    )

    assert response.status_code == 401
    assert InboundDelivery.objects.count() == 0


# Six minutes, not 301 seconds: the request is signed a moment before it is checked, and a slow
# machine would bring 301 seconds ahead back inside the window (test_signatures tests the exact
# boundary with a fixed clock).
@pytest.mark.parametrize("offset", [-360, 360])
def test_timestamp_more_than_five_minutes_off_is_refused(client: Client, offset: int) -> None:
    response = post_call(client, call_payload(), at=int(time.time()) + offset)

    assert response.status_code == 401
    assert b"5 minutes" in response.content
    assert InboundDelivery.objects.count() == 0


def test_rotated_secrets_and_several_signatures_are_accepted(client: Client, settings: Any) -> None:
    # Given we accept the old and the new secret while the sender moves over
    old = "whsec_" + base64.b64encode(b"the secret before the rotation").decode()
    settings.RAPPORT_PHONE_WEBHOOK_SECRET = f"{SECRET} {old}"
    body = json.dumps(call_payload()).encode()
    with_old = signed_headers(body, secret=old, msg_id="msg_1", at=int(time.time()))
    unknown = signed_headers(
        body, secret="whsec_" + base64.b64encode(b"someone else's").decode(), msg_id="msg_1"
    )

    # When the sender still signs with the old one, next to one we do not know
    headers = {
        **with_old,
        "webhook-signature": unknown["webhook-signature"] + " " + with_old["webhook-signature"],
    }
    response = client.post(
        reverse("channels:phone_webhook"), body, content_type="application/json", headers=headers
    )

    # Then the request is accepted
    assert response.status_code == 204
    assert InboundDelivery.objects.count() == 1


@pytest.mark.parametrize("value", ["", "whsec_not base64!"])
def test_endpoint_without_a_usable_secret_answers_not_configured(
    client: Client, settings: Any, value: str
) -> None:
    settings.RAPPORT_PHONE_WEBHOOK_SECRET = value

    response = post_call(client, call_payload())

    assert response.status_code == 503
    assert response.content == b"this webhook is not configured"
    assert InboundDelivery.objects.count() == 0


def test_body_over_the_size_limit_is_refused(client: Client) -> None:
    body = json.dumps(call_payload(padding="x" * MAX_BODY_BYTES)).encode()

    response = client.post(
        reverse("channels:phone_webhook"), body, content_type="application/json", headers=signed_headers(body)
    )

    assert response.status_code == 413
    assert InboundDelivery.objects.count() == 0


def test_signed_body_that_is_not_json_is_kept_in_quarantine(
    client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_call(client, b"\x00not json at all")

    assert response.status_code == 204
    delivery = InboundDelivery.objects.get()
    assert bytes(delivery.raw) == b"\x00not json at all"
    assert delivery.status == DeliveryStatus.QUARANTINED
    assert delivery.reason.startswith("the call event cannot be read: body: Invalid JSON")
    assert Message.objects.count() == 0


def test_deeply_nested_body_is_stored_and_quarantined(
    client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_call(client, b"[" * 200_000)

    assert response.status_code == 204
    delivery = InboundDelivery.objects.get()
    assert delivery.status == DeliveryStatus.QUARANTINED
    assert "recursion limit exceeded" in delivery.reason


def test_event_missing_a_field_is_quarantined_naming_the_field(
    client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    payload = call_payload()
    del payload["call_id"]

    with django_capture_on_commit_callbacks(execute=True):
        post_call(client, payload)

    delivery = InboundDelivery.objects.get()
    assert delivery.status == DeliveryStatus.QUARANTINED
    assert delivery.reason == "the call event cannot be read: call_id: Field required"


def test_only_post_is_answered(client: Client) -> None:
    response = client.get(reverse("channels:phone_webhook"))

    assert response.status_code == 405


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_have_one_effect_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time; the race needs PostgreSQL")
    # Given one event delivered by four senders at the same instant (retries racing each other)
    body = json.dumps(call_payload()).encode()
    headers = signed_headers(body, msg_id="msg_race")
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def send() -> None:
        try:
            barrier.wait()
            response = Client().post(
                reverse("channels:phone_webhook"), body, content_type="application/json", headers=headers
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    # When they all post
    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then each got its 2xx and the call has one delivery, one row and one message
    assert statuses == [204, 204, 204, 204]
    assert InboundDelivery.objects.count() == 1
    assert PhoneCall.objects.count() == 1
    assert Message.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_reports_of_one_call_racing_write_one_message_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time; the race needs PostgreSQL")
    # Given two different reports that both say the call has ended, arriving together
    bodies = [json.dumps(call_payload(call_id="call-race", duration_seconds=n)).encode() for n in (60, 61)]
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def send(body: bytes) -> None:
        try:
            barrier.wait()
            response = Client().post(
                reverse("channels:phone_webhook"),
                body,
                content_type="application/json",
                headers=signed_headers(body),
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then both are stored and processed, and the call has one row and one message
    assert statuses == [204, 204]
    assert sorted(InboundDelivery.objects.values_list("status", flat=True)) == [
        DeliveryStatus.IGNORED,
        DeliveryStatus.PROCESSED,
    ]
    assert PhoneCall.objects.count() == 1
    assert Message.objects.count() == 1
