"""Raw mail bytes to ParsedEmail: every fixture survives, known ones read exactly, nothing else raises."""

from __future__ import annotations

import base64
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.channels.email.parsing import EmailParseError, ParsedEmail, parse_email

FIXTURES = Path(__file__).parent / "fixtures"
NOT_MAIL = {"README.md", "LICENSE", "LICENSE.txt", "LICENSE-PSF.txt"}
MESSAGES = sorted(
    [
        path
        for folder in ("cpython", "mailparser")
        for path in (FIXTURES / folder).iterdir()
        if path.is_file() and path.name not in NOT_MAIL
    ]
    + list((FIXTURES / "talon").rglob("*.eml"))
)
# Bytes that are not an RFC 5322 message at all: a body fragment without headers, and an
# Outlook .msg (a CDFV2 compound file).
NOT_MESSAGES = {"msg_19.txt", "mail_outlook_1"}


def _parse(fixture: str) -> ParsedEmail:
    return parse_email((FIXTURES / fixture).read_bytes())


def _raw(*lines: str, body: bytes = b"Hello\n") -> bytes:
    return "\n".join(lines).encode() + b"\n\n" + body


def _assert_safe(parsed: ParsedEmail) -> None:
    texts = [parsed.subject, parsed.from_name, parsed.text, parsed.html, parsed.reply_text, parsed.message_id]
    texts += [attachment.filename for attachment in parsed.attachments]
    for text in texts:
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogates: storable and printable
    for attachment in parsed.attachments:
        assert attachment.filename
        assert "/" not in attachment.filename
        assert "\\" not in attachment.filename
        assert attachment.content_type == attachment.content_type.lower()
        assert attachment.content_type.count("/") == 1
        assert "<" not in attachment.content_id
    assert parsed.date is None or parsed.date.tzinfo is not None
    assert parsed.from_address == parsed.from_address.lower()
    assert parsed.noise in {"", "bounce", "auto_reply"}


