"""Factories for the channels' tests: mailboxes and raw emails built the way a mail client would."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

import factory
from django.utils import timezone

from rapport.channels.models import ChannelKind, InboundDelivery, Mailbox
from rapport.channels.services.deliveries import process_delivery, store_delivery


class MailboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mailbox
        django_get_or_create = ("address",)

    address = "support@shop.test"
    name = "Support"


def an_email(
    *,
    sender: str = "ada@example.com",
    to: str = "support@shop.test",
    subject: str = "Where is my parcel?",
    body: str = "Hello, my order has not arrived.",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    cc: str = "",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id if message_id is not None else make_msgid(domain="example.com")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    # Line ends as SMTP carries them (CRLF): what the listener receives from a real sending server.
    return message.as_bytes(policy=SMTP)


def a_processed_delivery(raw: bytes, external_id: str = "") -> InboundDelivery:
    """An email stored for support@shop.test and processed, as the listener and the worker would."""
    MailboxFactory()
    delivery, _ = store_delivery(
        kind=ChannelKind.EMAIL, source="support@shop.test", raw=raw, external_id=external_id
    )
    process_delivery(delivery.pk)
    delivery.refresh_from_db()
    return delivery
