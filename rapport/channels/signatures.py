"""Authenticating inbound webhooks: Standard Webhooks and Twilio signatures, and the checks around them.

Both phone and social endpoints call `authenticate_standard_webhook` (the Twilio adapter calls
`authenticate_twilio`) before anything is stored: a request that fails is refused with the status a
sender can act on, and nothing of it is kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.http import HttpRequest, HttpResponse

# Signing lives in core, shared with outbound webhooks; these names stay importable from here.
from rapport.core.standard_webhooks import SecretError, secret_key, standard_signature

# Standard Webhooks: a timestamp further than this from our clock is refused, so a captured request
# cannot be replayed later (the signature covers the timestamp).
TOLERANCE_SECONDS = 5 * 60
# Our documented payloads are a few hundred bytes; this leaves room and refuses abuse before hashing.
MAX_BODY_BYTES = 256 * 1024


class WebhookRefused(Exception):
    """The request is not accepted; nothing of it was stored."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> HttpResponse:
        return HttpResponse(self.reason, status=self.status, content_type="text/plain; charset=utf-8")


class SignatureError(ValueError):
    """The signature, its headers or its timestamp do not authenticate the body."""


def verify_standard_webhook(
    *,
    secrets: Sequence[str],
    msg_id: str,
    timestamp: str,
    signatures: str,
    body: bytes,
    now: float | None = None,
) -> None:
    """Raise SignatureError unless one of the v1 signatures matches one of the secrets.

    Several signatures (space-separated) and several secrets are accepted, so either side can
    rotate its secret without a window in which good requests are refused.
    """
    if not msg_id or not timestamp or not signatures:
        raise SignatureError("webhook-id, webhook-timestamp and webhook-signature are required")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a number of seconds") from None
    clock = time.time() if now is None else now
    if abs(clock - sent_at) > TOLERANCE_SECONDS:
        raise SignatureError("webhook-timestamp is more than 5 minutes from our clock")
    offered = [
        value.encode("ascii", errors="replace")
        for version, _, value in (item.partition(",") for item in signatures.split())
        if version == "v1"
    ]
    if not offered:
        raise SignatureError("webhook-signature carries no v1 signature")
    expected = [standard_signature(secret=s, msg_id=msg_id, timestamp=sent_at, body=body) for s in secrets]
    # Every pair is compared, in constant time, so the time taken says nothing about a near match.
    matched = False
    for candidate in expected:
        digest = candidate.removeprefix("v1,").encode("ascii")
        for value in offered:
            matched |= hmac.compare_digest(digest, value)
    if not matched:
        raise SignatureError("no signature matches")


def twilio_signature(*, auth_token: str, url: str, params: Mapping[str, Sequence[str]]) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL, then each name and value, sorted."""
    payload = url
    for name in sorted(params):
        for value in sorted(set(params[name])):
            payload += name + value
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _url_variants(url: str) -> Iterable[str]:
    # Twilio signs the URL it was configured with; a proxy may add or drop the default port. Twilio's
    # own validators accept both spellings, and so do we.
    yield url
    parts = urlsplit(url)
    default_port = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if parts.port is not None and parts.port == default_port:
        yield urlunsplit(parts._replace(netloc=host))
    elif parts.port is None and default_port is not None:
        yield urlunsplit(parts._replace(netloc=f"{host}:{default_port}"))


def verify_twilio(*, auth_token: str, url: str, params: Mapping[str, Sequence[str]], signature: str) -> None:
    if not signature:
        raise SignatureError("X-Twilio-Signature is required")
    matched = False
    for candidate in _url_variants(url):
        expected = twilio_signature(auth_token=auth_token, url=candidate, params=params)
        matched |= hmac.compare_digest(expected.encode(), signature.encode("ascii", errors="replace"))
    if not matched:
        raise SignatureError("X-Twilio-Signature does not match")


def _configured(setting: str) -> list[str]:
    # Read at request time, never at import: tests and a reloaded configuration see the current value.
    value = getattr(settings, setting, "") or ""
    return value.split() if isinstance(value, str) else [str(item) for item in value]


def _body_within_limit(request: HttpRequest) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise WebhookRefused(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        raise WebhookRefused(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    return body


def authenticate_standard_webhook(request: HttpRequest, *, secret_setting: str) -> bytes:
    """The body of a request signed the Standard Webhooks way with the secret in secret_setting."""
    secrets = _configured(secret_setting)
    if not secrets:
        raise WebhookRefused(503, "this webhook is not configured")
    body = _body_within_limit(request)
    try:
        verify_standard_webhook(
            secrets=secrets,
            msg_id=request.headers.get("webhook-id", ""),
            timestamp=request.headers.get("webhook-timestamp", ""),
            signatures=request.headers.get("webhook-signature", ""),
            body=body,
        )
    except SecretError:
        raise WebhookRefused(503, "this webhook is not configured") from None
    except SignatureError as error:
        raise WebhookRefused(401, f"invalid signature: {error}") from None
    return body


def authenticate_twilio(request: HttpRequest, *, token_setting: str) -> bytes:
    """The body of a form-encoded Twilio callback signed with the auth token in token_setting."""
    tokens = _configured(token_setting)
    if not tokens:
        raise WebhookRefused(503, "this webhook is not configured")
    body = _body_within_limit(request)
    params = {name: request.POST.getlist(name) for name in request.POST}
    url = request.build_absolute_uri()
    signature = request.headers.get("X-Twilio-Signature", "")
    for token in tokens:
        try:
            verify_twilio(auth_token=token, url=url, params=params, signature=signature)
        except SignatureError:
            continue
        return body
    raise WebhookRefused(401, "invalid signature: X-Twilio-Signature does not match")


# The settings that hold Standard Webhooks secrets; a malformed one is reported at start-up.
STANDARD_SECRET_SETTINGS = ("RAPPORT_PHONE_WEBHOOK_SECRET", "RAPPORT_SOCIAL_WEBHOOK_SECRET")


def check_webhook_secrets(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """System check: every configured webhook secret is whsec_ and base64, or the endpoint would 503."""
    errors: list[CheckMessage] = []
    for setting in STANDARD_SECRET_SETTINGS:
        for secret in _configured(setting):
            try:
                secret_key(secret)
            except SecretError as error:
                errors.append(
                    Error(
                        f"{setting}: {error}.",
                        hint="Copy the secret from the provider as given: whsec_ followed by base64.",
                        id="rapport.E101",
                    )
                )
    return errors
