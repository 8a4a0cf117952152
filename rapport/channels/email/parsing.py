"""Raw RFC 5322 bytes to a ParsedEmail: decoded headers, plain text, sanitised HTML and attachments.

Pure: the standard library's `email` (policy.default), nh3 through rapport.desk.html, quotequail
and tnefparse; no Django. Mail is hostile input, so nothing here may raise but EmailParseError,
and that only when no header at all can be read. Everything else that is malformed is
read as well as it can be and noted in `defects`.
"""

from __future__ import annotations

import base64
import codecs
import functools
import mimetypes
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.errors import InvalidHeaderDefect, MessageDefect
from email.header import decode_header
from email.headerregistry import (
    Address,
    BaseHeader,
    HeaderRegistry,
    UniqueUnstructuredHeader,
    UnstructuredHeader,
)
from email.message import EmailMessage, Message
from email.parser import BytesParser
from typing import Any, TypeVar, cast

from rapport.channels.email.noise import HEADER_ERRORS, noise_kind
from rapport.channels.email.quotes import reply_part
from rapport.channels.email.tnef import TnefError, is_tnef, tnef_files
from rapport.desk.html import html_to_text, sanitise_html

# Deeper nesting than this is an attack or a loop, not mail; Python's own recursion limit
# would be the next stop.
_MAX_DEPTH = 40
_MAX_DEFECTS = 50
_MAX_FILENAME = 200
_HEADER_CACHE_SIZE = 4096
_HEADER_CACHE_MAX_VALUE = 2000
# What a file gets called when the sender gave no name (a few types, so a preview knows
# what it holds; everything else is .bin).
_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "application/pdf": ".pdf",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/delivery-status": ".txt",
}
# Charsets senders declare but mean a superset of: the WHATWG Encoding Standard decodes
# these labels the same way, and so does every mail client. GB2312 mail routinely holds
# GBK characters; "ISO-8859-1" text from Windows holds cp1252 quotes and dashes.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}
_ADDRESS_HEADERS = frozenset({"from", "sender", "reply-to", "to", "cc", "bcc"})
_ATTACHED_MESSAGES = frozenset({"message/rfc822", "message/global"})
_BODY_TYPES = frozenset({"text/plain", "text/html"})
# The standard decoder leaves U+FFFD or surrogate-escaped bytes where it failed.
_UNDECODED = re.compile("[\ufffd\ud800-\udfff]")
# Bytes that came in as raw 8-bit header text are kept by the parser as lone surrogates
# (surrogateescape); they cannot be stored or encoded, so they are decoded here.
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_ANGLE_ID = re.compile(r"<([^<>]*)>")
_ENCODED_WORD = r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?="
_ENCODED_RUN = re.compile(rf"{_ENCODED_WORD}(?:\s+{_ENCODED_WORD})+")
# One list member "ann@example.com <bob@example.com>". The name part may hold no "@"
# before its own, so the match is linear however hostile the header.
_ADDRESS_AS_NAME = re.compile(r'^(\s*)([^,"<>()\s@]+@[^,"<>()\s]+)\s*(<[^<>]*>\s*)$')
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")

_HEADER_OR_CODEC_ERRORS: tuple[type[Exception], ...] = (*HEADER_ERRORS, UnicodeError)

_T = TypeVar("_T")
_D = TypeVar("_D")


class _SubjectHeader(UniqueUnstructuredHeader):
    """Subject, re-decoded with superset charsets where the standard decoding failed."""

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        super().parse(value, kwds)
        if _UNDECODED.search(kwds["decoded"]) and "=?" in value:
            kwds["decoded"] = _decode_words(value, kwds["decoded"])


class _UnreadableHeader(UnstructuredHeader):
    """A header its own class could not parse: kept as plain text, the failure a defect."""

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        kwds["defects"].append(InvalidHeaderDefect("unreadable, kept as plain text"))
        try:
            super().parse(value, kwds)
        except HEADER_ERRORS:
            kwds["decoded"] = value


