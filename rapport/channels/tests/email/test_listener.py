"""The SMTP listener over a real loopback socket: 250 only after the bytes are committed."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections

from rapport.channels.email.listener import MailHandler, make_server_factory
from rapport.channels.models import DeliveryStatus, InboundDelivery
from rapport.channels.tasks import process_received_task
from rapport.channels.tests.factories import MailboxFactory, an_email
from rapport.desk.models import Conversation

pytestmark = pytest.mark.django_db(transaction=True)

MAX_BYTES = 64 * 1024


class Listener:
    """The listener's real server on a free loopback port, its loop in a thread."""

    def __init__(self, handler: MailHandler) -> None:
        self.loop = asyncio.new_event_loop()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._handler = handler
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Listener:
        self._thread.start()
        factory = make_server_factory(self._handler, max_bytes=MAX_BYTES, hostname="127.0.0.1")
        self.server = asyncio.run_coroutine_threadsafe(
            self.loop.create_server(factory, "127.0.0.1", self.port), self.loop
        ).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        # Closed in the loop's own thread: asyncio's server is not thread-safe, and a client hanging up
        # at the same moment would otherwise race the close.
        async def close() -> None:
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)

    def client(self) -> smtplib.SMTP:
        return smtplib.SMTP("127.0.0.1", self.port, timeout=10)


def _close_connections() -> None:
    connections.close_all()


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=2)
    yield pool
    # Each store thread keeps its own database connection; close them all before the test database
    # goes. The barrier makes the two closing tasks run on the two threads, not twice on one.
    barrier = threading.Barrier(2, timeout=10)

    def close_in_this_thread() -> None:
        barrier.wait()
        _close_connections()

    for closing in [pool.submit(close_in_this_thread) for _ in range(2)]:
        closing.result()
    pool.shutdown(wait=True)


@pytest.fixture
def listener(executor: ThreadPoolExecutor) -> Iterator[Listener]:
    MailboxFactory(address="support@shop.test")
    with Listener(MailHandler(executor=executor)) as running:
        yield running


def test_accepted_mail_is_stored_byte_for_byte_before_250(listener: Listener) -> None:
    raw = an_email(message_id="<one@example.com>", body="Grüße aus Köln")
    with listener.client() as client:
        refused = client.sendmail("ada@example.com", ["Support@Shop.Test"], raw)

    assert refused == {}
    delivery = InboundDelivery.objects.get()
    assert bytes(delivery.raw) == raw
    assert (delivery.source, delivery.sender, delivery.external_id) == (
        "support@shop.test",
        "ada@example.com",
        "one@example.com",
    )
    assert delivery.remote_addr == "127.0.0.1"
    assert delivery.status in {DeliveryStatus.RECEIVED, DeliveryStatus.PROCESSED}


def test_mail_for_an_unknown_mailbox_is_refused_at_rcpt(listener: Listener) -> None:
    with listener.client() as client, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.sendmail("ada@example.com", ["sales@shop.test"], an_email(to="sales@shop.test"))

    assert refused.value.recipients["sales@shop.test"][0] == 550
    assert InboundDelivery.objects.count() == 0


def test_plus_addressed_mail_reaches_its_mailbox(listener: Listener) -> None:
    with listener.client() as client:
        client.sendmail("ada@example.com", ["support+abc@shop.test"], an_email())

    assert InboundDelivery.objects.get().source == "support@shop.test"


def test_mail_over_the_size_limit_is_refused_and_not_stored(listener: Listener) -> None:
    raw = an_email(body="x" * (MAX_BYTES + 1000))
    with listener.client() as client, pytest.raises(smtplib.SMTPResponseException) as refused:
        client.sendmail("ada@example.com", ["support@shop.test"], raw)

    assert refused.value.smtp_code == 552
    assert InboundDelivery.objects.count() == 0


def test_a_retried_delivery_is_accepted_again_and_stored_once(listener: Listener) -> None:
    raw = an_email(message_id="<retry@example.com>")
    with listener.client() as client:
        client.sendmail("ada@example.com", ["support@shop.test"], raw)
        client.sendmail("ada@example.com", ["support@shop.test"], raw)

    assert InboundDelivery.objects.count() == 1


def test_when_the_message_cannot_be_stored_the_answer_is_451_so_the_sender_retries(
    executor: ThreadPoolExecutor,
) -> None:
    def disk_full(group: object) -> None:
        raise OSError("No space left on device")

    handler = MailHandler(
        executor=executor, mailboxes=lambda: frozenset({"support@shop.test"}), store=disk_full
    )
    with (
        Listener(handler) as running,
        running.client() as client,
        pytest.raises(smtplib.SMTPDataError) as error,
    ):
        client.sendmail("ada@example.com", ["support@shop.test"], an_email())

    assert error.value.smtp_code == 451


def test_accepted_mail_queues_a_processing_task_that_processes_it_all(
    executor: ThreadPoolExecutor,
) -> None:
    MailboxFactory(address="support@shop.test")
    queued: list[float] = []
    handler = MailHandler(executor=executor, queue_processing=lambda: queued.append(time.monotonic()))
    with Listener(handler) as running:
        with running.client() as client:
            for number in range(5):
                sender = f"customer{number}@example.com"
                client.sendmail(
                    sender,
                    ["support@shop.test"],
                    an_email(sender=sender, message_id=f"<burst{number}@example.com>"),
                )
        time.sleep(0.5)

    assert 1 <= len(queued) <= 5
    # What the queued task does (run here, in the test's own connection).
    process_received_task.enqueue()
    assert InboundDelivery.objects.filter(status=DeliveryStatus.PROCESSED).count() == 5
    assert Conversation.objects.count() == 5


def test_stored_mail_whose_processing_cannot_be_queued_is_still_accepted(
    executor: ThreadPoolExecutor,
) -> None:
    MailboxFactory(address="support@shop.test")

    def queue_down() -> None:
        raise OSError("the task queue is unreachable")

    with Listener(MailHandler(executor=executor, queue_processing=queue_down)) as running:
        with running.client() as client:
            refused = client.sendmail("ada@example.com", ["support@shop.test"], an_email())
        time.sleep(0.2)

    assert refused == {}
    # Kept for the clock's sweep, which processes deliveries whose task never ran.
    assert InboundDelivery.objects.get().status == DeliveryStatus.RECEIVED


def test_mail_arriving_while_a_commit_is_under_way_is_committed_together_in_the_next(
    executor: ThreadPoolExecutor,
) -> None:
    MailboxFactory(address="support@shop.test")
    groups: list[int] = []

    def slow_store(group: list[object]) -> None:
        groups.append(len(group))
        time.sleep(0.3)  # a commit waiting for the write lock

    handler = MailHandler(executor=executor, store=slow_store, queue_processing=lambda: None)

    def send(number: int) -> None:
        with running.client() as client:
            sender = f"customer{number}@example.com"
            client.sendmail(sender, ["support@shop.test"], an_email(sender=sender))

    with Listener(handler) as running:
        senders = [threading.Thread(target=send, args=(number,)) for number in range(6)]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join(timeout=30)

    assert sum(groups) == 6
    assert max(groups) > 1
    assert len(groups) < 6


def test_mail_stored_while_a_drain_waits_to_start_queues_no_other(settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    from rapport.channels.email.listener import _queue_processing

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    drains = DBTaskResult.objects.filter(task_path=process_received_task.module_path)

    _queue_processing()
    _queue_processing()  # the first has not started: it will see this mail too
    assert drains.count() == 1

    drains.update(status="RUNNING")  # a worker took it, and may have looked already
    _queue_processing()
    assert drains.filter(status="READY").count() == 1
