"""Agents' replies leave by SMTP with the headers that thread them, and failures can be sent again."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.test import Client
from django.urls import reverse

from rapport.accounts.permissions import Actor
from rapport.channels.email import outgoing
from rapport.channels.email.addresses import token_in_address
from rapport.channels.email.headers import header_message_id
from rapport.channels.models import ChannelKind, InboundDelivery, OutboundEmail, SendStatus
from rapport.channels.services.deliveries import process_delivery, store_delivery
from rapport.channels.tests.factories import MailboxFactory, an_email
from rapport.desk.models import Conversation, ConversationEvent, Message
from rapport.desk.outbound import delivery_states
from rapport.desk.services.conversations import AttachmentInput, add_note, reply
from rapport.desk.tests.factories import a_conversation

pytestmark = pytest.mark.django_db


class Collector:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        parsed = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Collector]:
    """A real SMTP server on loopback (aiosmtpd) standing in for the company's mail relay."""
    collector = Collector()
    port = _free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    yield collector
    controller.stop()


@pytest.fixture
def nothing_listening(settings: Any) -> None:
    port = _free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2


def customer_writes(*, message_id: str, cc: str = "") -> Conversation:
    MailboxFactory(address="support@shop.test", name="Shop Support")
    raw = an_email(sender="Ada <ada@example.com>", subject="Parcel late", message_id=message_id, cc=cc)
    delivery, _ = store_delivery(
        kind=ChannelKind.EMAIL, source="support@shop.test", raw=raw, external_id=header_message_id(raw)
    )
    process_delivery(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.conversation is not None
    return delivery.conversation


def test_reply_is_sent_from_the_mailbox_with_threading_headers(
    smtp_server: Collector, agent: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    first_id = make_msgid(domain="example.com")
    conversation = customer_writes(message_id=first_id, cc="bob@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        sent = reply(
            actor=agent,
            conversation=conversation,
            body_text="We have sent a replacement.",
            attachments=[AttachmentInput("label.pdf", "application/pdf", b"%PDF-1.4 label")],
        )

    outbound = OutboundEmail.objects.get(message=sent)
    assert outbound.status == SendStatus.SENT
    [(mail_from, recipients, email)] = smtp_server.received
    assert mail_from == "support@shop.test"
    assert sorted(recipients) == ["ada@example.com", "bob@example.com"]
    assert email["From"] == "Shop Support <support@shop.test>"
    assert email["To"] == "ada@example.com"
    assert email["Cc"] == "bob@example.com"
    assert email["Subject"] == "Re: Parcel late"
    assert email["Message-ID"] == f"<{outbound.header_message_id}>"
    assert email["In-Reply-To"] == first_id
    assert email["References"] == first_id
    assert token_in_address(email["Reply-To"]) == conversation.token
    body = email.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().strip() == "We have sent a replacement."
    [attachment] = list(email.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == ("label.pdf", b"%PDF-1.4 label")
    sent.refresh_from_db()
    assert sent.external_id == outbound.header_message_id
    assert delivery_states([sent])[sent.pk].label == "Sent by email"


def test_the_customers_answer_to_a_reply_threads_back(
    smtp_server: Collector, agent: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    conversation = customer_writes(message_id=make_msgid(domain="example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        sent = reply(actor=agent, conversation=conversation, body_text="Could you send a photo?")
    sent.refresh_from_db()

    raw = an_email(sender="ada@example.com", subject="Re: Parcel late", in_reply_to=f"<{sent.external_id}>")
    delivery, _ = store_delivery(kind=ChannelKind.EMAIL, source="support@shop.test", raw=raw)
    process_delivery(delivery.pk)

    assert InboundDelivery.objects.get(pk=delivery.pk).conversation_id == conversation.pk


def test_notes_and_replies_on_other_channels_are_not_emailed(agent: Actor) -> None:
    phone = a_conversation(channel="phone")
    reply(actor=agent, conversation=phone, body_text="Called back.")
    email_conversation = customer_writes(message_id=make_msgid(domain="example.com"))
    add_note(actor=agent, conversation=email_conversation, body_text="Customer sounds upset")

    assert OutboundEmail.objects.count() == 0


def test_a_reply_that_cannot_be_delivered_is_retried_then_shown_failed(
    nothing_listening: None, agent: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    conversation = customer_writes(message_id=make_msgid(domain="example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        sent = reply(actor=agent, conversation=conversation, body_text="On its way.")
    outbound = OutboundEmail.objects.get(message=sent)
    assert outbound.status == SendStatus.QUEUED
    assert outbound.attempts == 1
    assert "ConnectionRefusedError" in outbound.last_error
    assert "trying again" in delivery_states([sent])[sent.pk].detail

    for _ in range(outgoing.MAX_ATTEMPTS - 1):
        outgoing.send_outbound(outbound.pk)

    outbound.refresh_from_db()
    assert (outbound.status, outbound.attempts) == (SendStatus.FAILED, outgoing.MAX_ATTEMPTS)
    state = delivery_states([sent])[sent.pk]
    assert state.failed
    assert state.retry_url == reverse("channels:outbound_retry", args=[outbound.pk])
    assert ConversationEvent.objects.filter(conversation=conversation, kind="email.send_failed").count() == 1


def test_an_agent_sends_a_failed_reply_again(
    smtp_server: Collector, agent: Actor, agent_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    conversation = customer_writes(message_id=make_msgid(domain="example.com"))
    sent = reply(actor=agent, conversation=conversation, body_text="On its way.")
    OutboundEmail.objects.filter(message=sent).update(status=SendStatus.FAILED, last_error="timed out")
    outbound = OutboundEmail.objects.get(message=sent)

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(reverse("channels:outbound_retry", args=[outbound.pk]))

    assert response.status_code == 302
    outbound.refresh_from_db()
    assert outbound.status == SendStatus.SENT
    assert len(smtp_server.received) == 1


def test_a_sent_reply_cannot_be_sent_again(agent_client: Client, agent: Actor) -> None:
    conversation = customer_writes(message_id=make_msgid(domain="example.com"))
    sent = reply(actor=agent, conversation=conversation, body_text="Done.")
    OutboundEmail.objects.filter(message=sent).update(status=SendStatus.SENT)
    outbound = OutboundEmail.objects.get(message=sent)

    response = agent_client.post(reverse("channels:outbound_retry", args=[outbound.pk]), follow=True)

    assert "only a reply that failed can be sent again" in response.content.decode()


def test_someone_who_cannot_see_the_conversation_cannot_retry_its_reply(
    agent: Actor, lead_client: Client
) -> None:
    from rapport.accounts.tests.factories import TeamFactory
    from rapport.desk.tests.factories import TeamDeskFactory

    private = TeamFactory()
    TeamDeskFactory(team=private, is_private=True)
    conversation = customer_writes(message_id=make_msgid(domain="example.com"))
    Conversation.objects.filter(pk=conversation.pk).update(team=private)
    conversation.refresh_from_db()
    sent = reply(actor=agent, conversation=conversation, body_text="Done.")
    OutboundEmail.objects.filter(message=sent).update(status=SendStatus.FAILED)
    outbound = OutboundEmail.objects.get(message=sent)

    response = lead_client.post(reverse("channels:outbound_retry", args=[outbound.pk]))

    assert response.status_code == 404
    assert OutboundEmail.objects.get(pk=outbound.pk).status == SendStatus.FAILED
    assert Message.objects.filter(pk=sent.pk).exists()