@pytest.mark.parametrize("path", MESSAGES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_fixture_parses_or_raises_email_parse_error(path: Path) -> None:
    # given a real message from CPython's, mail-parser's or talon's test data
    raw = path.read_bytes()

    # when it is parsed
    try:
        parsed = parse_email(raw)
    except EmailParseError as exc:
        reason = exc.reason
    else:
        # then every field is safe to store and show
        assert path.name not in NOT_MESSAGES
        _assert_safe(parsed)
        return

    # then only bytes that are no message at all are refused, with a reason
    assert path.name in NOT_MESSAGES
    assert reason == "no headers could be read"


def test_rfc_2047_gb2312_subject_is_decoded() -> None:
    assert _parse("mailparser/mail_test_12").subject == "代开各地增值税发票"


def test_rfc_2047_iso_8859_1_subject_is_decoded() -> None:
    assert _parse("mailparser/mail_test_5").subject == "Je prépare mon été zéro complexe !"


def test_folded_utf8_q_subject_is_decoded_and_collapsed() -> None:
    assert _parse("mailparser/mail_test_13").subject == "New Webinar: So, You Have A Disaster... Now What?"


def test_gb2312_label_decodes_gbk_characters() -> None:
    # given a subject labelled GB2312 that holds 镕, a GBK character outside GB2312, with
    # the encoded word split in the middle of it
    encoded = "朱镕基".encode("gbk")
    words = " ".join(
        f"=?gb2312?B?{base64.b64encode(piece).decode()}?=" for piece in (encoded[:3], encoded[3:])
    )

    # when it is parsed, then the superset decodes it whole
    assert parse_email(_raw("From: a@example.com", f"Subject: {words}")).subject == "朱镕基"


@pytest.mark.parametrize(
    ("charset", "encoding", "text"),
    [
        ("koi8-r", "8bit", "Привет, мир"),
        ("iso-8859-2", "quoted-printable", "Zażółć gęślą jaźń"),
        ("iso-8859-15", "8bit", "Prix : 10 €"),
        ("iso-8859-1", "base64", "Grüße aus Köln"),
        ("windows-1251", "8bit", "Добрый день"),
        ("utf-8", "quoted-printable", "naïve café ☕"),
    ],
)
def test_bodies_in_national_charsets_are_decoded(charset: str, encoding: str, text: str) -> None:
    # given a body in the charset, in the transfer encoding
    message = EmailMessage()
    message["From"] = "ann@example.com"
    message.set_content(text, charset=charset, cte=encoding)

    # when it is parsed, then the text is the original
    assert parse_email(message.as_bytes()).text == f"{text}\n"


@pytest.mark.parametrize(
    ("charset", "body", "text"),
    [
        ("x-unknown", "café".encode(), "café"),  # valid UTF-8 is read as UTF-8
        ("x-unknown", "café".encode("latin-1"), "café"),  # anything else as Latin-1
        ("us-ascii", "café".encode(), "café"),  # "ASCII" that holds 8-bit UTF-8
        ("", "Grüße".encode("latin-1"), "Grüße"),
        ("base64", "café".encode(), "café"),  # codecs that are no charsets
        ("zlib", "café".encode(), "café"),
        ("rot13", "café".encode(), "café"),
    ],
)
def test_unknown_or_false_charsets_fall_back_without_raising(charset: str, body: bytes, text: str) -> None:
    raw = _raw("From: a@example.com", f"Content-Type: text/plain; charset={charset}", body=body)
    assert parse_email(raw).text == text


def test_bodies_of_cpython_msg_10_are_read_in_every_transfer_encoding() -> None:
    parsed = _parse("cpython/msg_10.txt")
    assert parsed.text == (
        "This is a 7bit encoded message.\n\n"
        "This is a Base64 encoded message.\n"
        "This is a Base64 encoded message.\n\n"
        "This has no Content-Transfer-Encoding: header.\n"
    )
    assert parsed.html == "¡This is a Quoted Printable encoded message!\n"


def test_nested_multipart_inline_images_are_counted_and_named() -> None:
    # given a newsletter: alternative(text, related(html, five images))
    parsed = _parse("mailparser/mail_test_5")

    # then the five images are inline attachments with their names and Content-IDs
    described = [
        (a.filename, a.content_type, len(a.content), a.inline, a.content_id) for a in parsed.attachments
    ]
    assert described == [
        (
            "mailingassets_d68799cd6301c7f5731a3c42946e528bcb78eb84.jpg",
            "image/jpeg",
            137791,
            True,
            "FWMAIL0d11ff4c87dfeab6cd1051bab808f635",
        ),
        (
            "mailingassets_a9ed45ff2645cff7fca702b289bc684b1bc72e2a.png",
            "image/png",
            374,
            True,
            "FWMAIL43a36294348baaec47cafa48a5c358af",
        ),
        (
            "mailingassets_0e4def97310df75c2fa6e0db8fe67b79d130b3c3.png",
            "image/png",
            540,
            True,
            "FWMAILda85740fb27e661f21f6b361485a6f82",
        ),
        (
            "mailingassets_228b182da05725833a4003dcbd8f6fe67956ad40.png",
            "image/png",
            493,
            True,
            "FWMAILae80ddc9581c60aedf0f577212315684",
        ),
        (
            "mailingassets_4545af8d596bb510a1181c9a3be0460bc5718649.png",
            "image/png",
            530,
            True,
            "FWMAIL6297e99ec5e36e167d52afa54fc3754c",
        ),
    ]
    # and the text comes from the text/plain alternative, the HTML from the related part
    assert parsed.text.startswith("Si ce message ne s'affiche pas correctement")
    assert parsed.html.strip().startswith("Je prépare mon été zéro complexe !\n\n\n\n\n<table>")


def test_attachments_with_content_id_and_disposition_attachment_are_not_inline() -> None:
    parsed = _parse("cpython/msg_22.txt")
    assert [(a.filename, len(a.content), a.inline, a.content_id) for a in parsed.attachments] == [
        ("wibble.JPG", 272, False, "a05001902b7f1c33773e9@[134.84.183.138].0.0"),
        ("wibble2.JPG", 317, False, "a05001902b7f1c33773e9@[134.84.183.138].0.1"),
    ]


def test_image_with_content_id_and_no_disposition_is_inline() -> None:
    parsed = _parse("mailparser/mail_test_6")
    assert [(a.filename, a.inline, a.content_id) for a in parsed.attachments][:2] == [
        ("attachment-1.png", True, "335c4fb7f4f805feaacb13bc1a8740401500110030"),
        ("attachment-2.png", True, "6d78c290e27a5bb8150ce6d19871a46f1500110069"),
    ]


@pytest.mark.parametrize(
    ("disposition", "filename"),
    [
        ("attachment; filename*=utf-8''na%C3%AFve%20r%C3%A9sum%C3%A9.pdf", "naïve résumé.pdf"),
        ("attachment; filename*0*=utf-8''%E6%8A%A5%E5%91%8A; filename*1=.pdf", "报告.pdf"),
        ("attachment; filename*=iso-8859-1'fr'%E9t%E9.txt", "été.txt"),
        ('attachment; filename="=?utf-8?B?w6l0w6kucGRm?="', "été.pdf"),
    ],
)
def test_rfc_2231_and_rfc_2047_filenames_are_decoded(disposition: str, filename: str) -> None:
    raw = _raw(
        "From: a@example.com",
        'Content-Type: multipart/mixed; boundary="b"',
        body=(
            "--b\nContent-Type: text/plain\n\nSee attached.\n"
            f"--b\nContent-Type: application/octet-stream\nContent-Disposition: {disposition}\n"
            "Content-Transfer-Encoding: base64\n\nAAEC\n--b--\n"
        ).encode(),
    )
    parsed = parse_email(raw)
    assert [(a.filename, a.content) for a in parsed.attachments] == [(filename, b"\x00\x01\x02")]
    assert parsed.text == "See attached."


@pytest.mark.parametrize(
    ("filename", "content_type", "expected"),
    [
        ("../../etc/passwd", "text/plain", "passwd"),
        ("C:\\Users\\ann\\invoice.pdf", "application/pdf", "invoice.pdf"),
        ("  .hidden  ", "application/octet-stream", "hidden"),
        ("tab\there\x07.txt", "text/plain", "tab here.txt"),
        ("", "image/png", "attachment-1.png"),
        ("../", "application/x-thing", "attachment-1.bin"),
        ("a" * 300 + ".pdf", "application/pdf", "a" * 196 + ".pdf"),
    ],
)
def test_filenames_are_safe_base_names(filename: str, content_type: str, expected: str) -> None:
    message = EmailMessage()
    message["From"] = "ann@example.com"
    message.set_content("See attached.")
    maintype, subtype = content_type.split("/")
    message.add_attachment(b"data", maintype=maintype, subtype=subtype)
    attachment = next(part for part in message.iter_attachments())
    if filename:
        attachment.set_param("filename", filename, header="Content-Disposition")

    assert [a.filename for a in parse_email(message.as_bytes()).attachments] == [expected]


def test_attached_message_becomes_an_eml_file_named_after_its_subject() -> None:
    parsed = _parse("cpython/msg_16.txt")
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("attachment-1.txt", "message/delivery-status"),
        ("[scr] yeah for Ians!!.eml", "message/rfc822"),
    ]
    assert parsed.attachments[1].content.startswith(b"Return-path:")


