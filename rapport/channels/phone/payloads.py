"""Reading call events: the documented JSON and Twilio's voice status callbacks, both into one CallEvent.

Nothing here touches the database. Every parser raises PayloadError, and nothing else, for input it
cannot read, so the processor can quarantine the delivery with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import parse_qs

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from rapport.channels.models import CallDirection, CallStatus

# A week: longer than any call; larger values are a provider's bug, not a call.
MAX_DURATION_SECONDS = 7 * 24 * 3600
# Twilio posts about 30 fields; a form with far more is not a status callback.
MAX_FORM_FIELDS = 200


class PayloadError(ValueError):
    """The body is not a call event we can read; the message says why, in words an admin can act on."""


@dataclass(frozen=True)
class CallEvent:
    """One report about one call, whichever provider sent it."""

    event_id: str
    call_id: str
    direction: str
    status: str
    from_number: str
    to_number: str
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int
    recording_url: str
    agent_email: str

    @property
    def customer_number(self) -> str:
        """The far end of the call: who called us, or whom we called."""
        return self.from_number if self.direction == CallDirection.INBOUND else self.to_number

    @property
    def has_ended(self) -> bool:
        return self.status != CallStatus.IN_PROGRESS


def _https(url: str | None) -> str:
    # The link is shown to agents; only https is accepted so no script or plain-text URL gets through.
    if not url:
        return ""
    if not url.lower().startswith("https://") or any(ch.isspace() for ch in url):
        raise PayloadError("recording_url must be an https:// address")
    return url


def _utc(moment: datetime | None, field: str) -> datetime | None:
    if moment is None:
        return None
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise PayloadError(f"{field} is out of range") from None


def describe(error: ValidationError) -> str:
    """The first few problems, each with its field; never the input itself (it may be large)."""
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


class _CallJson(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    event_id: str = Field(min_length=1, max_length=255)
    call_id: str = Field(min_length=1, max_length=128)
    direction: Literal["inbound", "outbound"]
    from_: str = Field(alias="from", max_length=64)
    to: str = Field(max_length=64)
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    duration_seconds: int = Field(ge=0, le=MAX_DURATION_SECONDS)
    status: Literal["answered", "missed", "voicemail", "busy", "failed"]
    recording_url: str | None = Field(default=None, max_length=2000)
    agent_email: str | None = Field(default=None, max_length=254)


def parse_call_json(raw: bytes) -> CallEvent:
    """The documented JSON payload (docs/channels-webhooks.md)."""
    try:
        payload = _CallJson.model_validate_json(raw)
    except ValidationError as error:
        raise PayloadError(describe(error)) from None
    # "answered" without an end is a call still running: its message waits for the report that ends it.
    running = payload.status == "answered" and payload.ended_at is None
    return CallEvent(
        event_id=payload.event_id,
        call_id=payload.call_id,
        direction=payload.direction,
        status=CallStatus.IN_PROGRESS if running else payload.status,
        from_number=payload.from_.strip(),
        to_number=payload.to.strip(),
        started_at=_utc(payload.started_at, "started_at"),
        ended_at=_utc(payload.ended_at, "ended_at"),
        duration_seconds=payload.duration_seconds,
        recording_url=_https(payload.recording_url),
        agent_email=(payload.agent_email or "").strip(),
    )


# Twilio's CallStatus values (https://www.twilio.com/docs/voice/api/call-resource#call-status-values).
TWILIO_RUNNING = frozenset({"queued", "initiated", "ringing", "in-progress"})
TWILIO_ENDED = {
    "completed": CallStatus.ANSWERED,
    "no-answer": CallStatus.MISSED,
    # The caller hung up before anyone answered: for an inbound call, that is a missed call.
    "canceled": CallStatus.MISSED,
    "busy": CallStatus.BUSY,
    "failed": CallStatus.FAILED,
}
TWILIO_DIRECTIONS = {
    "inbound": CallDirection.INBOUND,
    "outbound-api": CallDirection.OUTBOUND,
    "outbound-dial": CallDirection.OUTBOUND,
}


def _form(raw: bytes) -> dict[str, str]:
    try:
        text = raw.decode("utf-8")
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError:
        raise PayloadError("the form is not UTF-8") from None
    except ValueError:
        raise PayloadError(f"the form has more than {MAX_FORM_FIELDS} fields") from None
    return {name: values[-1] for name, values in fields.items()}


def _required(form: dict[str, str], name: str, max_length: int) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise PayloadError(f"{name}: field required")
    if len(value) > max_length:
        raise PayloadError(f"{name}: longer than {max_length} characters")
    return value


def twilio_event_id(form: dict[str, str]) -> str:
    """A status callback has no id of its own; the call, its status and Twilio's sequence number
    name one report, so a retried callback is the same delivery."""
    parts = [form.get("CallSid", ""), form.get("CallStatus", ""), form.get("SequenceNumber", "")]
    return ":".join(part.strip()[:128] for part in parts if part.strip())


def parse_twilio_form(raw: bytes) -> CallEvent:
    """A Twilio voice status callback (application/x-www-form-urlencoded)."""
    form = _form(raw)
    call_id = _required(form, "CallSid", 128)
    call_status = _required(form, "CallStatus", 20)
    direction = TWILIO_DIRECTIONS.get(_required(form, "Direction", 20))
    if direction is None:
        raise PayloadError(f"Direction: not one of {', '.join(TWILIO_DIRECTIONS)}")
    if call_status in TWILIO_RUNNING:
        status: str = CallStatus.IN_PROGRESS
    elif call_status in TWILIO_ENDED:
        status = TWILIO_ENDED[call_status]
    else:
        raise PayloadError(f"CallStatus: unknown value {call_status[:20]!r}")
    duration_text = form.get("CallDuration", "").strip() or "0"
    if not duration_text.isascii() or not duration_text.isdigit() or len(duration_text) > 7:
        raise PayloadError("CallDuration: not a whole number of seconds")
    duration = int(duration_text)
    if duration > MAX_DURATION_SECONDS:
        raise PayloadError("CallDuration: longer than a week")
    reported_at = _twilio_time(form.get("Timestamp", ""))
    ended_at = reported_at if status != CallStatus.IN_PROGRESS else None
    started_at = reported_at - timedelta(seconds=duration) if reported_at is not None else None
    return CallEvent(
        event_id=twilio_event_id(form),
        call_id=call_id,
        direction=direction,
        status=status,
        from_number=form.get("From", "").strip()[:64],
        to_number=form.get("To", "").strip()[:64],
        started_at=started_at,
        ended_at=ended_at,
        duration_seconds=duration,
        recording_url=_https(form.get("RecordingUrl", "").strip()[:2000]),
        agent_email="",
    )


def _twilio_time(value: str) -> datetime | None:
    # Twilio writes RFC 2822 dates ("Tue, 10 Jan 2023 12:00:00 +0000").
    if not value.strip():
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise PayloadError("Timestamp: not an RFC 2822 date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Far-off years would overflow once the duration is subtracted; no call is that old or new.
    if not 1970 <= moment.year <= 9000:
        raise PayloadError("Timestamp: out of range")
    return moment.astimezone(UTC)
