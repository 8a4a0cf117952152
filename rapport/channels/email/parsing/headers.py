"""Headers read with policy.default's classes, memoised and never raising; addresses, ids, the date."""

from __future__ import annotations

import base64
import functools
import re
from datetime import UTC, datetime
from email import policy
from email.errors import InvalidHeaderDefect
from email.headerregistry import (
    Address,
    BaseHeader,
    HeaderRegistry,
    UniqueUnstructuredHeader,
    UnstructuredHeader,
)
from email.message import Message
from email.parser import BytesParser
from typing import Any, cast

from rapport.channels.email.noise import HEADER_ERRORS
from rapport.channels.email.parsing.defects import Defects
from rapport.channels.email.parsing.text import HEADER_OR_CODEC_ERRORS, UNDECODED, decode_words, safe_text

_HEADER_CACHE_SIZE = 4096
_HEADER_CACHE_MAX_VALUE = 2000
_ADDRESS_HEADERS = frozenset({"from", "sender", "reply-to", "to", "cc", "bcc"})
_ANGLE_ID = re.compile(r"<([^<>]*)>")
_ENCODED_WORD = r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?="
_ENCODED_RUN = re.compile(rf"{_ENCODED_WORD}(?:\s+{_ENCODED_WORD})+")
# One list member "ann@example.com <bob@example.com>". The name part may hold no "@"
# before its own, so the match is linear however hostile the header.
_ADDRESS_AS_NAME = re.compile(r'^(\s*)([^,"<>()\s@]+@[^,"<>()\s]+)\s*(<[^<>]*>\s*)$')


class _SubjectHeader(UniqueUnstructuredHeader):
    """Subject, re-decoded with superset charsets where the standard decoding failed."""

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        super().parse(value, kwds)
        if UNDECODED.search(kwds["decoded"]) and "=?" in value:
            kwds["decoded"] = decode_words(value, kwds["decoded"])


class UnreadableHeader(UnstructuredHeader):
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
    and have known IndexError paths) becomes an UnreadableHeader. This is the one place
    every reader passes through, the feed parser included, so one weird header cannot take
    the message down; code that needs its structure (addresses, a date) finds none.
    """

    def __init__(self) -> None:
        super().__init__()
        self.map_to_type("subject", cast("type[BaseHeader]", _SubjectHeader))
        self._cached = functools.lru_cache(maxsize=_HEADER_CACHE_SIZE)(self._build)
        self._unreadable = type("_Unreadable", (UnreadableHeader, self.base_class), {})

    def __call__(self, name: str, value: Any) -> BaseHeader:
        if isinstance(value, str) and len(value) <= _HEADER_CACHE_MAX_VALUE:
            return self._cached(name, value)
        return self._build(name, value)

    def _build(self, name: str, value: Any) -> BaseHeader:
        try:
            if name.lower() in _ADDRESS_HEADERS and isinstance(value, str):
                return super().__call__(name, _merge_encoded_words(_quote_addresses_used_as_names(value)))
            return super().__call__(name, value)
        except HEADER_OR_CODEC_ERRORS:
            return self._unreadable(name, value)


_POLICY = policy.default.clone(header_factory=_Headers())
PARSER = BytesParser(policy=_POLICY)
# Re-serialising an attached message writes its header lines as they came (no refolding).
AS_SOURCE = _POLICY.clone(refold_source="none")


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
        text = safe_text(decode_words(run.group(), run.group()))
        return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="

    return _ENCODED_RUN.sub(one_word, value) if "=?" in value else value


def header_text(message: Message, name: str, defects: Defects | None) -> str:
    """The decoded value of a header, "" when absent."""
    value = header_object(message, name, defects)
    return "" if value is None else safe_text(str(value))


def header_object(message: Message, name: str, defects: Defects | None) -> Any:
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


def first_address(message: Message, name: str, defects: Defects) -> tuple[str, str]:
    for address in _address_objects(message, name, defects):
        return safe_text(address.display_name).strip(), safe_text(address.addr_spec).lower()
    return "", ""


def addresses(message: Message, name: str, defects: Defects) -> tuple[str, ...]:
    found = (safe_text(address.addr_spec).lower() for address in _address_objects(message, name, defects))
    return tuple(dict.fromkeys(found))


def _address_objects(message: Message, name: str, defects: Defects) -> list[Address]:
    addresses = getattr(header_object(message, name, defects), "addresses", ())
    # An addr-spec without a domain (RFC 5322 §3.4.1 requires one) cannot be answered.
    return [address for address in addresses if "@" in address.addr_spec.strip("@")]


def date_of(message: Message, defects: Defects) -> datetime | None:
    value = header_object(message, "Date", defects)
    moment = getattr(value, "datetime", None)
    if not isinstance(moment, datetime):
        if value is not None:
            defects.add("Date header: unreadable date")
        return None
    # "-0000" means the zone is unknown (RFC 5322 §3.3); UTC is the honest reading.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def first_id(value: str) -> str:
    found = _ANGLE_ID.search(value)
    return "".join((found.group(1) if found else value).split())


def ids(value: str) -> tuple[str, ...]:
    found = ["".join(item.split()) for item in _ANGLE_ID.findall(value)]
    if not found:
        # Some clients drop the angle brackets (RFC 5322 §3.6.4 requires them).
        found = [token for token in value.split() if "@" in token]
    return tuple(dict.fromkeys(item for item in found if item))
