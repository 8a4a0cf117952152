"""IMAP polling against a real loopback server: each message stored once, in UID order, then \\Seen."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from rapport.channels.email.imap import encode_folder
from rapport.channels.models import DeliveryStatus, InboundDelivery, Mailbox
from rapport.channels.services.imap_polling import KEYS_CHANGED_ERROR, poll_mailbox
from rapport.channels.tasks_imap import poll_imap_mailboxes
from rapport.channels.tests.email.fake_imap import FakeImapServer
from rapport.channels.tests.factories import an_email
from rapport.core.sealed import seal
from rapport.desk.models import Conversation, Message

# Processing runs on commit (the test settings' ImmediateBackend), which needs real commits.
pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cret pass"


@pytest.fixture
def server() -> Iterator[FakeImapServer]:
    with FakeImapServer(password=PASSWORD, folders=("INBOX", "Support Tickets")) as running:
        yield running


def imap_mailbox(server: FakeImapServer, *, imap_password: str = PASSWORD, **fields: object) -> Mailbox:
    values: dict[str, object] = {
        "imap_host": "127.0.0.1",
        "imap_port": server.port,
        "imap_use_tls": False,
        "imap_username": "support@shop.test",
        "imap_password_sealed": seal(imap_password),
        **fields,
    }
    return a_mailbox(address="support@shop.test", **values)


def a_mailbox(**fields: object) -> Mailbox:
    return Mailbox.objects.create(**{"name": "Support", "address": "support@shop.test", **fields})


def poll(mailbox: Mailbox) -> int:
    stored = poll_mailbox(mailbox.pk, timeout=5)
    mailbox.refresh_from_db()
    return stored


def test_new_messages_are_stored_processed_into_conversations_and_marked_seen(
    server: FakeImapServer,
) -> None:
    server.add(an_email(sender="Ada <ada@example.com>", subject="Parcel", message_id="<a1@example.com>"))
    server.add(an_email(sender="bob@example.com", subject="Refund", message_id="<b1@example.com>"))
    mailbox = imap_mailbox(server)

    stored = poll(mailbox)

    assert stored == 2
    deliveries = InboundDelivery.objects.order_by("pk")
    assert [(d.source, d.sender, d.external_id, d.status) for d in deliveries] == [
        ("support@shop.test", "ada@example.com", "a1@example.com", DeliveryStatus.PROCESSED),
        ("support@shop.test", "bob@example.com", "b1@example.com", DeliveryStatus.PROCESSED),
    ]
    assert [bytes(d.raw) for d in deliveries] == [message.raw for message in server.messages]
    assert sorted(Conversation.objects.values_list("subject", flat=True)) == ["Parcel", "Refund"]
    assert (mailbox.imap_uid_validity, mailbox.imap_last_uid, mailbox.imap_error) == (1, 2, "")
    assert mailbox.imap_polled_at is not None
    assert mailbox.imap_polled_at <= timezone.now()
    assert server.fetched == [1, 2]
    assert server.flags(1) == server.flags(2) == {"\\Seen"}


def test_a_second_poll_fetches_nothing(server: FakeImapServer) -> None:
    server.add(an_email())
    server.add(an_email())
    mailbox = imap_mailbox(server)
    poll(mailbox)

    stored = poll(mailbox)

    assert stored == 0
    assert server.fetched == [1, 2]
    assert InboundDelivery.objects.count() == 2
    assert mailbox.imap_last_uid == 2


def test_the_highest_uid_answering_n_star_is_not_fetched_again(server: FakeImapServer) -> None:
    server.add(an_email())
    mailbox = imap_mailbox(server)
    poll(mailbox)

    poll(mailbox)

    # The server answers `2:*` with UID 1, as RFC 3501 says it must; the client knows it has it.
    assert server.searches == [("1:*", [1]), ("2:*", [1])]
    assert server.fetched == [1]


def test_a_message_arriving_later_is_fetched_alone_and_threads_into_its_conversation(
    server: FakeImapServer,
) -> None:
    server.add(an_email(sender="ada@example.com", message_id="<first@example.com>"))
    mailbox = imap_mailbox(server)
    poll(mailbox)
    server.add(
        an_email(
            sender="ada@example.com", subject="Re: Where is my parcel?", in_reply_to="<first@example.com>"
        )
    )

    stored = poll(mailbox)

    assert stored == 1
    assert server.fetched == [1, 2]
    assert mailbox.imap_last_uid == 2
    conversation = Conversation.objects.get()
    assert conversation.messages.count() == 2


def test_a_changed_uidvalidity_reads_the_folder_again_without_duplicates(server: FakeImapServer) -> None:
    server.add(an_email(message_id="<one@example.com>"))
    server.add(an_email(message_id="<two@example.com>"))
    mailbox = imap_mailbox(server)
    poll(mailbox)
    server.renumber(uid_validity=99)
    server.add(an_email(message_id="<three@example.com>"))

    stored = poll(mailbox)

    assert stored == 1
    assert server.fetched == [1, 2, 1, 2, 3]
    assert sorted(InboundDelivery.objects.values_list("external_id", flat=True)) == [
        "one@example.com",
        "three@example.com",
        "two@example.com",
    ]
    assert Message.objects.count() == 3
    assert (mailbox.imap_uid_validity, mailbox.imap_last_uid) == (99, 3)


def test_a_wrong_password_is_recorded_and_stores_nothing(
    server: FakeImapServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.add(an_email())
    mailbox = imap_mailbox(server, imap_password="wrong horse")
    caplog.set_level(logging.DEBUG)

    stored = poll(mailbox)

    assert stored == 0
    assert mailbox.imap_error == "login refused: [AUTHENTICATIONFAILED] Invalid credentials"
    assert mailbox.imap_polled_at is not None
    assert (mailbox.imap_last_uid, mailbox.imap_uid_validity) == (0, None)
    assert InboundDelivery.objects.count() == 0
    assert server.fetched == []
    assert "wrong horse" not in caplog.text
    assert "wrong horse" not in " ".join(server.commands)


@pytest.mark.parametrize(("auth_plain", "stored"), [(True, 1), (False, 0)])
def test_a_non_ascii_password_logs_in_with_sasl_plain_where_offered(auth_plain: bool, stored: int) -> None:
    with FakeImapServer(password="pässwörd £5", auth_plain=auth_plain) as server:
        server.add(an_email())
        mailbox = imap_mailbox(server, imap_password="pässwörd £5")

        assert poll(mailbox) == stored

    assert mailbox.imap_error == (
        ""
        if auth_plain
        else "the username or password holds non-ASCII characters and the server offers no AUTH=PLAIN"
    )
    assert not any("pässwörd" in command for command in server.commands)


def test_the_next_poll_after_a_failure_tries_again_and_clears_the_error(server: FakeImapServer) -> None:
    server.add(an_email())
    mailbox = imap_mailbox(server, imap_password="wrong horse")
    poll(mailbox)
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password_sealed=seal(PASSWORD))

    stored = poll(mailbox)

    assert stored == 1
    assert mailbox.imap_error == ""


def test_a_password_sealed_under_other_keys_asks_for_it_again_and_reads_nothing(
    server: FakeImapServer, settings: object
) -> None:
    server.add(an_email())
    mailbox = imap_mailbox(server)
    settings.RAPPORT_SEALING_KEYS = ["a key this server never had"]  # type: ignore[attr-defined]

    stored = poll(mailbox)

    assert stored == 0
    assert mailbox.imap_error == KEYS_CHANGED_ERROR
    assert server.fetched == []


def test_an_unreachable_server_is_recorded() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    mailbox = a_mailbox(
        imap_host="127.0.0.1",
        imap_port=closed_port,
        imap_use_tls=False,
        imap_username="u",
        imap_password_sealed=seal("p"),
    )

    stored = poll(mailbox)

    assert stored == 0
    assert mailbox.imap_error.startswith(f"could not connect to 127.0.0.1:{closed_port}: ")
    assert "Connection refused" in mailbox.imap_error


def test_tls_against_a_server_without_tls_is_recorded(server: FakeImapServer) -> None:
    mailbox = imap_mailbox(server, imap_use_tls=True)

    poll(mailbox)

    assert mailbox.imap_error.startswith(f"could not connect to 127.0.0.1:{server.port}: ")
    assert "SSL" in mailbox.imap_error


def test_a_server_that_never_answers_times_out_and_is_recorded() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        mailbox = a_mailbox(
            imap_host="127.0.0.1",
            imap_port=port,
            imap_use_tls=False,
            imap_username="u",
            imap_password_sealed=seal("p"),
        )

        stored = poll_mailbox(mailbox.pk, timeout=0.3)

    mailbox.refresh_from_db()
    assert stored == 0
    assert mailbox.imap_error == f"could not connect to 127.0.0.1:{port}: timed out"


def test_an_unknown_folder_is_recorded(server: FakeImapServer) -> None:
    mailbox = imap_mailbox(server, imap_folder="Archive")

    poll(mailbox)

    assert mailbox.imap_error == "SELECT failed: NO [NONEXISTENT] no such folder"


def test_a_folder_name_with_a_space_is_quoted(server: FakeImapServer) -> None:
    mailbox = imap_mailbox(server, imap_folder="Support Tickets")
    server.add(an_email())

    assert poll(mailbox) == 1
    assert 'SELECT "Support Tickets"' in server.commands


def test_a_server_that_names_the_uid_after_the_body_is_understood() -> None:
    with FakeImapServer(password=PASSWORD, uid_after_body=True) as server:
        server.add(an_email(message_id="<late-uid@example.com>"))
        mailbox = imap_mailbox(server)

        assert poll(mailbox) == 1

    assert InboundDelivery.objects.get().external_id == "late-uid@example.com"


def test_a_mailbox_another_poll_holds_is_skipped_until_its_lease_ends(server: FakeImapServer) -> None:
    server.add(an_email())
    mailbox = imap_mailbox(server, imap_polled_at=timezone.now() + timedelta(minutes=3))

    assert poll(mailbox) == 0
    assert server.connections == 0

    Mailbox.objects.filter(pk=mailbox.pk).update(imap_polled_at=timezone.now() - timedelta(seconds=1))
    assert poll(mailbox) == 1


def test_a_poll_whose_lease_was_taken_over_stops_after_the_message_in_hand(server: FakeImapServer) -> None:
    for _ in range(3):
        server.add(an_email())
    mailbox = imap_mailbox(server)

    def another_poll_takes_over(uid: int) -> None:
        # Runs in the server's thread while the poll waits for the body: as a second clock would.
        Mailbox.objects.filter(pk=mailbox.pk).update(imap_polled_at=timezone.now() + timedelta(hours=1))
        connection.close()

    server.on_fetch = another_poll_takes_over

    stored = poll(mailbox)

    assert stored == 1
    assert server.fetched == [1]
    assert mailbox.imap_last_uid == 0


def test_a_poll_reads_at_most_its_limit_and_the_next_carries_on(server: FakeImapServer) -> None:
    for _ in range(3):
        server.add(an_email())
    mailbox = imap_mailbox(server)

    first = poll_mailbox(mailbox.pk, limit=2, timeout=5)
    second = poll_mailbox(mailbox.pk, limit=2, timeout=5)

    assert (first, second) == (2, 1)
    assert server.fetched == [1, 2, 3]


def test_inactive_mailboxes_and_mailboxes_without_imap_are_not_polled(server: FakeImapServer) -> None:
    server.add(an_email())
    inactive = imap_mailbox(server, is_active=False)
    plain = a_mailbox(address="returns@shop.test")

    assert poll(inactive) == 0
    assert poll(plain) == 0
    assert server.connections == 0


def test_the_periodic_task_polls_every_active_imap_mailbox(server: FakeImapServer) -> None:
    server.add(an_email())
    imap_mailbox(server)
    a_mailbox(address="returns@shop.test")
    a_mailbox(address="old@shop.test", imap_host="127.0.0.1", imap_username="x", is_active=False)

    totals = poll_imap_mailboxes.call()

    assert totals == {"mailboxes": 1, "stored": 1, "failed": 0}
    assert InboundDelivery.objects.get().status == DeliveryStatus.PROCESSED


@pytest.mark.parametrize(
    ("name", "on_the_wire"),
    [
        ("INBOX", '"INBOX"'),
        ("Support Tickets", '"Support Tickets"'),
        ("Q&A", '"Q&-A"'),
        ("Entwürfe", '"Entw&APw-rfe"'),
        # RFC 3501 section 5.1.3's example.
        ("~peter/mail/台北/日本語", '"~peter/mail/&U,BTFw-/&ZeVnLIqe-"'),
        ('Say "hi"\\', '"Say \\"hi\\"\\\\"'),
    ],
)
def test_folder_names_travel_in_modified_utf7_and_quoted(name: str, on_the_wire: str) -> None:
    assert encode_folder(name) == on_the_wire