class _Headers(HeaderRegistry):
    """policy.default's header classes, memoised, and never raising.

    The feed parser alone reads Content-Type several times per part, and every read runs
    email._header_value_parser again: uncached, that is most of the cost of a parse. Header
    objects are immutable, so one object can serve every message with the same line.

    A value that makes its class raise (the structured parsers recurse on nested comments,
    and have known IndexError paths) becomes an _UnreadableHeader. This is the one place
    every reader passes through, the feed parser included, so one weird header cannot take
    the message down; code that needs its structure (addresses, a date) finds none.
    """

    def __init__(self) -> None:
        super().__init__()
        self.map_to_type("subject", cast("type[BaseHeader]", _SubjectHeader))
        self._cached = functools.lru_cache(maxsize=_HEADER_CACHE_SIZE)(self._build)
        self._unreadable = type("_Unreadable", (_UnreadableHeader, self.base_class), {})

    def __call__(self, name: str, value: Any) -> BaseHeader:
        if isinstance(value, str) and len(value) <= _HEADER_CACHE_MAX_VALUE:
            return self._cached(name, value)
        return self._build(name, value)

    def _build(self, name: str, value: Any) -> BaseHeader:
        try:
            if name.lower() in _ADDRESS_HEADERS and isinstance(value, str):
                return super().__call__(name, _merge_encoded_words(_quote_addresses_used_as_names(value)))
            return super().__call__(name, value)
        except _HEADER_OR_CODEC_ERRORS:
            return self._unreadable(name, value)


_POLICY = policy.default.clone(header_factory=_Headers())
_PARSER = BytesParser(policy=_POLICY)
# Re-serialising an attached message writes its header lines as they came (no refolding).
_AS_SOURCE = _POLICY.clone(refold_source="none")


class EmailParseError(Exception):
    """Nothing usable could be read from the bytes; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str  # safe base name, never empty, no path separators
    content_type: str  # lower-case "type/subtype"
    content: bytes
    content_id: str  # without <>, "" when none
    inline: bool


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
        return _safe(sanitise_html(self.html_unsanitised))


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse one message; raises EmailParseError only when the bytes hold no readable header."""
    # Some captures (mbox exports, IMAP literals) start with a blank line; a message never does.
    raw = raw.lstrip(b"\r\n")
    if not raw.strip():
        raise EmailParseError("message is empty")
    try:
        message = _PARSER.parsebytes(raw)
    except RecursionError as exc:
        raise EmailParseError("message is nested too deeply") from exc
    except HEADER_ERRORS as exc:
        raise EmailParseError("message structure could not be read") from exc
    if not isinstance(message, EmailMessage) or not message.keys():
        raise EmailParseError("no headers could be read")

    defects = _Defects()
    defects.add_all("message", message.defects)
    body = _Body(defects)
    body.walk(message, depth=0)
    text = "\n".join(body.texts)
    raw_html = "\n".join(body.htmls)
    if not text and raw_html:
        text = html_to_text(raw_html)
    sender_name, sender_address = _first_address(message, "From", defects)
    return ParsedEmail(
        message_id=_first_id(_header(message, "Message-ID", defects)),
        in_reply_to=_ids(_header(message, "In-Reply-To", defects)),
        references=_ids(_header(message, "References", defects)),
        subject=" ".join(_header(message, "Subject", defects).split()),
        from_address=sender_address,
        from_name=sender_name,
        reply_to=_addresses(message, "Reply-To", defects),
        to=_addresses(message, "To", defects),
        cc=_addresses(message, "Cc", defects),
        date=_date(message, defects),
        text=_safe(text),
        html_unsanitised=raw_html,
        # quotequail reads HTML only for mail without a text/plain part (its lxml path is dear).
        reply_text=_safe(reply_part(text) if body.texts else reply_part("", raw_html)),
        attachments=tuple(body.attachments),
        noise=noise_kind(message),
        defects=tuple(defects.items),
    )


@dataclass
class _Defects:
    items: list[str] = field(default_factory=list)

    def add(self, description: str) -> None:
        if description not in self.items and len(self.items) < _MAX_DEFECTS:
            self.items.append(description)

    def add_all(self, where: str, defects: Iterable[MessageDefect]) -> None:
        for defect in defects:
            words = _CAMEL.sub(" ", type(defect).__name__.removesuffix("Defect")).lower()
            detail = _safe(str(defect)).strip()
            self.add(f"{where}: {detail or words}")


