"""Stored emails become desk messages: new conversations, threaded replies, noise, quarantine."""

from __future__ import annotations

import hashlib
from email.utils import make_msgid

import pytest

from rapport.accounts.permissions import Actor
from rapport.channels.email.addresses import reply_address, subject_tag
from rapport.channels.models import ChannelKind, DeliveryStatus, InboundDelivery
from rapport.channels.services.deliveries import process_delivery, reprocess_delivery, store_delivery
from rapport.channels.tests.factories import MailboxFactory, an_email
from rapport.core.errors import Conflict
from rapport.customers.models import Customer, Identity
from rapport.desk.models import Conversation, ConversationEvent, Message, MessageKind, Status

pytestmark = pytest.mark.django_db


def deliver(raw: bytes, *, mailbox: str = "support@shop.test", sender: str = "") -> InboundDelivery:
    from rapport.channels.email.headers import header_message_id

    MailboxFactory(address=mailbox)
    delivery, _ = store_delivery(
        kind=ChannelKind.EMAIL, source=mailbox, raw=raw, sender=sender, external_id=header_message_id(raw)
    )
    process_delivery(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_first_email_opens_a_conversation_for_a_new_customer() -> None:
    delivery = deliver(
        an_email(sender="Ada Lovelace <Ada@Example.com>", subject="Parcel", body="It is late.")
    )

    assert delivery.status == DeliveryStatus.PROCESSED
    conversation = delivery.conversation
    assert conversation is not None
    assert conversation.subject == "Parcel"
    assert conversation.channel == "email"
    assert conversation.customer.name == "Ada Lovelace"
    assert Identity.objects.get(customer=conversation.customer).value == "ada@example.com"
    message = conversation.messages.get()
    assert (message.kind, message.body_text, message.sender) == (
        MessageKind.INBOUND,
        "It is late.",
        "ada@example.com",
    )
    assert delivery.message == message


def test_known_customer_is_recognised_by_email() -> None:
    first = deliver(an_email(sender="ada@example.com", subject="One"))
    second = deliver(an_email(sender="ADA@example.com", subject="Two"))

    assert second.conversation is not None
    assert first.conversation is not None
    assert second.conversation.customer_id == first.conversation.customer_id
    assert Customer.objects.count() == 1


def test_reply_threads_by_in_reply_to_when_the_sender_is_the_customer() -> None:
    first_id = make_msgid(domain="example.com")
    first = deliver(an_email(message_id=first_id))
    reply = deliver(an_email(subject="Re: Where is my parcel?", body="Any news?", in_reply_to=first_id))

    assert reply.conversation_id == first.conversation_id
    assert list(
        Message.objects.filter(conversation_id=first.conversation_id).values_list("body_text", flat=True)
    ) == [
        "Hello, my order has not arrived.",
        "Any news?",
    ]


def test_a_forged_reply_from_a_stranger_does_not_enter_the_thread() -> None:
    first_id = make_msgid(domain="example.com")
    first = deliver(an_email(sender="ada@example.com", message_id=first_id))
    forged = deliver(
        an_email(
            sender="mallory@evil.test",
            subject="Re: Where is my parcel?",
            body="Send it to me",
            references=first_id,
        )
    )

    assert forged.conversation_id != first.conversation_id
    assert forged.conversation is not None
    assert forged.conversation.customer.identities.get().value == "mallory@evil.test"
    assert not Message.objects.filter(
        conversation_id=first.conversation_id, sender="mallory@evil.test"
    ).exists()


def test_a_participant_in_copy_may_reply_into_the_thread() -> None:
    first_id = make_msgid(domain="example.com")
    first = deliver(an_email(message_id=first_id, cc="bob@example.com"))
    reply = deliver(an_email(sender="bob@example.com", in_reply_to=first_id, body="I am her partner."))

    assert first.conversation is not None
    assert first.conversation.participants == ["bob@example.com"]
    assert reply.conversation_id == first.conversation_id


@pytest.mark.parametrize("where", ["address", "subject"])
def test_the_conversation_token_threads_a_reply_without_headers(where: str) -> None:
    first = deliver(an_email(sender="ada@example.com"))
    assert first.conversation is not None
    token = first.conversation.token
    if where == "address":
        raw = an_email(
            sender="ada.work@example.com", to=reply_address("support@shop.test", token), subject="Re: parcel"
        )
    else:
        raw = an_email(sender="ada.work@example.com", subject=f"Re: parcel {subject_tag(token)}")

    reply = deliver(raw)

    assert reply.conversation_id == first.conversation_id


def test_a_reply_reopens_a_resolved_conversation_and_a_closed_one_gets_a_new_conversation() -> None:
    first_id = make_msgid(domain="example.com")
    first = deliver(an_email(message_id=first_id))
    conversation = first.conversation
    assert conversation is not None
    Conversation.objects.filter(pk=conversation.pk).update(status=Status.RESOLVED)
    reopened = deliver(an_email(in_reply_to=first_id, body="Still not here"))
    assert reopened.conversation_id == conversation.pk
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN

    Conversation.objects.filter(pk=conversation.pk).update(status=Status.CLOSED)
    later = deliver(an_email(in_reply_to=first_id, body="Again"))

    assert later.conversation_id != conversation.pk
    assert later.conversation is not None
    assert later.conversation.customer_id == conversation.customer_id


def test_an_auto_reply_is_recorded_on_its_conversation_and_does_not_reopen_it() -> None:
    first_id = make_msgid(domain="example.com")
    first = deliver(an_email(message_id=first_id))
    conversation = first.conversation
    assert conversation is not None
    Conversation.objects.filter(pk=conversation.pk).update(status=Status.PENDING)

    auto = deliver(
        an_email(subject="Out of office", in_reply_to=first_id, headers={"Auto-Submitted": "auto-replied"})
    )

    assert auto.status == DeliveryStatus.IGNORED
    assert auto.conversation_id == conversation.pk
    assert "not answered" in auto.reason
    conversation.refresh_from_db()
    assert conversation.status == Status.PENDING
    assert conversation.messages.count() == 1
    assert ConversationEvent.objects.filter(conversation=conversation, kind="email.auto_reply").count() == 1


def test_an_auto_reply_to_nothing_opens_no_conversation() -> None:
    auto = deliver(an_email(subject="Automatic reply", headers={"Auto-Submitted": "auto-generated"}))

    assert auto.status == DeliveryStatus.IGNORED
    assert auto.conversation is None
    assert Conversation.objects.count() == 0


def test_the_same_message_delivered_twice_is_stored_and_processed_once() -> None:
    raw = an_email(message_id="<once@example.com>")
    first = deliver(raw, sender="ada@example.com")
    again, created = store_delivery(
        kind=ChannelKind.EMAIL,
        source="support@shop.test",
        raw=raw,
        sender="ada@example.com",
        external_id="once@example.com",
    )

    assert not created
    assert again.pk == first.pk
    assert process_delivery(again.pk) == DeliveryStatus.PROCESSED
    assert InboundDelivery.objects.count() == 1
    assert Message.objects.count() == 1


def test_attachments_are_kept_with_the_message() -> None:
    delivery = deliver(an_email(attachments=[("receipt.pdf", "application/pdf", b"%PDF-1.4 receipt")]))

    assert delivery.message is not None
    attachment = delivery.message.attachments.get()
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "receipt.pdf",
        "application/pdf",
        16,
    )


