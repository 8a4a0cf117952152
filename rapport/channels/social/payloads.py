"""Reading social events (the documented JSON) into a SocialEvent; on bad input, PayloadError only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

# A platform is a short lower-case name ("twitter", "bluesky"); it becomes part of a unique key.
_PLATFORM_RE = re.compile(r"^[a-z0-9_.\-]{1,20}$")
MAX_TEXT = 100_000
# Largest count a PositiveBigIntegerField holds on every database.
MAX_REACH = 2**63 - 1


class PayloadError(ValueError):
    """The body is not a social event we can read; the message says why."""


class EventKind:
    MENTION = "mention"
    DIRECT_MESSAGE = "direct_message"


@dataclass(frozen=True)
class SocialEvent:
    event_id: str
    kind: str
    platform: str
    # Lower-case, without the leading @.
    handle: str
    author_name: str
    text: str
    url: str
    posted_at: datetime
    external_id: str
    reach: int


class _SocialJson(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    event_id: str = Field(min_length=1, max_length=255)
    kind: Literal["mention", "direct_message"]
    platform: str = Field(min_length=1, max_length=20)
    handle: str = Field(min_length=1, max_length=101)
    author_name: str | None = Field(default=None, max_length=200)
    text: str = Field(max_length=MAX_TEXT)
    url: str | None = Field(default=None, max_length=2000)
    posted_at: AwareDatetime
    external_id: str = Field(min_length=1, max_length=255)
    reach: int = Field(default=0, ge=0, le=MAX_REACH)


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _handle(raw: str) -> str:
    handle = raw.strip().removeprefix("@").lower()
    if not handle or len(handle) > 100 or any(ch.isspace() or not ch.isprintable() for ch in handle):
        raise PayloadError("handle: not a handle (one word, at most 100 characters)")
    return handle


def _https(url: str | None) -> str:
    # Shown as a link on staff pages: https only, so no javascript: or data: address gets through.
    if not url:
        return ""
    if not url.lower().startswith("https://") or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise PayloadError("url: must be an https:// address")
    return url


def parse_social_json(raw: bytes) -> SocialEvent:
    try:
        payload = _SocialJson.model_validate_json(raw)
    except ValidationError as error:
        raise PayloadError(_describe(error)) from None
    platform = payload.platform.strip().lower()
    if not _PLATFORM_RE.match(platform):
        raise PayloadError("platform: letters, digits, _ . - only, at most 20")
    try:
        posted_at = payload.posted_at.astimezone(UTC)
    except (OverflowError, ValueError):
        raise PayloadError("posted_at: out of range") from None
    external_id = payload.external_id.strip()
    if not external_id:
        raise PayloadError("external_id: blank")
    return SocialEvent(
        event_id=payload.event_id,
        kind=payload.kind,
        platform=platform,
        handle=_handle(payload.handle),
        author_name=(payload.author_name or "").strip(),
        text=payload.text.strip(),
        url=_https(payload.url),
        posted_at=posted_at,
        external_id=external_id,
        reach=payload.reach,
    )