def test_a_message_that_is_only_an_enclosed_message_reads_the_enclosed_one() -> None:
    # given GroupWise's forward: the whole body is message/rfc822
    parsed = _parse("cpython/msg_46.txt")

    # then the enclosed text is the text, and nothing is left as an attachment
    assert parsed.text == "Testing email forwarding with Groupwise 1.2.2010\n"
    assert parsed.attachments == ()


def test_digest_keeps_each_message_as_a_file() -> None:
    parsed = _parse("cpython/msg_02.txt")
    assert [a.filename for a in parsed.attachments] == [
        "[Ppp] testing #1.eml",
        "attachment-2.eml",
        "[Ppp] testing #3.eml",
        "[Ppp] testing #4.eml",
        "[Ppp] testing #5.eml",
    ]


@pytest.mark.parametrize(
    ("fixture", "noise"),
    [
        ("cpython/msg_16.txt", "bounce"),
        ("cpython/msg_43.txt", "bounce"),
        ("mailparser/mail_malformed_2", "bounce"),
        ("talon/standard_replies/gmail.eml", ""),
    ],
)
def test_delivery_status_notifications_are_bounces(fixture: str, noise: str) -> None:
    assert _parse(fixture).noise == noise


def test_message_ids_lose_their_angle_brackets() -> None:
    parsed = _parse("talon/standard_replies/apple_mail_2.eml")
    assert parsed.message_id == "68001B29-8EA4-444C-A894-0537D2CA5208@tictail.com"
    assert parsed.in_reply_to == ("CABzQGhkMXDxUt_tSVQcg=43aniUhtsVfCZVzu-PG0kwS_uzqMw@mail.gmail.com",)
    assert parsed.references == ("CABzQGhkMXDxUt_tSVQcg=43aniUhtsVfCZVzu-PG0kwS_uzqMw@mail.gmail.com",)