class _Body:
    """Walks the MIME tree once, collecting text, HTML and attachments."""

    def __init__(self, defects: _Defects) -> None:
        self.defects = defects
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.attachments: list[ParsedAttachment] = []

    def walk(self, part: Message, depth: int) -> None:
        if depth > _MAX_DEPTH:
            self.defects.add(f"parts nested deeper than {_MAX_DEPTH} levels were skipped")
            return
        content_type = _content_type(part, self.defects)
        if depth:
            self.defects.add_all(f"{content_type} part", part.defects)
        children = _children(part)
        enclosed = children[0] if children else None
        if content_type in _ATTACHED_MESSAGES and depth == 0 and isinstance(enclosed, Message):
            # A message that is nothing but another one (GroupWise forwards this way): the
            # enclosed message is the content.
            self.walk(enclosed, depth + 1)
        elif content_type in _ATTACHED_MESSAGES:
            self._attach_message(part, content_type)
        elif children is not None and content_type == "multipart/alternative":
            self._alternative(children, depth)
        elif children is not None and content_type.startswith("multipart/"):
            for child in children:
                if isinstance(child, Message):
                    self.walk(child, depth + 1)
        elif children is not None:
            # message/delivery-status, message/external-body, ...: header blocks, kept as a file.
            blocks = (_serialise(block) for block in children if isinstance(block, Message))
            self._attach(part, content_type, b"\n".join(blocks))
        elif content_type.startswith("multipart/"):
            # No boundary was found (a defect is recorded): what is there is read as text.
            self._add_text(self.texts, _text_of(part, self.defects))
        else:
            self._leaf(part, content_type)

    @staticmethod
    def _add_text(target: list[str], text: str) -> None:
        if text.strip():
            target.append(text)

    def _alternative(self, children: list[Any], depth: int) -> None:
        # RFC 2046 §5.1.4: the alternatives come in increasing faithfulness. The text is
        # the first plain one (what the sender's client wrote as text), the HTML the last.
        texts: list[str] | None = None
        htmls: list[str] | None = None
        for child in children:
            if not isinstance(child, Message):
                continue
            branch = _Body(self.defects)
            branch.attachments = self.attachments
            branch.walk(child, depth + 1)
            if branch.texts and texts is None:
                texts = branch.texts
            if branch.htmls:
                htmls = branch.htmls
        self.texts.extend(texts or [])
        self.htmls.extend(htmls or [])

    def _leaf(self, part: Message, content_type: str) -> None:
        disposition = _safely(part.get_content_disposition, None, self.defects, "Content-Disposition")
        filename = _safely(part.get_filename, None, self.defects, "Content-Disposition filename")
        if content_type in _BODY_TYPES and disposition != "attachment" and not filename:
            target = self.texts if content_type == "text/plain" else self.htmls
            self._add_text(target, _text_of(part, self.defects))
            return
        content = _bytes_of(part, self.defects)
        if is_tnef(content_type, filename or ""):
            try:
                files = tnef_files(content)
            except TnefError as exc:
                self.defects.add(f"winmail.dat kept as it is: {exc.reason}")
                files = ()
            if files:
                for file in files:
                    guessed, _ = mimetypes.guess_type(file.filename, strict=False)
                    content_type = (guessed or "application/octet-stream").lower()
                    self._add(file.filename, content_type, file.content, "", False)
                return
        self._attach(part, content_type, content, filename=filename, disposition=disposition)

    def _attach_message(self, part: Message, content_type: str) -> None:
        children = _children(part)
        inner = children[0] if children else None
        if isinstance(inner, Message):
            content = _serialise(inner)
            subject = _header(inner, "Subject", None)
            name = _safely(part.get_filename, None, self.defects, "Content-Disposition filename")
            self._attach(part, content_type, content, filename=name or (subject and f"{subject}.eml"))
        else:
            self._attach(part, content_type, _bytes_of(part, self.defects))

    def _attach(
        self,
        part: Message,
        content_type: str,
        content: bytes,
        *,
        filename: str | None = None,
        disposition: str | None = None,
    ) -> None:
        content_id = _first_id(_header(part, "Content-ID", self.defects))
        # An image referenced from the HTML by Content-ID is inline even when the sender's
        # client left out Content-Disposition (RFC 2392 cid: URLs, RFC 2387 related parts).
        inline = disposition == "inline" or (disposition is None and bool(content_id))
        self._add(filename or "", content_type, content, content_id, inline)

    def _add(self, filename: str, content_type: str, content: bytes, content_id: str, inline: bool) -> None:
        number = len(self.attachments) + 1
        self.attachments.append(
            ParsedAttachment(
                filename=_safe_filename(filename, number, content_type),
                content_type=content_type,
                content=content,
                content_id=_safe(content_id),
                inline=inline,
            )
        )