def test_reading_a_mail_stores_its_attachments_files_before_the_transaction_that_writes_it() -> None:
    from rapport.channels.email.ingest import read_email
    from rapport.desk.blobs import blob_path
    from rapport.desk.services.conversations import desk_settings

    limit = desk_settings().max_attachment_bytes
    small, large = b"%PDF-1.4 receipt", b"x" * (limit + 1)
    raw = an_email(
        attachments=[
            ("receipt.pdf", "application/pdf", small),
            ("video.bin", "application/octet-stream", large),
        ]
    )

    read_email(raw)  # what the batch runs before it opens its transaction

    assert blob_path(hashlib.sha256(small).hexdigest()).exists()
    # Over the desk's limit, the file stays in the original mail only.
    assert not blob_path(hashlib.sha256(large).hexdigest()).exists()
    delivery = deliver(raw)
    assert delivery.message is not None
    assert delivery.message.attachments.get().sha256 == hashlib.sha256(small).hexdigest()


def test_unreadable_input_is_quarantined_with_its_bytes_and_can_be_processed_again(admin: Actor) -> None:
    raw = b"\r\n\r\n"
    delivery = deliver(raw)

    assert delivery.status == DeliveryStatus.QUARANTINED
    assert "cannot be read" in delivery.reason
    assert bytes(delivery.raw) == raw
    assert reprocess_delivery(actor=admin, delivery=delivery) == DeliveryStatus.QUARANTINED
    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_only_a_quarantined_delivery_is_processed_again(admin: Actor) -> None:
    delivery = deliver(an_email())

    with pytest.raises(Conflict):
        reprocess_delivery(actor=admin, delivery=delivery)


def test_a_subject_longer_than_a_conversation_holds_is_cut_and_the_mail_is_not_quarantined() -> None:
    delivery = deliver(an_email(subject="Where is my parcel " * 30, body="Still waiting."))

    assert delivery.status == DeliveryStatus.PROCESSED
    assert delivery.conversation is not None
    assert delivery.conversation.subject == ("Where is my parcel " * 30)[:300].strip()
