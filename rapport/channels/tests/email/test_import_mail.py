"""`manage.py import_mail`: old mail from an mbox or a folder of .eml, stored once and processed."""

from __future__ import annotations

import mailbox
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from rapport.channels.email.headers import header_sender
from rapport.channels.models import DeliveryStatus, InboundDelivery
from rapport.channels.services.mail_import import unquote_from_lines
from rapport.channels.tests.factories import MailboxFactory, an_email
from rapport.desk.models import Conversation

pytestmark = pytest.mark.django_db

NO_SENDER = b"Subject: who wrote this?\r\nMessage-ID: <nobody@example.com>\r\n\r\nNo From header.\r\n"


def write_mbox(path: Path, messages: list[bytes]) -> Path:
    box = mailbox.mbox(path)
    for raw in messages:
        box.add(raw)
    box.flush()
    box.close()
    return path


def run_import(path: Path, *options: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_mail", str(path), "--mailbox", "support@shop.test", *options, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


@pytest.fixture(autouse=True)
def support() -> None:
    MailboxFactory(address="support@shop.test")


def test_an_mbox_is_imported_byte_for_byte_and_processed(tmp_path: Path) -> None:
    messages = [
        an_email(sender="ada@example.com", subject="Parcel", body="Hello.\nFrom the start it was late."),
        an_email(sender="Bob <bob@example.com>", subject="Refund"),
        an_email(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}),
        NO_SENDER,
    ]
    path = write_mbox(tmp_path / "old.mbox", messages)

    summary, progress = run_import(path)

    assert summary == ("read 4, new 4, already there 0, processed 2, ignored 1, quarantined 1, unreadable 0")
    assert "4/4" in progress
    deliveries = list(InboundDelivery.objects.order_by("pk"))
    # Neither the mbox "From " separator nor the ">" the file put before a body line "From " is mail.
    assert [bytes(delivery.raw) for delivery in deliveries] == messages
    assert b">From the start" in path.read_bytes()
    assert Conversation.objects.get(subject="Parcel").messages.get().body_text == (
        "Hello.\nFrom the start it was late."
    )
    assert [(delivery.source, delivery.sender) for delivery in deliveries] == [
        ("support@shop.test", "ada@example.com"),
        ("support@shop.test", "bob@example.com"),
        ("support@shop.test", "ada@example.com"),
        ("support@shop.test", ""),
    ]
    assert [delivery.status for delivery in deliveries] == [
        DeliveryStatus.PROCESSED,
        DeliveryStatus.PROCESSED,
        DeliveryStatus.IGNORED,
        DeliveryStatus.QUARANTINED,
    ]
    assert sorted(Conversation.objects.values_list("subject", flat=True)) == ["Parcel", "Refund"]


def test_importing_the_same_mbox_again_stores_nothing_new(tmp_path: Path) -> None:
    path = write_mbox(tmp_path / "old.mbox", [an_email(), an_email()])
    run_import(path)

    summary, _ = run_import(path)

    assert summary == "read 2, new 0, already there 2, processed 0, ignored 0, quarantined 0, unreadable 0"
    assert InboundDelivery.objects.count() == 2
    assert Conversation.objects.count() == 2


def test_a_folder_of_eml_is_read_recursively_and_unreadable_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "2019" / "march").mkdir(parents=True)
    (tmp_path / "a.eml").write_bytes(an_email(subject="One"))
    (tmp_path / "2019" / "march" / "b.EML").write_bytes(an_email(subject="Two"))
    (tmp_path / "2019" / "notes.txt").write_text("not mail")
    (tmp_path / "2019" / "empty.eml").write_bytes(b"")
    (tmp_path / "2019" / "gone.eml").symlink_to(tmp_path / "nowhere.eml")

    summary, progress = run_import(tmp_path)

    assert summary == "read 2, new 2, already there 0, processed 2, ignored 0, quarantined 0, unreadable 2"
    assert "skipped 2019/empty.eml: the file is empty" in progress
    assert "skipped 2019/gone.eml: No such file or directory" in progress
    assert sorted(Conversation.objects.values_list("subject", flat=True)) == ["One", "Two"]


def test_a_single_eml_file_is_imported(tmp_path: Path) -> None:
    raw = an_email(subject="Alone")
    (tmp_path / "alone.eml").write_bytes(raw)

    summary, _ = run_import(tmp_path / "alone.eml")

    assert summary.startswith("read 1, new 1,")
    assert bytes(InboundDelivery.objects.get().raw) == raw