def test_references_keep_header_order_across_folds() -> None:
    raw = _raw(
        "From: a@example.com",
        "Message-ID:   <one@example.com>  ",
        "In-Reply-To: <three@example.com> (Bob's message of Monday)",
        "References: <one@example.com>\n <two@example.com>\n\t<three@example.com> <two@example.com>",
    )
    parsed = parse_email(raw)
    assert parsed.message_id == "one@example.com"
    assert parsed.in_reply_to == ("three@example.com",)
    assert parsed.references == ("one@example.com", "two@example.com", "three@example.com")


def test_ids_without_angle_brackets_are_still_read() -> None:
    parsed = parse_email(_raw("From: a@example.com", "Message-ID: bare@example.com", "References: x@a y@b"))
    assert parsed.message_id == "bare@example.com"
    assert parsed.references == ("x@a", "y@b")


def test_missing_ids_and_subject_are_empty() -> None:
    parsed = parse_email(_raw("From: a@example.com"))
    assert (parsed.message_id, parsed.in_reply_to, parsed.references, parsed.subject) == ("", (), (), "")


def test_addresses_are_lower_cased_addr_specs() -> None:
    parsed = _parse("mailparser/mail_test_18")
    assert (parsed.from_name, parsed.from_address) == ("LastßlName, FirstName", "comma.name@example.com")
    assert parsed.to == ("tony.stark@example.com",)
    assert parsed.cc == ("simple@example.net", "john.doe@example.com")


def test_an_address_used_as_display_name_does_not_hide_the_real_one() -> None:
    # given "From: alice@example.com <bob@example.com>" and the same in Cc and Reply-To
    parsed = _parse("mailparser/mail_test_19")

    # then the angle address is the address, as mail clients read it
    assert (parsed.from_name, parsed.from_address) == ("alice@example.com", "bob@example.com")
    assert parsed.to == ("charlie@example.com", "dave@example.com")
    assert parsed.cc == ("frank@example.com",)
    assert parsed.reply_to == ("ivan@example.com",)


def test_sender_is_lower_cased_and_named() -> None:
    parsed = parse_email(
        _raw('From: "Ann Example" <Ann.Example@Example.COM>', "To: undisclosed-recipients:;")
    )
    assert (parsed.from_name, parsed.from_address, parsed.to) == (
        "Ann Example",
        "ann.example@example.com",
        (),
    )


def test_raw_8bit_utf8_display_name_is_decoded() -> None:
    raw = "From: Jörg Müller <jorg@example.de>\n\nHallo\n".encode()
    assert parse_email(raw).from_name == "Jörg Müller"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "Date: Mon, 2 Apr 2012 18:22:10 +0400",
            datetime(2012, 4, 2, 18, 22, 10, tzinfo=timezone(timedelta(hours=4))),
        ),
        ("Date: Mon, 2 Apr 2012 18:22:10 -0000", datetime(2012, 4, 2, 18, 22, 10, tzinfo=UTC)),
        ("Date: Mon, 2 Apr 2012 18:22:10", datetime(2012, 4, 2, 18, 22, 10, tzinfo=UTC)),
        ("Date: yesterday", None),
        ("Date: Mon, 2 Apr 99999999999 18:22:10 +0400", None),
        ("X-No-Date: 1", None),
    ],
)
def test_dates_are_aware_or_none(header: str, expected: datetime | None) -> None:
    assert parse_email(_raw("From: a@example.com", header)).date == expected


def test_unreadable_date_is_a_defect() -> None:
    parsed = parse_email(_raw("From: a@example.com", "Date: yesterday"))
    assert parsed.date is None
    assert "Date header: unreadable date" in parsed.defects


