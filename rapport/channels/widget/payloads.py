"""The JSON bodies the widget posts, read strictly: what the endpoints check and the processor trusts.

The endpoint reads a body before storing it (a malformed one is refused with its reason and leaves
no row); the processor reads the stored bytes again with the same functions, so what was accepted is
what is processed, also when an admin processes it again later.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from rapport.core.errors import ValidationFailed
from rapport.core.normalise import normalise_email, normalise_phone

# The field a person never sees (hidden off-screen, skipped by the tab key); robots fill it in.
HONEYPOT = "website"
MAX_TEXT = 5000
MAX_NAME = 200
MAX_BODY_BYTES = 32 * 1024


class PayloadError(Exception):
    """The body cannot be accepted; status 400 (not JSON), 413 (too long) or 422 (a field is wrong)."""

    def __init__(self, detail: str, *, status: int = 422, code: str = "invalid", field: str = "") -> None:
        super().__init__(detail)
        self.detail, self.status, self.code, self.field = detail, status, code, field


@dataclass(frozen=True)
class ContactForm:
    name: str
    email: str
    message: str


@dataclass(frozen=True)
class ChatMessage:
    text: str
    name: str
    email: str


@dataclass(frozen=True)
class CallbackRequest:
    number: str
    window: str
    name: str
    email: str
    note: str


def read_json(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadError(f"a request may hold at most {MAX_BODY_BYTES} bytes", status=413, code="too_large")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise PayloadError("the body is not JSON", status=400, code="not_json") from None
    if not isinstance(data, dict):
        raise PayloadError("the body must be a JSON object", status=400, code="not_json")
    return data


def honeypot_filled(data: dict[str, Any]) -> bool:
    value = data.get(HONEYPOT)
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def client_id(data: dict[str, Any]) -> str:
    """The uuid the widget gives each message; a retry of the same message carries the same one."""
    value = data.get("id")
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else ""
    except ValueError:
        return ""


def require_client_id(data: dict[str, Any]) -> str:
    value = client_id(data)
    if not value:
        raise PayloadError("each message needs an id (a UUID)", status=400, code="missing_id", field="id")
    return value


def _text(data: dict[str, Any], field: str, *, limit: int, required: bool = False) -> str:
    value = data.get(field, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise PayloadError(f"{field} must be text", field=field)
    value = value.strip()
    if len(value) > limit:
        raise PayloadError(
            f"{field} may hold at most {limit} characters", status=413, code="too_long", field=field
        )
    if required and not value:
        raise PayloadError(f"{field} is required", code="required", field=field)
    return value


def _email(data: dict[str, Any], *, required: bool) -> str:
    value = _text(data, "email", limit=254, required=required)
    if not value:
        return ""
    try:
        return normalise_email(value)
    except ValidationFailed:
        raise PayloadError("that is not an email address", code="invalid_email", field="email") from None


def read_contact(data: dict[str, Any]) -> ContactForm:
    return ContactForm(
        name=_text(data, "name", limit=MAX_NAME),
        email=_email(data, required=True),
        message=_text(data, "message", limit=MAX_TEXT, required=True),
    )


def read_chat_message(data: dict[str, Any]) -> ChatMessage:
    return ChatMessage(
        text=_text(data, "text", limit=MAX_TEXT, required=True),
        name=_text(data, "name", limit=MAX_NAME),
        email=_email(data, required=False),
    )


def read_callback(data: dict[str, Any], *, default_region: str) -> CallbackRequest:
    raw_number = _text(data, "number", limit=40, required=True)
    try:
        number = normalise_phone(raw_number, default_region=default_region or None)
    except ValidationFailed:
        raise PayloadError(
            "that is not a phone number we can call; include the country code, e.g. +44",
            code="invalid_phone",
            field="number",
        ) from None
    return CallbackRequest(
        number=number,
        window=_text(data, "window", limit=40, required=True),
        name=_text(data, "name", limit=MAX_NAME),
        email=_email(data, required=False),
        note=_text(data, "note", limit=MAX_TEXT),
    )
