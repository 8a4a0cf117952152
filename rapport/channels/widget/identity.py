"""Signed identity tokens: how a host site tells the widget who its signed-in visitor is.

The host site signs `email|expires` (expires in Unix seconds) with the widget's identity secret,
HMAC-SHA256, hex-encoded (docs/widget.md). Nothing the browser can make up on its own passes: the
secret never leaves the host site's server. A token lives at most MAX_LIFETIME, so one copied out of a
page stops working soon.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_LIFETIME = timedelta(days=31)


class IdentityRefused(Exception):
    """The token is not valid: forged, expired, or malformed. The code says which, for the widget."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SignedIdentity:
    email: str
    expires: int
    signature: str


def signing_string(email: str, expires: int) -> bytes:
    return f"{email}|{expires}".encode()


def sign_identity(*, secret: str, email: str, expires: int) -> str:
    """What the host site computes on its server (kept here for tests and for docs/widget.md)."""
    return hmac.new(secret.encode(), signing_string(email, expires), hashlib.sha256).hexdigest()


def read_identity(data: object) -> SignedIdentity:
    """The {email, expires, signature} object the widget passes on, checked for shape only."""
    if not isinstance(data, dict):
        raise IdentityRefused("malformed")
    email, expires, signature = data.get("email"), data.get("expires"), data.get("signature")
    if isinstance(expires, str) and expires.isdigit():
        expires = int(expires)
    if (
        not isinstance(email, str)
        or not email
        or len(email) > 254
        or isinstance(expires, bool)
        or not isinstance(expires, int)
        or not isinstance(signature, str)
        or len(signature) != 64
    ):
        raise IdentityRefused("malformed")
    return SignedIdentity(email=email, expires=expires, signature=signature.lower())


def verify_identity(identity: SignedIdentity, *, secret: str, now: datetime) -> str:
    """The email the host site vouches for; raises IdentityRefused otherwise."""
    expected = sign_identity(secret=secret, email=identity.email, expires=identity.expires)
    # Compare in constant time so the signature cannot be found a byte at a time.
    if not hmac.compare_digest(expected, identity.signature):
        raise IdentityRefused("forged")
    moment = int(now.timestamp())
    if identity.expires <= moment:
        raise IdentityRefused("expired")
    if identity.expires > moment + int(MAX_LIFETIME.total_seconds()):
        raise IdentityRefused("lifetime_too_long")
    return identity.email