def test_no_process_leaves_the_messages_to_the_worker(tmp_path: Path) -> None:
    path = write_mbox(tmp_path / "old.mbox", [an_email()])

    summary, _ = run_import(path, "--no-process")

    assert summary == "read 1, new 1, already there 0, processed 0, ignored 0, quarantined 0, unreadable 0"
    assert InboundDelivery.objects.get().status == DeliveryStatus.RECEIVED
    assert Conversation.objects.count() == 0


def test_a_later_import_processes_what_an_earlier_one_only_stored(tmp_path: Path) -> None:
    path = write_mbox(tmp_path / "old.mbox", [an_email()])
    run_import(path, "--no-process")

    summary, _ = run_import(path)

    assert summary == "read 1, new 0, already there 1, processed 1, ignored 0, quarantined 0, unreadable 0"
    assert Conversation.objects.count() == 1


def test_an_unknown_mailbox_is_a_clear_error(tmp_path: Path) -> None:
    path = write_mbox(tmp_path / "old.mbox", [an_email()])

    with pytest.raises(CommandError, match=r"no mailbox 'sales@shop.test'; create the mailbox first"):
        call_command("import_mail", str(path), "--mailbox", "sales@shop.test", stdout=StringIO())

    assert InboundDelivery.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("missing.mbox", None, "does not exist"),
        ("notes.txt", b"Dear diary", r'is not an mbox file \(it does not start with a "From " line\)'),
    ],
)
def test_a_path_that_holds_no_mail_is_a_clear_error(
    tmp_path: Path, name: str, content: bytes | None, error: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(CommandError, match=error):
        run_import(path)


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        (b"a\n>From here\n", b"a\nFrom here\n"),
        (b"a\r\n>>From here\r\n", b"a\r\n>From here\r\n"),
        (b">From the top\n", b"From the top\n"),
        (
            b"a\n> From quoted\n>from lower\nx>From inline\n",
            b"a\n> From quoted\n>from lower\nx>From inline\n",
        ),
    ],
)
def test_mbox_quoting_of_from_lines_is_undone(stored: bytes, message: bytes) -> None:
    assert unquote_from_lines(stored) == message


@pytest.mark.parametrize(
    ("raw", "sender"),
    [
        (b"From: Ada <Ada@Example.COM>\r\nSubject: x\r\n\r\nbody", "ada@example.com"),
        (b"From: ada@example.com, bob@example.com\n\nbody", "ada@example.com"),
        (b"From: =?utf-8?q?J=C3=B6rg?= <jorg@example.de>\r\n\r\n", "jorg@example.de"),
        (b"From: undisclosed\r\n\r\nFrom: fake@example.com", ""),
        (b"Subject: none\r\n\r\n", ""),
        ("From: jörg@exämple.de\r\n\r\n".encode(), "jörg@exämple.de"),
        (b"From: \xff\xfe@example.com\r\n\r\n", "\ufffd\ufffd@example.com"),
    ],
)
def test_the_sender_is_read_from_the_from_header(raw: bytes, sender: str) -> None:
    assert header_sender(raw) == sender


_LINES = st.lists(
    st.one_of(st.just(b"From here"), st.just(b">From here"), st.just(b">>From x"), st.binary(max_size=20)),
    max_size=8,
).map(lambda lines: b"\r\n".join(line.replace(b"\n", b"") for line in lines))


@given(message=_LINES)
def test_mboxrd_quoting_then_unquoting_gives_the_message_back(message: bytes) -> None:
    stored = re.sub(rb"^(>*From )", rb">\1", message, flags=re.MULTILINE)

    assert unquote_from_lines(stored) == message


@given(raw=st.binary(max_size=300) | st.builds(lambda tail: b"From: " + tail, st.binary(max_size=100)))
def test_the_sender_reader_never_fails_and_gives_an_address_or_nothing(raw: bytes) -> None:
    sender = header_sender(raw)

    assert sender == "" or "@" in sender
    sender.encode("utf-8")


def test_the_command_also_answers_to_import_mail_with_a_hyphen(tmp_path: Path) -> None:
    path = write_mbox(tmp_path / "old.mbox", [an_email(sender="ada@example.com")])

    call_command(
        "import-mail", str(path), "--mailbox", "support@shop.test", stdout=StringIO(), stderr=StringIO()
    )

    assert InboundDelivery.objects.get().status == DeliveryStatus.PROCESSED
