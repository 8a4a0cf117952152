"""Mailbox addresses: plus-addressing carries a conversation's token (support+TOKEN@example.com)."""

from __future__ import annotations

import base64
import binascii
import re

# Tokens are secrets.token_urlsafe(12): 16 characters of A-Z a-z 0-9 - _.
_CONVERSATION_KEY = r"[A-Za-z0-9_-]{16}"
_SUBJECT_TOKEN = re.compile(r"\[#(" + _CONVERSATION_KEY + r")\]")
# In an address the token travels as lower-case hex of its 12 bytes: mail servers and clients may
# change the case of an address, which would break a mixed-case token.
_ADDRESS_TOKEN = re.compile(r"[0-9a-f]{24}")


def strip_angle_brackets(value: str) -> str:
    return value.strip().strip("<>").strip()


def mailbox_key(address: str) -> str:
    """The mailbox an address reaches: lower-cased, without a +suffix on the local part."""
    address = strip_angle_brackets(address).lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    return f"{local.split('+', 1)[0]}@{domain}"


def token_in_address(address: str) -> str:
    """The conversation token after the + of an address, or ""."""
    local = strip_angle_brackets(address).rpartition("@")[0].lower()
    _, plus, suffix = local.partition("+")
    if not plus or not _ADDRESS_TOKEN.fullmatch(suffix):
        return ""
    return base64.urlsafe_b64encode(bytes.fromhex(suffix)).decode()


def token_in_subject(subject: str) -> str:
    found = _SUBJECT_TOKEN.search(subject)
    return found.group(1) if found else ""


def reply_address(mailbox: str, token: str) -> str:
    """The mailbox address that carries the token, for Reply-To on outbound mail."""
    try:
        hex_token = base64.urlsafe_b64decode(token.encode()).hex()
    except (binascii.Error, ValueError):
        return mailbox
    local, _, domain = mailbox.partition("@")
    return f"{local}+{hex_token}@{domain}"


def subject_tag(token: str) -> str:
    return f"[#{token}]"
