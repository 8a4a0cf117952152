"""The MIME tree walked once: the text and HTML a person wrote, and every attachment."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from email import policy
from email.message import Message
from typing import Any

from rapport.channels.email.parsing.defects import Defects, safely
from rapport.channels.email.parsing.headers import (
    AS_SOURCE,
    UnreadableHeader,
    first_id,
    header_object,
    header_text,
)
from rapport.channels.email.parsing.text import HEADER_OR_CODEC_ERRORS, decode_bytes, safe_text
from rapport.channels.email.tnef import TnefError, is_tnef, tnef_files

# Deeper nesting than this is an attack or a loop, not mail; Python's own recursion limit
# would be the next stop.
_MAX_DEPTH = 40
_MAX_FILENAME = 200
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
_ATTACHED_MESSAGES = frozenset({"message/rfc822", "message/global"})
_BODY_TYPES = frozenset({"text/plain", "text/html"})
_CONTROL = re.compile("[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str  # safe base name, never empty, no path separators
    content_type: str  # lower-case "type/subtype"
    content: bytes
    content_id: str  # without <>, "" when none
    inline: bool


class Body:
    """Walks the MIME tree once, collecting text, HTML and attachments."""

    def __init__(self, defects: Defects) -> None:
        self.defects = defects
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.attachments: list[ParsedAttachment] = []

    def walk(self, part: Message, depth: int) -> None:
        if depth > _MAX_DEPTH:
            self.defects.add(f"parts nested deeper than {_MAX_DEPTH} levels were skipped")
            return
        content_type = content_type_of(part, self.defects)
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
            branch = Body(self.defects)
            branch.attachments = self.attachments
            branch.walk(child, depth + 1)
            if branch.texts and texts is None:
                texts = branch.texts
            if branch.htmls:
                htmls = branch.htmls
        self.texts.extend(texts or [])
        self.htmls.extend(htmls or [])

    def _leaf(self, part: Message, content_type: str) -> None:
        disposition = safely(part.get_content_disposition, None, self.defects, "Content-Disposition")
        filename = safely(part.get_filename, None, self.defects, "Content-Disposition filename")
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
            subject = header_text(inner, "Subject", None)
            name = safely(part.get_filename, None, self.defects, "Content-Disposition filename")
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
        content_id = first_id(header_text(part, "Content-ID", self.defects))
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
                content_id=safe_text(content_id),
                inline=inline,
            )
        )


def content_type_of(part: Message, defects: Defects) -> str:
    if isinstance(header_object(part, "Content-Type", defects), UnreadableHeader):
        return part.get_default_type()
    return safely(part.get_content_type, part.get_default_type(), defects, "Content-Type")


def _text_of(part: Message, defects: Defects) -> str:
    content = _bytes_of(part, defects)
    charset = safely(part.get_content_charset, None, defects, "Content-Type charset")
    # Bodies keep the line ends they came with (CRLF on the wire, LF from most stores).
    return decode_bytes(content, charset).replace("\r\n", "\n").replace("\r", "\n")


def _children(part: Message) -> list[Any] | None:
    # get_payload() without decode=True re-decodes an 8-bit body with the declared charset,
    # which raises on a charset holding NUL; the children of a multipart need no decoding.
    payload = part.get_payload() if part.is_multipart() else None
    return payload if isinstance(payload, list) else None


def _bytes_of(part: Message, defects: Defects) -> bytes:
    payload = safely(lambda: part.get_payload(decode=True), None, defects, "Content-Transfer-Encoding")
    return payload if isinstance(payload, bytes) else b""


def _serialise(message: Message) -> bytes:
    # compat32's generator writes the stored header lines back as they are: faster than
    # policy.default's refolding, and closer to what was sent.
    for serialising in (policy.compat32, AS_SOURCE):
        try:
            return message.as_bytes(policy=serialising)
        except HEADER_OR_CODEC_ERRORS:
            continue
    return b""


def _safe_filename(name: str, number: int, content_type: str) -> str:
    base = safe_text(name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _CONTROL.sub("", " ".join(base.split())).strip(" .")
    if len(base) > _MAX_FILENAME:
        stem, dot, extension = base.rpartition(".")
        keep = dot + extension if dot and len(extension) < 16 else ""
        base = (stem if keep else base)[: _MAX_FILENAME - len(keep)] + keep
    return base or f"attachment-{number}{_EXTENSIONS.get(content_type, '.bin')}"
