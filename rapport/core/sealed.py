"""Secrets Rapport must read back (a mailbox's IMAP password), kept sealed in the database.

A password that only has to be checked is hashed; one that Rapport itself sends to another server
cannot be. It is sealed instead: Fernet (AES in CBC mode with an HMAC-SHA256, from `cryptography`),
under keys derived from the settings, so a copy of the database or a backup alone does not give the
company's mail accounts away.

The keys are RAPPORT_SEALING_KEYS (secrets separated by commas; the first seals, every one opens), or
Django's SECRET_KEY when that setting is empty. To change keys, put the new one first and keep the
old one after it until everything sealed has been saved again.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# Marks a sealed value, and which scheme sealed it, should another ever be needed.
PREFIX = "sealed:v1:"


class SealBroken(Exception):
    """The stored value cannot be opened with this server's keys (or was never sealed)."""


def seal(plain: str) -> str:
    return PREFIX + _fernet(_key_sources()).encrypt(plain.encode()).decode("ascii")


def unseal(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise SealBroken("the value is not sealed")
    try:
        return _fernet(_key_sources()).decrypt(stored.removeprefix(PREFIX).encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as error:
        raise SealBroken("no key of this server opens the value") from error


def _key_sources() -> tuple[str, ...]:
    configured = tuple(settings.RAPPORT_SEALING_KEYS)
    return configured or (settings.SECRET_KEY,)


@functools.lru_cache(maxsize=8)
def _fernet(sources: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_derived_key(source)) for source in sources])


def _derived_key(source: str) -> bytes:
    # A secret of any length and form becomes the 32 bytes Fernet wants; the label keeps these keys
    # apart from anything else derived from the same secret.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"rapport sealed values v1").derive(
        source.encode()
    )
    return base64.urlsafe_b64encode(key)