def _quote_addresses_used_as_names(value: str) -> str:
    # "ann@example.com <bob@example.com>": RFC 5322 allows no "@" in a display name, so the
    # standard parser keeps the first address and drops the second. Mail clients show the
    # name and write to the angle address; reading it their way also keeps a sender from
    # posing as the address they put in front. A comma inside a quoted name splits wrongly
    # here, but such a piece holds a quote and is left alone.
    if "@" not in value or "<" not in value:
        return value
    return ",".join(_ADDRESS_AS_NAME.sub(r'\1"\2" \3', member) for member in value.split(","))


def _merge_encoded_words(value: str) -> str:
    # RFC 2047 §6.2: white space between adjacent encoded words is not part of the text,
    # but the standard parser keeps it inside a display name, so a long name folded over
    # several words comes back with spaces in it ("张 三"). A run of words is decoded here
    # as one (which also mends characters split between words) and passed on as one word.
    def one_word(run: re.Match[str]) -> str:
        text = _safe(_decode_words(run.group(), run.group()))
        return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="

    return _ENCODED_RUN.sub(one_word, value) if "=?" in value else value


def _header(message: Message, name: str, defects: _Defects | None) -> str:
    """The decoded value of a header, "" when absent."""
    value = _header_object(message, name, defects)
    return "" if value is None else _safe(str(value))


def _header_object(message: Message, name: str, defects: _Defects | None) -> Any:
    # Our header factory does not raise; a message built with another policy still might.
    try:
        value = message.get(name)
    except HEADER_ERRORS as exc:
        value, failure = None, f"{name} header: unreadable ({type(exc).__name__})"
    else:
        failure = ""
    if defects is not None:
        if failure:
            defects.add(failure)
        defects.add_all(f"{name} header", getattr(value, "defects", ()))
    return value


def _first_address(message: Message, name: str, defects: _Defects) -> tuple[str, str]:
    for address in _address_objects(message, name, defects):
        return _safe(address.display_name).strip(), _safe(address.addr_spec).lower()
    return "", ""


def _addresses(message: Message, name: str, defects: _Defects) -> tuple[str, ...]:
    found = (_safe(address.addr_spec).lower() for address in _address_objects(message, name, defects))
    return tuple(dict.fromkeys(found))


def _address_objects(message: Message, name: str, defects: _Defects) -> list[Address]:
    addresses = getattr(_header_object(message, name, defects), "addresses", ())
    # An addr-spec without a domain (RFC 5322 §3.4.1 requires one) cannot be answered.
    return [address for address in addresses if "@" in address.addr_spec.strip("@")]


def _date(message: Message, defects: _Defects) -> datetime | None:
    value = _header_object(message, "Date", defects)
    moment = getattr(value, "datetime", None)
    if not isinstance(moment, datetime):
        if value is not None:
            defects.add("Date header: unreadable date")
        return None
    # "-0000" means the zone is unknown (RFC 5322 §3.3); UTC is the honest reading.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _first_id(value: str) -> str:
    found = _ANGLE_ID.search(value)
    return "".join((found.group(1) if found else value).split())


def _ids(value: str) -> tuple[str, ...]:
    found = ["".join(item.split()) for item in _ANGLE_ID.findall(value)]
    if not found:
        # Some clients drop the angle brackets (RFC 5322 §3.6.4 requires them).
        found = [token for token in value.split() if "@" in token]
    return tuple(dict.fromkeys(item for item in found if item))


def _content_type(part: Message, defects: _Defects) -> str:
    if isinstance(_header_object(part, "Content-Type", defects), _UnreadableHeader):
        return part.get_default_type()
    return _safely(part.get_content_type, part.get_default_type(), defects, "Content-Type")


