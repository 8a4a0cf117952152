"""Standard Webhooks signing (https://www.standardwebhooks.com): secrets and the v1 HMAC-SHA256 signature.

Shared by the inbound side (rapport.channels.signatures verifies what providers send us) and the
outbound side (rapport.webhooks signs what we send to stores), so both agree on one implementation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's public marker, not a secret
# The specification asks for secrets of 24 to 64 bytes; 32 is what its reference libraries generate.
SECRET_BYTES = 32


class SecretError(ValueError):
    """A configured secret cannot be used (not base64 after whsec_, or empty)."""


def new_secret() -> str:
    """A fresh signing secret: "whsec_" and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: the bytes behind "whsec_<base64>"."""
    encoded = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise SecretError("the webhook secret is not whsec_ followed by base64") from error
    if not key:
        raise SecretError("the webhook secret is empty")
    return key


def standard_signature(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature value a sender computes: "v1," and the base64 HMAC-SHA256."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(*, secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header: one v1 signature per secret, space-separated (for rotation)."""
    return " ".join(
        standard_signature(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body) for secret in secrets
    )
