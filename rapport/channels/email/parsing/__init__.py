"""Raw RFC 5322 bytes to a ParsedEmail: decoded headers, plain text, sanitised HTML and attachments.

Pure: the standard library's `email` (policy.default), nh3 through rapport.desk.html, quotequail
and tnefparse; no Django. Mail is hostile input, so nothing here may raise but EmailParseError,
and that only when no header at all can be read. Everything else that is malformed is
read as well as it can be and noted in `defects`.

The modules: `headers` (policy.default's header classes, memoised and never raising), `body` (the
MIME tree, walked once), `text` (charsets), `defects` (what was malformed).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from rapport.channels.email.noise import HEADER_ERRORS, noise_kind
from rapport.channels.email.parsing.body import Body, ParsedAttachment
from rapport.channels.email.parsing.defects import Defects
from rapport.channels.email.parsing.headers import (
    PARSER,
    addresses,
    date_of,
    first_address,
    first_id,
    header_text,
    ids,
)
from rapport.channels.email.parsing.text import safe_text
from rapport.channels.email.quotes import reply_part
from rapport.desk.html import html_to_text, sanitise_html

__all__ = ["EmailParseError", "ParsedAttachment", "ParsedEmail", "parse_email"]


class EmailParseError(Exception):
    """Nothing usable could be read from the bytes; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str  # without <> and surrounding space, "" when missing
    in_reply_to: tuple[str, ...]  # ids without <>
    references: tuple[str, ...]  # ids without <>, in header order
    subject: str  # decoded, whitespace collapsed
    from_address: str  # lower-cased addr-spec, "" when none can be read
    from_name: str
    reply_to: tuple[str, ...]  # lower-cased addresses, as are to and cc
    to: tuple[str, ...]
    cc: tuple[str, ...]
    date: datetime | None  # aware (UTC when the header has no zone), None when unreadable
    text: str  # the whole message as plain text (text/plain parts, else derived from the HTML)
    html_unsanitised: str  # the html part as sent: never shown; `html` is what may be
    reply_text: str  # text without quoted history and signature (quotes.reply_part)
    attachments: tuple[ParsedAttachment, ...]  # winmail.dat expanded into its files
    noise: str  # "" for a person's mail, else "auto_reply" or "bounce" (noise.noise_kind)
    defects: tuple[str, ...]  # short descriptions of what was malformed

    @functools.cached_property
    def html(self) -> str:
        """Sanitised HTML of the html part ("" when none), made when first asked for.

        The desk keeps an inbound mail's text, so most mail never needs it.
        """
        return safe_text(sanitise_html(self.html_unsanitised))


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse one message; raises EmailParseError only when the bytes hold no readable header."""
    # Some captures (mbox exports, IMAP literals) start with a blank line; a message never does.
    raw = raw.lstrip(b"\r\n")
    if not raw.strip():
        raise EmailParseError("message is empty")
    try:
        message = PARSER.parsebytes(raw)
    except RecursionError as exc:
        raise EmailParseError("message is nested too deeply") from exc
    except HEADER_ERRORS as exc:
        raise EmailParseError("message structure could not be read") from exc
    if not isinstance(message, EmailMessage) or not message.keys():
        raise EmailParseError("no headers could be read")

    defects = Defects()
    defects.add_all("message", message.defects)
    body = Body(defects)
    body.walk(message, depth=0)
    text = "\n".join(body.texts)
    raw_html = "\n".join(body.htmls)
    if not text and raw_html:
        text = html_to_text(raw_html)
    sender_name, sender_address = first_address(message, "From", defects)
    return ParsedEmail(
        message_id=first_id(header_text(message, "Message-ID", defects)),
        in_reply_to=ids(header_text(message, "In-Reply-To", defects)),
        references=ids(header_text(message, "References", defects)),
        subject=" ".join(header_text(message, "Subject", defects).split()),
        from_address=sender_address,
        from_name=sender_name,
        reply_to=addresses(message, "Reply-To", defects),
        to=addresses(message, "To", defects),
        cc=addresses(message, "Cc", defects),
        date=date_of(message, defects),
        text=safe_text(text),
        html_unsanitised=raw_html,
        # quotequail reads HTML only for mail without a text/plain part (its lxml path is dear).
        reply_text=safe_text(reply_part(text) if body.texts else reply_part("", raw_html)),
        attachments=tuple(body.attachments),
        noise=noise_kind(message),
        defects=tuple(defects.items),
    )
