"""The batch path: many stored deliveries written in one transaction, each failure kept to itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from rapport.channels import protocol
from rapport.channels.email.headers import header_message_id
from rapport.channels.models import ChannelKind, DeliveryStatus, InboundDelivery
from rapport.channels.protocol import Outcome
from rapport.channels.services.deliveries import (
    DeliveryInput,
    process_all_received,
    process_received,
    store_deliveries,
    store_delivery,
)
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


def test_a_batch_that_cannot_be_written_in_bulk_is_written_one_by_one_and_only_the_culprit_waits() -> None:
    stored(an_email(sender="ada@example.com", message_id="<ada@example.com>", subject="Late parcel"))
    assert process_received() == 1
    ada = Conversation.objects.get()
    survivor = Conversation.objects.create(customer=ada.customer, channel="email", subject="Survivor")
    Conversation.objects.filter(pk=ada.pk).update(merged_into=survivor)
    stored(an_email(sender="bob@example.com", subject="Wrong size"))
    into_merged = stored(an_email(sender="ada@example.com", in_reply_to="<ada@example.com>"))
    stored(an_email(sender="cy@example.com", subject="Refund"))

    assert process_received() == 3

    into_merged.refresh_from_db()
    assert into_merged.status == DeliveryStatus.QUARANTINED
    assert "merged into another" in into_merged.reason
    assert set(Conversation.objects.values_list("subject", flat=True)) == {
        "Late parcel",
        "Survivor",
        "Wrong size",
        "Refund",
    }
    assert (
        not Message.objects.filter(conversation=ada, sender="ada@example.com")
        .exclude(
            pk=ada.messages.first().pk  # type: ignore[union-attr]
        )
        .exists()
    )


def test_a_batch_of_mail_costs_a_few_queries_a_message_not_a_dozen(
    django_assert_max_num_queries: pytest.FixtureRequest,
) -> None:
    first_ids = [f"<first{number}@example.com>" for number in range(10)]
    for number, message_id in enumerate(first_ids):
        stored(an_email(sender=f"customer{number}@example.com", message_id=message_id))
    process_received()
    for number, message_id in enumerate(first_ids):
        stored(an_email(sender=f"customer{number}@example.com", in_reply_to=message_id, body="Any news?"))
    for number in range(10, 20):
        stored(an_email(sender=f"customer{number}@example.com", attachments=[("a.txt", "text/plain", b"x")]))

    # 20 mails: 10 replies and 10 first contacts (new customers, conversations and an attachment each).
    # One at a time this took 18 queries a mail; in bulk, the delivery's own row and a reply's
    # conversation are still written one by one, and everything else about once for the batch
    # (claiming it, reading it, the settings it needs, each table it inserts into).
    with django_assert_max_num_queries(20 + 10 + 35):  # type: ignore[operator]
        assert process_received() == 20

    assert Message.objects.count() == 30
    assert Conversation.objects.filter(message_count=2).count() == 10


def test_deliveries_another_worker_claimed_are_left_to_it_until_its_claim_runs_out() -> None:
    deliveries = [stored(an_email(sender=f"customer{number}@example.com")) for number in range(4)]
    # another worker claimed the first two and is still reading them
    InboundDelivery.objects.filter(pk__in=[d.pk for d in deliveries[:2]]).update(
        claimed_until=timezone.now() + timedelta(seconds=30)
    )

    assert process_all_received() == 2
    assert InboundDelivery.objects.filter(status=DeliveryStatus.RECEIVED).count() == 2

    # that worker died: its claim runs out and the next drain takes them
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert process_all_received() == 2
    assert not InboundDelivery.objects.filter(status=DeliveryStatus.RECEIVED).exists()
    assert Message.objects.count() == 4


def test_a_group_of_deliveries_is_stored_in_one_go_and_repeats_are_stored_once() -> None:
    first = an_email(sender="ada@example.com", message_id="<one@example.com>")
    stored(first)
    group = [
        DeliveryInput(
            kind=ChannelKind.EMAIL, source="support@shop.test", raw=raw, external_id=header_message_id(raw)
        )
        for raw in (
            first,  # stored before
            an_email(sender="bob@example.com", message_id="<two@example.com>"),
            an_email(sender="bob@example.com", message_id="<two@example.com>"),  # twice in the group
            an_email(sender="cy@example.com", message_id="<three@example.com>"),
        )
    ]

    assert store_deliveries(group) == 2

    assert sorted(InboundDelivery.objects.values_list("external_id", flat=True)) == [
        "one@example.com",
        "three@example.com",
        "two@example.com",
    ]
    assert set(InboundDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.RECEIVED}
