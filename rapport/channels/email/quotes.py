"""The new words of an e-mail reply: quoted history found by quotequail, then the signature cut off."""

from __future__ import annotations

import re

import quotequail
from lxml.etree import LxmlError

from rapport.desk.html import html_to_text

# RFC 3676 §4.3: a line of "-- " starts the signature. Many clients trim the trailing
# space on the way out, so a bare "--" counts too.
_SIGNATURE_DELIMITERS = frozenset({"--", "-- "})
# The one-line trailer mail apps append ("Sent from my iPhone", "Get Outlook for iOS"),
# named tightly: a last line "Sent from Berlin on Monday" is the customer's own.
_MOBILE_TRAILER = re.compile(
    r"^(sent from my \S|sent from (mail|outlook|yahoo mail)\b|get outlook for (ios|android)\b)",
    re.IGNORECASE,
)
_MOBILE_TRAILER_MAX = 80
# An attribution line ("… <ann@example.com> wrote:") in a language quotequail has no
# pattern for still ends with a colon and names an address, a time or a year.
_ATTRIBUTION_HINT = re.compile(r"@|\d{1,2}:\d{2}|\d{4}")
# quotequail joins a line ending in one of these with the next when it reads a wrapped
# attribution ("… <\nann@example.com> wrote:"); the same rule is followed here.
_WRAP_CHARS = tuple("<([{\"'")
_SCAN_LINES = 100
# What any quotequail marker needs on its line (or, wrapped, the next): a quote sign, a
# rule, a header-like "Name:", a trailing colon ("... wrote:"), or the "@" of gmail's
# "yyyy/m/d Name <a@b>". Every branch is linear in the length of the text.
_MARKER = re.compile(r"^\s*(>|[-_]{3})|^\*?[-\w ]+:|:\s*$|@", re.MULTILINE)
# Lines of the first quoted block that quotequail is shown. It reads every line of that block again
# (looking for the headers of a forwarded mail inside it), about 75 µs a line, but what the reply says
# above and below the block does not depend on them. Five keep its rules whole: three quoted lines make
# a quote, and an attribution may wrap onto a second line.
_QUOTE_LINES_READ = 5


def reply_part(text: str, html: str = "") -> str:
    """The reply without quoted history or signature; the plain text wins when both are given."""
    return strip_signature(strip_quotes(text, html))


def strip_quotes(text: str, html: str = "") -> str:
    """The new text above (or below) the quoted history, signature kept.

    This is the contract of talon's reply fixtures. A message with nothing but quoted or
    forwarded content keeps all of it: the forwarded mail is then what the sender says.
    """
    if text.strip():
        return _new_text(text.replace("\r\n", "\n"))
    if html.strip():
        return _new_text_of_html(html)
    return ""


def strip_signature(text: str) -> str:
    lines = text.rstrip().split("\n")
    for index, line in enumerate(lines):
        if line.rstrip("\r") in _SIGNATURE_DELIMITERS:
            lines = lines[:index]
            break
    else:
        last = lines[-1].strip()
        if _MOBILE_TRAILER.match(last) and len(last) <= _MOBILE_TRAILER_MAX:
            lines = lines[:-1]
    kept = "\n".join(lines).strip()
    # A message that is nothing but a signature still says who wrote; keep it.
    return kept or text.strip()


def _new_text(text: str) -> str:
    # quotequail tries some forty patterns on every line until the history starts: about
    # 75 µs a line. Lines above the first that could hold a marker (_MARKER) are passed
    # over at regex speed; past _SCAN_LINES more lines the rest belongs to whichever part
    # the window ended in.
    marker = _MARKER.search(text)
    if marker is None:
        return text.strip()
    lines = text.split("\n")
    skip = max(0, text.count("\n", 0, marker.start()) - 1)
    window = "\n".join(shorten_first_quote(lines[skip : skip + _SCAN_LINES]))
    rest = "\n".join(lines[skip + _SCAN_LINES :])
    found = quotequail.unwrap(window)
    if found is None:
        new = text if rest else _without_trailing_quote(text)
    else:
        top = _without_attribution("\n".join([*lines[:skip], found.get("text_top", "")]))
        bottom = found.get("text_bottom", "")
        if bottom and rest:
            bottom = f"{bottom}\n{rest}"
        new = _join(top, bottom)
    return new.strip() or text.strip()


def shorten_first_quote(lines: list[str]) -> list[str]:
    """The lines with the first run of quoted lines cut to its first _QUOTE_LINES_READ.

    quotequail finds the same text above and below the quote either way (a property test holds it to
    that): the run is the first quoted text it can meet, and it takes a run whole.
    """
    first = next((number for number, line in enumerate(lines) if line.startswith(">")), None)
    if first is None:
        return lines
    end = first
    while end < len(lines) and lines[end].startswith(">"):
        end += 1
    if end - first <= _QUOTE_LINES_READ:
        return lines
    return lines[: first + _QUOTE_LINES_READ] + lines[end:]


def _new_text_of_html(html: str) -> str:
    # quotequail's HTML reader builds an lxml tree: dearer than the plain-text path, so it
    # runs only for mail that has no text/plain part. Its gain is structure the text loses
    # (blockquotes, Outlook's divider styles).
    try:
        found = quotequail.unwrap_html(html)
    except (LxmlError, ValueError, IndexError, KeyError):
        found = None
    if found is None:
        return _new_text(html_to_text(html))
    top = _without_attribution(html_to_text(found.get("html_top", "")))
    new = _join(top, html_to_text(found.get("html_bottom", "")))
    return new.strip() or html_to_text(html)


def _without_trailing_quote(text: str) -> str:
    # quotequail wants three quoted lines before it calls a block a quote; a short "> Hi"
    # under a reply is still history when it ends the message.
    lines = text.rstrip().split("\n")
    end = len(lines)
    while end > 0 and (lines[end - 1].startswith(">") or not lines[end - 1].strip()):
        end -= 1
    if end == len(lines):
        return text
    return _without_attribution("\n".join(lines[:end]))


def _without_attribution(text: str) -> str:
    # quotequail leaves the attribution above the history when its own patterns miss it
    # ("--- On Wed, 4/4/12, ann@example.com wrote:", "26.06.2014, 14:41, Ann <ann@…>:").
    lines = text.rstrip().split("\n")
    if not lines[-1].rstrip().endswith(":"):
        return text
    start = len(lines) - 1
    if start > 0 and lines[start - 1].rstrip().endswith(_WRAP_CHARS):
        start -= 1
    if not _ATTRIBUTION_HINT.search(" ".join(lines[start:])):
        return text
    return "\n".join(lines[:start])


def _join(top: str, bottom: str) -> str:
    return "\n\n".join(part.strip() for part in (top, bottom) if part.strip())
