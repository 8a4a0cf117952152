"""The same email delivered by several connections at once is stored and turned into a message once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from rapport.channels.models import ChannelKind, InboundDelivery
from rapport.channels.services.deliveries import process_delivery, store_delivery
from rapport.channels.tests.factories import MailboxFactory, an_email
from rapport.desk.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

SENDERS = 6


def test_concurrent_deliveries_of_one_message_have_one_effect() -> None:
    if connection.vendor == "sqlite":
        # The SQLite test database lives in shared-cache memory, whose table locks fail at once instead
        # of waiting; on a file (production) writers queue. test_listener_crash covers SQLite on a file.
        pytest.skip("needs a database whose writers wait for each other")
    MailboxFactory()
    raw = an_email(message_id="<race@example.com>")
    start = threading.Barrier(SENDERS)
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            start.wait(timeout=10)
            delivery, _ = store_delivery(
                kind=ChannelKind.EMAIL,
                source="support@shop.test",
                raw=raw,
                sender="ada@example.com",
                external_id="race@example.com",
            )
            process_delivery(delivery.pk)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert InboundDelivery.objects.count() == 1
    assert InboundDelivery.objects.get().status == "processed"
    assert Message.objects.count() == 1