def _text_of(part: Message, defects: _Defects) -> str:
    content = _bytes_of(part, defects)
    charset = _safely(part.get_content_charset, None, defects, "Content-Type charset")
    # Bodies keep the line ends they came with (CRLF on the wire, LF from most stores).
    return _decode(content, charset).replace("\r\n", "\n").replace("\r", "\n")


def _children(part: Message) -> list[Any] | None:
    # get_payload() without decode=True re-decodes an 8-bit body with the declared charset,
    # which raises on a charset holding NUL; the children of a multipart need no decoding.
    payload = part.get_payload() if part.is_multipart() else None
    return payload if isinstance(payload, list) else None


def _bytes_of(part: Message, defects: _Defects) -> bytes:
    payload = _safely(lambda: part.get_payload(decode=True), None, defects, "Content-Transfer-Encoding")
    return payload if isinstance(payload, bytes) else b""


def _decode(content: bytes, charset: str | None) -> str:
    codec = _codec(charset)
    # A declared charset other than ASCII is believed. Undeclared, ASCII (often a lie for
    # 8-bit text) or unknown: UTF-8 when the bytes are valid UTF-8, else Latin-1, which
    # maps every byte and so never fails.
    if codec is not None and codec != "ascii":
        try:
            return _safe(content.decode(codec, errors="replace"))
        except (LookupError, ValueError, TypeError):
            pass  # a bytes-to-bytes codec named as a charset ("base64", "zlib")
    try:
        return _safe(content.decode("utf-8"))
    except UnicodeDecodeError:
        return _safe(content.decode("latin-1"))


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        name = codecs.lookup(charset.strip()).name
    except (LookupError, ValueError):
        return None
    return _SUPERSETS.get(name, name)


def _decode_words(value: str, decoded: str) -> str:
    # email.header.decode_header joins adjacent encoded words of one charset before they
    # are decoded, which mends the multi-byte characters some clients split across words.
    try:
        pieces = decode_header(value)
        return "".join(_decode_piece(piece, charset) for piece, charset in pieces)
    except _HEADER_OR_CODEC_ERRORS:
        return decoded


def _decode_piece(piece: str | bytes, charset: str | None) -> str:
    if isinstance(piece, str):
        return piece
    if charset is None:
        # decode_header hands back the text between encoded words as raw-unicode-escape.
        try:
            return piece.decode("raw-unicode-escape")
        except UnicodeDecodeError:
            return piece.decode("latin-1")
    return _decode(piece, charset)


def _serialise(message: Message) -> bytes:
    # compat32's generator writes the stored header lines back as they are: faster than
    # policy.default's refolding, and closer to what was sent.
    for serialising in (policy.compat32, _AS_SOURCE):
        try:
            return message.as_bytes(policy=serialising)
        except _HEADER_OR_CODEC_ERRORS:
            continue
    return b""


def _safely(read: Callable[[], _T], default: _D, defects: _Defects, what: str) -> _T | _D:
    try:
        return read()
    except HEADER_ERRORS as exc:
        defects.add(f"{what} could not be read ({type(exc).__name__})")
        return default


def _safe_filename(name: str, number: int, content_type: str) -> str:
    base = _safe(name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _CONTROL.sub("", " ".join(base.split())).strip(" .")
    if len(base) > _MAX_FILENAME:
        stem, dot, extension = base.rpartition(".")
        keep = dot + extension if dot and len(extension) < 16 else ""
        base = (stem if keep else base)[: _MAX_FILENAME - len(keep)] + keep
    return base or f"attachment-{number}{_EXTENSIONS.get(content_type, '.bin')}"


def _safe(text: str) -> str:
    if _ESCAPED_BYTES.search(text):
        try:
            text = text.encode("utf-8", "surrogateescape").decode("utf-8")
        except UnicodeError:
            text = _ESCAPED_BYTES.sub(
                lambda run: bytes(ord(char) - 0xDC00 for char in run.group()).decode("latin-1"), text
            )
    # PostgreSQL text cannot hold NUL, and no codec can encode a lone surrogate.
    return _UNSTORABLE.sub(lambda char: "" if char.group() == "\x00" else "\ufffd", text)
