"""What the channels read of a message before it is parsed: its Message-ID and sender, headers only.

The listener and the mail import need them for the dedupe key while storing the raw bytes; the body
is read later, by a task, and only there (the parsing package).
"""

from __future__ import annotations

from email.parser import BytesHeaderParser, HeaderParser
from email.policy import compat32
from email.utils import getaddresses

from rapport.channels.email.addresses import strip_angle_brackets


def header_block(raw: bytes) -> bytes:
    """The bytes up to the blank line that ends the headers (all of them when there is none)."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    return raw if end < 0 else raw[: end + 2]


def header_message_id(raw: bytes) -> str:
    """The Message-ID, read from the header block only: the body is parsed later, by a task."""
    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(header_block(raw)).get("Message-ID", "")
    except Exception:
        return ""
    return strip_angle_brackets(str(value))


def header_sender(raw: bytes) -> str:
    """The first From address, lower-cased, read from the header block only; "" when there is none."""
    # Decoded by hand, keeping raw 8-bit bytes as surrogates: an SMTPUTF8 address arrives as UTF-8.
    head = header_block(raw).decode("utf-8", "surrogateescape")
    try:
        values = HeaderParser(policy=compat32).parsestr(head).get_all("From") or []
        addresses = getaddresses([str(value) for value in values])
    except Exception:
        return ""
    for _, address in addresses:
        if "@" in address:
            # Bytes that are not UTF-8 become U+FFFD: a database column takes no surrogates.
            return address.strip().lower().encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return ""
