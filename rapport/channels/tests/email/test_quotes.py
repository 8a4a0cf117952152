"""The new words of a reply, measured against talon's reply fixtures."""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
import quotequail
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.channels.email.quotes import reply_part, shorten_first_quote, strip_quotes, strip_signature

TALON = Path(__file__).parent / "fixtures" / "talon"
STANDARD_REPLIES = sorted((TALON / "standard_replies").glob("*.eml"))
HTML_REPLIES = sorted((TALON / "html_replies").glob("*.html"))
WHITESPACE = re.compile(r"\s")

# Windows Mail writes a Russian Outlook-style header block ("От:", "Отправлено:", "Кому:").
# quotequail 0.5.4 maps "от кого" but not "от" or "отправлено" (_patterns.HEADER_MAP), and
# mail-parser-reply 1.36 has no Russian at all, so neither finds where the history starts.
HTML_LIMITS = {
    "windows_mail.html": (
        "quotequail 0.5.4 and mail-parser-reply 1.36 know no Russian 'От:/Отправлено:' header block"
    ),
}


def _first_plain_text(path: Path) -> str:
    # talon's own test reads the first text/plain part of the message.
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    part = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    assert isinstance(part, EmailMessage)
    content = part.get_content()
    assert isinstance(content, str)
    return content


def _talon_expectation(path: Path) -> str:
    expected = path.with_name(f"{path.stem}_reply_text")
    return expected.read_text().strip() if expected.exists() else "Hello"


@pytest.mark.parametrize("path", STANDARD_REPLIES, ids=lambda path: path.stem)
def test_standard_reply_without_quotes_is_talons_reply_text(path: Path) -> None:
    # given the first text/plain part of a reply written by a known client
    text = _first_plain_text(path)

    # when the quoted history is removed, then what is left is what talon expects:
    # "Hello", or for iPhone and Sparrow the reply with its signature still on
    assert strip_quotes(text) == _talon_expectation(path)


@pytest.mark.parametrize("path", STANDARD_REPLIES, ids=lambda path: path.stem)
def test_standard_reply_part_is_hello_once_the_signature_is_gone(path: Path) -> None:
    # given the same replies; iPhone's ends in "Sent from my iPhone", Sparrow's in an
    # RFC 3676 "-- " signature
    text = _first_plain_text(path)

    # when the reply part is taken, then signatures go with the quotes
    assert reply_part(text) == "Hello"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(path, marks=pytest.mark.xfail(reason=HTML_LIMITS[path.name], strict=True))
        if path.name in HTML_LIMITS
        else path
        for path in HTML_REPLIES
    ],
    ids=lambda path: path.stem,
)
def test_html_only_reply_is_the_new_text(path: Path) -> None:
    # given an HTML-only reply from a known client
    html = path.read_text()

    # when its reply part is taken
    reply = reply_part("", html)

    # then it is the new text, compared as talon does with whitespace removed
    assert WHITESPACE.sub("", reply) == "Hi.Iamfine.Thanks,Alex"


def test_outlook_mac_source_body_section_is_history() -> None:
    html = (TALON / "OLK_SRC_BODY_SECTION.html").read_text()
    assert reply_part("", html) == "Reply"


def test_reply_separated_by_a_rule_keeps_the_words_above_it() -> None:
    html = (TALON / "reply-separated-by-hr.html").read_text()
    assert WHITESPACE.sub("", reply_part("", html)) == "HithereBob"


def test_yahoo_share_block_loses_its_attribution_and_forwarded_headers() -> None:
    # given Yahoo's "--- On Wed, 4/4/12, … wrote:" above a forwarded header block
    text = _first_plain_text(TALON / "reply-quotations-share-block.eml")

    # when the reply part is taken
    reply = reply_part(text)

    # then the history is gone and the reply ends with the sender's name
    assert "From" not in reply
    assert "wrote:" not in reply
    assert reply.endswith("Joe XXX")


def test_a_short_trailing_quote_goes_with_its_attribution_in_any_language() -> None:
    # given Android's Russian attribution wrapped over two lines above a two-line quote,
    # too short for quotequail, which wants three quoted lines
    text = 'Hello\n02.04.2012 14:20 пользователь "bob@example.com" <\nbob@example.com> написал:\n\n> Hi\n>\n'

    assert strip_quotes(text) == "Hello"


def test_bottom_posted_reply_is_the_text_under_the_quote() -> None:
    text = "On 04/02/2012 06:26 PM, Megan One wrote:\n> Hi\n> there\n> you\nHello"
    assert strip_quotes(text) == "Hello"


def test_text_without_history_is_kept_whole() -> None:
    text = "Hi,\n\nmy order 1234 has not arrived.\nCan you check?\n\nAnn"
    assert reply_part(text) == text