@pytest.mark.parametrize(
    "value",
    [
        "(" * 5000 + "ann@example.com",  # RecursionError in the comment parser
        "ann@[",  # AttributeError
        "ann@[ ",  # UnboundLocalError in _get_ptext_to_endchars
    ],
)
def test_a_header_that_breaks_its_parser_is_absent_and_a_defect(value: str) -> None:
    # given a From header that makes the standard library's structured parser raise
    raw = _raw(f"From: {value}", "Subject: Hi")

    # when it is parsed, then the rest of the message is read
    parsed = parse_email(raw)
    assert (parsed.from_address, parsed.subject, parsed.text) == ("", "Hi", "Hello\n")
    assert parsed.defects == ("From header: unreadable, kept as plain text",)


def test_a_content_type_that_breaks_its_parser_is_read_as_absent() -> None:
    raw = _raw("From: a@example.com", "Content-Type: text/plain; a=" + "(" * 5000)
    parsed = parse_email(raw)
    assert parsed.text == "Hello\n"
    assert parsed.defects == ("Content-Type header: unreadable, kept as plain text",)


def test_malformed_multipart_keeps_its_text_and_names_the_defect() -> None:
    parsed = _parse("cpython/msg_31.txt")
    assert parsed.text.startswith("--BOUNDARY")
    assert parsed.defects == ("message: start boundary not found", "message: multipart invariant violation")


def test_alternative_prefers_plain_text_and_keeps_sanitised_html() -> None:
    raw = _raw(
        "From: a@example.com",
        'Content-Type: multipart/alternative; boundary="b"',
        body=(
            b"--b\nContent-Type: text/plain\n\nPlain words\n"
            b'--b\nContent-Type: text/html\n\n<p onclick="x()">Html <b>words</b></p>'
            b"<script>alert(1)</script>\n"
            b"--b--\n"
        ),
    )
    parsed = parse_email(raw)
    assert parsed.text == "Plain words"
    assert parsed.html == "<p>Html <b>words</b></p>"


def test_html_only_mail_gets_text_and_reply_from_the_html() -> None:
    raw = _raw(
        "From: a@example.com",
        "Content-Type: text/html; charset=utf-8",
        body=(
            b"<p>Thanks, that works.</p><div class='gmail_quote'>On Mon, Apr 2, 2012 at 6:26 PM, "
            b"Bob &lt;bob@example.com&gt; wrote:<blockquote>Try again</blockquote></div>"
        ),
    )
    parsed = parse_email(raw)
    assert parsed.text == (
        "Thanks, that works.\nOn Mon, Apr 2, 2012 at 6:26 PM, Bob <bob@example.com> wrote:Try again"
    )
    assert parsed.reply_text == "Thanks, that works."


def test_reply_text_drops_quotes_and_signature() -> None:
    body = (
        b"Yes, please.\n\n-- \nAnn\n\n"
        b"On Mon, Apr 2, 2012 at 6:26 PM, Bob <bob@example.com> wrote:\n> Refund?\n"
    )
    assert parse_email(_raw("From: a@example.com", body=body)).reply_text == "Yes, please."


def test_crlf_line_ends_are_read_as_lf() -> None:
    raw = b"From: a@example.com\r\nSubject: Hi\r\n\r\nOne\r\nTwo\r\n"
    parsed = parse_email(raw)
    assert (parsed.subject, parsed.text) == ("Hi", "One\nTwo\n")


def test_nul_bytes_never_reach_the_text() -> None:
    assert parse_email(_raw("From: a@example.com", body=b"A\x00B\n")).text == "AB\n"


def test_tnef_attachment_is_expanded_into_its_files() -> None:
    parsed = parse_email(_with_winmail((FIXTURES / "tnef" / "attachments.dat").read_bytes()))
    assert [(a.filename, a.content_type, len(a.content), a.inline) for a in parsed.attachments] == [
        ("zappa_av1.jpg", "image/jpeg", 2937, False),
        ("bookmark.htm", "text/html", 85805, False),
    ]
    assert parsed.defects == ()


@pytest.mark.parametrize(
    ("sample", "reason"),
    [("badchecksum.dat", "not a TNEF stream"), ("panic.dat", "TNEF checksum mismatch")],
)
def test_unreadable_tnef_stays_as_winmail_dat_with_a_defect(sample: str, reason: str) -> None:
    data = (FIXTURES / "tnef" / sample).read_bytes()
    parsed = parse_email(_with_winmail(data))
    assert [(a.filename, a.content_type, a.content) for a in parsed.attachments] == [
        ("winmail.dat", "application/ms-tnef", data)
    ]
    assert parsed.defects == (f"winmail.dat kept as it is: {reason}",)


