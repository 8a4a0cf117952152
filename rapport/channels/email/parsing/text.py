"""Bytes and encoded words to text that can be stored: declared charsets, their supersets, repairs."""

from __future__ import annotations

import codecs
import re
from email.header import decode_header

from rapport.channels.email.noise import HEADER_ERRORS

# What reading a header or decoding its words may raise on hostile input.
HEADER_OR_CODEC_ERRORS: tuple[type[Exception], ...] = (*HEADER_ERRORS, UnicodeError)
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
# The standard decoder leaves U+FFFD or surrogate-escaped bytes where it failed.
UNDECODED = re.compile("[\ufffd\ud800-\udfff]")
# Bytes that came in as raw 8-bit header text are kept by the parser as lone surrogates
# (surrogateescape); they cannot be stored or encoded, so they are decoded here.
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def decode_bytes(content: bytes, charset: str | None) -> str:
    codec = _codec(charset)
    # A declared charset other than ASCII is believed. Undeclared, ASCII (often a lie for
    # 8-bit text) or unknown: UTF-8 when the bytes are valid UTF-8, else Latin-1, which
    # maps every byte and so never fails.
    if codec is not None and codec != "ascii":
        try:
            return safe_text(content.decode(codec, errors="replace"))
        except (LookupError, ValueError, TypeError):
            pass  # a bytes-to-bytes codec named as a charset ("base64", "zlib")
    try:
        return safe_text(content.decode("utf-8"))
    except UnicodeDecodeError:
        return safe_text(content.decode("latin-1"))


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        name = codecs.lookup(charset.strip()).name
    except (LookupError, ValueError):
        return None
    return _SUPERSETS.get(name, name)


def decode_words(value: str, decoded: str) -> str:
    # email.header.decode_header joins adjacent encoded words of one charset before they
    # are decoded, which mends the multi-byte characters some clients split across words.
    try:
        pieces = decode_header(value)
        return "".join(_decode_piece(piece, charset) for piece, charset in pieces)
    except HEADER_OR_CODEC_ERRORS:
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
    return decode_bytes(piece, charset)


def safe_text(text: str) -> str:
    if _ESCAPED_BYTES.search(text):
        try:
            text = text.encode("utf-8", "surrogateescape").decode("utf-8")
        except UnicodeError:
            text = _ESCAPED_BYTES.sub(
                lambda run: bytes(ord(char) - 0xDC00 for char in run.group()).decode("latin-1"), text
            )
    # PostgreSQL text cannot hold NUL, and no codec can encode a lone surrogate.
    return _UNSTORABLE.sub(lambda char: "" if char.group() == "\x00" else "\ufffd", text)