def test_a_forward_without_a_note_keeps_the_forwarded_mail() -> None:
    # given a message that is only a forwarded mail
    text = (
        "---------- Forwarded message ---------\nFrom: Bob <bob@example.com>\nDate: Mon, 1 Jan 2024\n"
        "Subject: Order\nTo: Ann <ann@example.com>\n\nWhere is it?"
    )

    # then the forwarded mail is what the sender says
    assert strip_quotes(text) == text


def test_history_past_the_scan_window_is_not_searched() -> None:
    # given two hundred lines of text before any quote marker
    body = "\n".join(f"line {number}" for number in range(200))
    text = f"{body}\n\nOn Mon, Apr 2, 2012 at 6:26 PM, Bob <bob@example.com> wrote:\n> Hi"

    # when quotes are stripped, then nothing is lost: the window starts at the first marker
    assert strip_quotes(text) == body


def test_text_past_the_window_joins_the_bottom_part() -> None:
    # given a bottom-posted reply whose new text runs past the scanned window
    new = "\n".join(f"answer {number}" for number in range(150))
    text = f"On Mon, Apr 2, 2012 at 6:26 PM, Bob <bob@example.com> wrote:\n> Hi\n> there\n> you\n{new}"

    assert strip_quotes(text) == new


def test_plain_text_wins_over_html() -> None:
    assert reply_part("Plain\n\nOn Mon, Apr 2, 2012 at 6:26 PM, Bob wrote:\n> Hi", "<p>Html</p>") == "Plain"


def test_nothing_in_nothing_out() -> None:
    assert reply_part("", "") == ""
    assert reply_part("  \n ", " ") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello\n\n-- \nAnn\nExample Ltd", "Hello"),
        ("Hello\n\n--\nAnn", "Hello"),
        ("Hello\n\nSent from my iPhone", "Hello"),
        ("Hello\n\nGet Outlook for iOS", "Hello"),
        ("Hello\n\nSent from Mail for Windows", "Hello"),
        # A sign-off is the sender's own words, not a signature block.
        ("Hi. I am fine.\n\nThanks,\nAlex", "Hi. I am fine.\n\nThanks,\nAlex"),
        # A dash rule inside the text is not RFC 3676's delimiter.
        ("Totals\n---\n12", "Totals\n---\n12"),
        # A last line that merely starts like a trailer is the customer's.
        ("It never came.\n\nSent from Berlin on Monday", "It never came.\n\nSent from Berlin on Monday"),
        # "Sent from" in the middle of the text is a sentence.
        (
            "Sent from my phone, sorry for typos.\nThe box was empty.",
            "Sent from my phone, sorry for typos.\nThe box was empty.",
        ),
        # A message that is nothing but a signature keeps it.
        ("-- \nAnn", "-- \nAnn"),
    ],
)
def test_signature_is_cut_at_the_delimiter_or_a_mobile_trailer(text: str, expected: str) -> None:
    assert strip_signature(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_reply_part_of_any_text_never_raises_and_is_empty_only_for_blank_text(text: str) -> None:
    reply = reply_part(text)
    assert (reply == "") == (text.strip() == "")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_reply_part_of_any_html_never_raises(html: str) -> None:
    assert isinstance(reply_part("", html), str)


# Lines a reply is made of: words, quoted lines (nested too), attributions, forwarded headers, rules.
_REPLY_LINES = st.sampled_from(
    [
        "",
        "Thanks, that helps.",
        "Where is my parcel?",
        "> The parcel left our warehouse on Monday.",
        ">> Could you check the order?",
        "> From: Ann <ann@example.com>",
        "> Subject: Your order",
        ">",
        "On Mon, 2 Dec 2024 at 10:00, Ann <ann@example.com> wrote:",
        "On Monday you wrote:",
        "-----Original Message-----",
        "From: Ann <ann@example.com>",
        "Sent: Monday, December 2, 2024 10:00",
        "To: support@shop.test",
        "Subject: Re: Your order",
        "---------- Forwarded message ---------",
        "--",
        "Begin forwarded message:",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_REPLY_LINES, max_size=40), st.integers(min_value=0, max_value=20))
def test_shortening_the_first_quote_leaves_what_quotequail_finds_above_and_below_it(
    lines: list[str], quote_length: int
) -> None:
    # given a reply with a long quoted block somewhere (and whatever else around it)
    at = len(lines) // 2
    lines = [*lines[:at], *(f"> earlier line {number}" for number in range(quote_length)), *lines[at:]]

    # when quotequail reads it whole and with its first quoted run cut short
    whole = quotequail.unwrap("\n".join(lines))
    shortened = quotequail.unwrap("\n".join(shorten_first_quote(lines)))

    # then the text above and below the history is the same
    def top_and_bottom(found: dict[str, str] | None) -> tuple[str, str] | None:
        return None if found is None else (found.get("text_top", ""), found.get("text_bottom", ""))

    assert top_and_bottom(shortened) == top_and_bottom(whole)
