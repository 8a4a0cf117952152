"""Normalisation of contact details so that one address is always stored and looked up the same way."""

from __future__ import annotations

import re

import phonenumbers

from rapport.core.errors import ValidationFailed

# Deliberately loose: one @, something before it, a dotted domain after it. Deliverability is
# proven by mail arriving, not by a regular expression.
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HANDLE_RE = re.compile(r"^[a-z0-9_.\-]{1,64}$")
SOCIAL_PLATFORMS = ("twitter", "instagram", "facebook", "tiktok", "linkedin", "mastodon", "bluesky")


def normalise_email(raw: str) -> str:
    """Lower-case the whole address: mailbox case-sensitivity exists in RFC 5321 but not in practice."""
    value = raw.strip().lower()
    if not _EMAIL_RE.match(value) or len(value) > 254:
        raise ValidationFailed(f"{raw!r} is not an email address", code="invalid_email")
    local, _, domain = value.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValidationFailed(f"{raw!r} has an invalid domain", code="invalid_email") from exc
    return f"{local}@{domain}"


def normalise_phone(raw: str, *, default_region: str | None = None) -> str:
    """Return the E.164 form; numbers without a country code need the customer's region."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(f"{raw!r} is not a phone number", code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(f"{raw!r} is not a valid phone number", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_social(platform: str, handle: str) -> str:
    """Return "platform:handle", lower-cased and without the leading @."""
    platform_value = platform.strip().lower()
    if platform_value not in SOCIAL_PLATFORMS:
        raise ValidationFailed(
            f"unknown social platform {platform!r}; use one of {', '.join(SOCIAL_PLATFORMS)}",
            code="invalid_social_platform",
        )
    handle_value = handle.strip().lstrip("@").lower()
    if not _HANDLE_RE.match(handle_value):
        raise ValidationFailed(f"{handle!r} is not a valid handle", code="invalid_social_handle")
    return f"{platform_value}:{handle_value}"


def format_phone_for_display(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def looks_like_phone(text: str) -> bool:
    digits = re.sub(r"[\s\-().]", "", text)
    return bool(re.fullmatch(r"\+?\d{6,16}", digits))


def csv_safe(value: object) -> str:
    """Neutralise spreadsheet formulas in exported cells (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