def _with_winmail(data: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = "ann@example.com"
    message.set_content("See attached.")
    message.add_attachment(data, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    return message.as_bytes()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "message is empty"),
        (b"\r\n\r\n  \n", "message is empty"),
        (b"just some words\nwithout any header\n", "no headers could be read"),
        (b"\x00\x01\x02\xff", "no headers could be read"),
    ],
)
def test_nothing_usable_raises_email_parse_error_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(EmailParseError) as raised:
        parse_email(raw)
    assert raised.value.reason == reason
    assert str(raised.value) == reason


def test_leading_blank_lines_of_a_capture_are_ignored() -> None:
    assert parse_email(b"\r\n\nFrom: a@example.com\n\nHi\n").from_address == "a@example.com"


def test_parsing_imports_no_django() -> None:
    # The parser is pure: importing it must not pull in Django (rule 6 of docs/STYLE).
    code = (
        "import sys, rapport.channels.email.parsing; "
        "sys.exit(any(name == 'django' or name.startswith('django.') for name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[4], check=False)
    assert result.returncode == 0


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_raise_nothing_but_email_parse_error(raw: bytes) -> None:
    try:
        parsed = parse_email(raw)
    except EmailParseError as exc:
        reason = exc.reason
    else:
        _assert_safe(parsed)
        return
    assert reason


MIME_PIECES = st.sampled_from(
    [
        b"From: a@example.com\n",
        b"Content-Type: multipart/mixed; boundary=b\n",
        b"Content-Type: multipart/alternative; boundary=b\n",
        b"Content-Type: message/rfc822\n",
        b"Content-Type: application/ms-tnef\n",
        b"Content-Type: text/html; charset=x-unknown\n",
        b"Content-Transfer-Encoding: base64\n",
        b"Content-Transfer-Encoding: quoted-printable\n",
        b"Content-Disposition: attachment; filename*0*=utf-8''%E6; filename*1=\"/x\"\n",
        b"Content-ID: <a@b>\n",
        b"Date: Mon, 2 Apr 2012 18:22:10 +0400\n",
        b"Subject: =?gb2312?B?ztKw?= =?x-bad?q?=FF?=\n",
        b"\n",
        b"--b\n",
        b"--b--\n",
        b"=E9=\n",
        b"<p>Hi</p>\n",
        b"> quoted\n",
        b"\xff\xfe\x00\n",
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MIME_PIECES, min_size=1, max_size=40))
def test_arbitrary_mime_structures_raise_nothing_but_email_parse_error(pieces: list[bytes]) -> None:
    try:
        parsed = parse_email(b"".join(pieces))
    except EmailParseError as exc:
        reason = exc.reason
    else:
        _assert_safe(parsed)
        return
    assert reason


# Every character str.splitlines() breaks on: EmailMessage refuses them in a header value.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
HEADER_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=LINE_BREAKS), max_size=120
)


@settings(max_examples=300, deadline=None)
@given(subject=HEADER_TEXT, name=HEADER_TEXT)
def test_any_unicode_subject_and_sender_name_round_trip(subject: str, name: str) -> None:
    # given a message built with any text as subject and as the sender's display name
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = Address(display_name=name, addr_spec="ann@example.com")
    message.set_content("Hello")

    # when the bytes are parsed
    parsed = parse_email(message.as_bytes())

    # then the subject and the sender come back, whitespace runs collapsed and NUL dropped
    assert _words_of(parsed.subject) == _words_of(_collapsed(subject))
    assert parsed.from_address == "ann@example.com"
    assert _words_of(_collapsed(parsed.from_name)) == _words_of(_collapsed(name))


def _words_of(text: str) -> str:
    # Python's encoder can fold a long non-ASCII value so that a space falls between two encoded words,
    # where RFC 2047 says a reader drops it (hypothesis found "0" + "\u0800" * 15 + " \x80"): the
    # sender's bytes no longer hold that space, so no parser can give it back.
    return text.replace(" ", "")


def _collapsed(text: str) -> str:
    return " ".join(text.replace("\x00", "").split())
