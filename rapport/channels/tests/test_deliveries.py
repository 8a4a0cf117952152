"""The batch path: many stored deliveries written in one transaction, each failure kept to itself."""

from __future__ import annotations

import pytest

from rapport.channels import protocol
from rapport.channels.email.headers import header_message_id
from rapport.channels.models import ChannelKind, DeliveryStatus, InboundDelivery
from rapport.channels.protocol import Outcome
from rapport.channels.services.deliveries import process_all_received, process_received, store_delivery
from rapport.channels.tests.factories import MailboxFactory, an_email
from rapport.customers.models import Customer
from rapport.customers.services import find_or_create_customer
from rapport.desk.models import Conversation, Message

pytestmark = pytest.mark.django_db


def stored(raw: bytes, *, kind: str = ChannelKind.EMAIL) -> InboundDelivery:
    MailboxFactory()
    delivery, _ = store_delivery(
        kind=kind, source="support@shop.test", raw=raw, external_id=header_message_id(raw), enqueue=False
    )
    return delivery


def test_a_batch_opens_conversations_and_threads_replies_to_mail_earlier_in_the_same_batch() -> None:
    stored(an_email(sender="ada@example.com", message_id="<first@example.com>", subject="Late parcel"))
    stored(an_email(sender="bob@example.com", subject="Wrong size"))
    stored(
        an_email(
            sender="ada@example.com",
            subject="Re: Late parcel",
            in_reply_to="<first@example.com>",
            references="<first@example.com>",
        )
    )

    assert process_received() == 3

    assert set(InboundDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PROCESSED}
    ada = Conversation.objects.get(subject="Late parcel")
    assert ada.messages.count() == 2
    assert Conversation.objects.count() == 2


def test_a_batch_takes_at_most_its_limit_and_the_drain_takes_the_rest() -> None:
    for number in range(5):
        stored(an_email(sender=f"customer{number}@example.com"))

    assert process_received(limit=2) == 2
    assert InboundDelivery.objects.filter(status=DeliveryStatus.RECEIVED).count() == 3
    assert process_all_received(limit=2) == 3
    assert not InboundDelivery.objects.filter(status=DeliveryStatus.RECEIVED).exists()


def test_unreadable_mail_is_quarantined_while_the_rest_of_its_batch_is_processed() -> None:
    stored(an_email(sender="ada@example.com"))
    broken = stored(b"no headers, no sender, nothing a mail has\r\n")
    stored(an_email(sender="bob@example.com"))

    assert process_received() == 3

    broken.refresh_from_db()
    assert broken.status == DeliveryStatus.QUARANTINED
    assert broken.reason.startswith("the email cannot be read")
    assert bytes(broken.raw) == b"no headers, no sender, nothing a mail has\r\n"
    assert InboundDelivery.objects.filter(status=DeliveryStatus.PROCESSED).count() == 2


def test_a_processor_that_fails_halfway_leaves_none_of_its_writes_and_spares_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def half_written(delivery: InboundDelivery) -> Outcome:
        find_or_create_customer(kind="email", value="half@example.com", name="Half")
        raise RuntimeError("the service broke after writing a customer")

    monkeypatch.setitem(
        protocol._CHANNELS,
        "broken",
        protocol.ChannelProcessing(read=None, process=lambda delivery, _: half_written(delivery)),
    )
    stored(an_email(sender="ada@example.com"))
    failing = stored(b"anything", kind="broken")
    stored(an_email(sender="bob@example.com"))

    assert process_received() == 3

    failing.refresh_from_db()
    assert failing.status == DeliveryStatus.QUARANTINED
    assert failing.reason.startswith("processing failed: RuntimeError")
    assert not Customer.objects.filter(name="Half").exists()
    assert Message.objects.count() == 2


def test_a_delivery_processed_meanwhile_is_not_processed_again() -> None:
    delivery = stored(an_email(sender="ada@example.com"))
    InboundDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PROCESSED)

    assert process_received() == 0
    assert Message.objects.count() == 0
