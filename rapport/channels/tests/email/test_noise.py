"""Bounces and automatic replies told apart from mail a person wrote."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from rapport.channels.email.noise import noise_kind

FIXTURES = Path(__file__).parent / "fixtures"


def _message(headers: dict[str, str], body: str = "Hello") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ann <ann@example.com>"
    message["To"] = "help@rapport.example"
    message["Subject"] = "Where is my order?"
    for name, value in headers.items():
        del message[name]
        message[name] = value
    message.set_content(body)
    return message


def _parsed(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _dsn(report_type: str = "delivery-status", status_type: str = "message/delivery-status") -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
        "To: help@rapport.example\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="b"\n'
        "\n"
        "--b\n"
        "Content-Type: text/plain\n"
        "\n"
        "I'm sorry to have to inform you that your message could not be delivered.\n"
        "--b\n"
        f"Content-Type: {status_type}\n"
        "\n"
        "Reporting-MTA: dns; mx.example.net\n"
        "\n"
        "Final-Recipient: rfc822; gone@example.org\n"
        "Action: failed\n"
        "Status: 5.1.1\n"
        "--b--\n"
    ).encode()


def test_a_persons_plain_message_is_not_noise() -> None:
    assert noise_kind(_message({})) == ""


@pytest.mark.parametrize(
    "fixture",
    ["cpython/msg_16.txt", "cpython/msg_43.txt", "cpython/msg_05.txt", "mailparser/mail_malformed_2"],
)
def test_delivery_status_notifications_in_the_fixtures_are_bounces(fixture: str) -> None:
    # msg_16 is a multipart/report without report-type, msg_43 one from "MAILER DAEMON <>",
    # msg_05 a bare DSN skeleton, mail_malformed_2 a malformed one from a postmaster.
    assert noise_kind(_parsed((FIXTURES / fixture).read_bytes())) == "bounce"


def test_multipart_report_of_delivery_status_is_a_bounce() -> None:
    assert noise_kind(_parsed(_dsn())) == "bounce"


def test_delivery_status_part_without_report_type_is_a_bounce() -> None:
    assert noise_kind(_parsed(_dsn(report_type="x-unknown"))) == "bounce"


def test_global_delivery_status_part_is_a_bounce() -> None:
    raw = _dsn(report_type="global-delivery-status", status_type="message/global-delivery-status")
    assert noise_kind(_parsed(raw)) == "bounce"


@pytest.mark.parametrize(
    ("sender", "subject", "expected"),
    [
        ("MAILER-DAEMON@mx.example.net", "failure notice", "bounce"),
        (
            "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
            "Delivery Status Notification (Failure)",
            "bounce",
        ),
        ("postmaster@example.org", "Undeliverable: Where is my order?", "bounce"),
        ("Postmaster <postmaster@example.org>", "Returned mail: see transcript for details", "bounce"),
        # A postmaster who writes about something else is a person answering.
        ("postmaster@example.org", "About your abuse report", ""),
        # A failure subject from anyone else is a customer describing a problem.
        ("ann@example.com", "Delivery failure of my parcel", ""),
    ],
)
def test_system_sender_counts_only_with_a_failure_subject(sender: str, subject: str, expected: str) -> None:
    message = _message({"From": sender, "Subject": subject})
    assert noise_kind(message) == expected


def test_a_bounce_forwarded_inside_a_message_is_the_customers_question() -> None:
    # given a customer's message carrying a bounce as an attached message
    forwarded = _parsed(_dsn())
    message = _message({"Subject": "Fwd: why did this bounce?"})
    message.add_attachment(forwarded)

    # then the customer's message is not a bounce itself
    assert noise_kind(message) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("auto-replied", "auto_reply"),
        ("auto-generated", "auto_reply"),
        ("auto-notified", "auto_reply"),
        ("Auto-Replied; owner-email=ann@example.com", "auto_reply"),
        ("no", ""),
        ("No", ""),
    ],
)
def test_auto_submitted_other_than_no_is_an_auto_reply(value: str, expected: str) -> None:
    assert noise_kind(_message({"Auto-Submitted": value})) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bulk", "auto_reply"),
        ("junk", "auto_reply"),
        ("auto_reply", "auto_reply"),
        ("list", ""),
        ("normal", ""),
    ],
)
def test_precedence_bulk_junk_and_auto_reply_are_auto_replies_but_list_is_not(
    value: str, expected: str
) -> None:
    assert noise_kind(_message({"Precedence": value})) == expected


def test_precedence_bulk_through_a_mailing_list_is_a_persons_post() -> None:
    # Mailman 2 stamps "Precedence: bulk" on every post it relays.
    message = _message({"Precedence": "bulk", "List-Id": "Support <support.example.com>"})
    assert noise_kind(message) == ""


@pytest.mark.parametrize("name", ["X-Autoreply", "X-Autorespond"])
@pytest.mark.parametrize(
    ("value", "expected"), [("yes", "auto_reply"), ("On vacation", "auto_reply"), ("no", "")]
)
def test_vendor_autoreply_headers_are_auto_replies(name: str, value: str, expected: str) -> None:
    assert noise_kind(_message({name: value})) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("OOF", "auto_reply"), ("DR, OOF, AutoReply", "auto_reply"), ("All", "auto_reply"), ("DR, RN, NRN", "")],
)
def test_exchange_auto_response_suppress_naming_oof_or_autoreply(value: str, expected: str) -> None:
    assert noise_kind(_message({"X-Auto-Response-Suppress": value})) == expected


@pytest.mark.parametrize(
    "subject", ["Out of Office: Where is my order?", "Automatic reply: Where is my order?", "Auto: Re: order"]
)
def test_out_of_office_subject_alone_is_a_persons_mail(subject: str) -> None:
    assert noise_kind(_message({"Subject": subject})) == ""


@pytest.mark.parametrize(
    "witness",
    [{"Return-Path": "<>"}, {"X-Auto-Response-Suppress": "DR, RN"}],
)
def test_out_of_office_subject_with_a_second_witness_is_an_auto_reply(witness: dict[str, str]) -> None:
    message = _message({"Subject": "Out of Office: Where is my order?", **witness})
    assert noise_kind(message) == "auto_reply"


def test_an_unreadable_header_counts_as_absent() -> None:
    # given a From header whose nested comments exhaust the structured parser
    raw = b"From: " + b"(" * 5000 + b"\nSubject: failure notice\n\nHello\n"

    # then the message is read as a person's mail instead of failing
    assert noise_kind(_parsed(raw)) == ""
