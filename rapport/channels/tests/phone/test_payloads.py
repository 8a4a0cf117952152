"""The call parsers read the documented JSON and Twilio's forms, and raise nothing but PayloadError."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.channels.models import CallStatus
from rapport.channels.phone.payloads import CallEvent, PayloadError, parse_call_json, parse_twilio_form
from rapport.channels.tests.phone.factories import call_payload, twilio_form

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=15), children, max_size=6)
    ),
    max_leaves=30,
)
# Objects shaped like the payload, with each field any JSON value or missing: the cases that reach
# the field checks rather than failing at the first byte.
field_values = st.one_of(
    json_values, st.sampled_from(["inbound", "answered", "2026-11-20T10:00:00Z", "https://a"])
)
near_payloads = st.dictionaries(st.sampled_from(sorted(call_payload())), field_values, max_size=12)


@given(st.one_of(json_values, near_payloads))
@settings(max_examples=300, deadline=None)
def test_any_json_reads_as_an_event_or_raises_payload_error(value: Any) -> None:
    try:
        event = parse_call_json(json.dumps(value).encode())
    except PayloadError:
        return
    assert isinstance(event, CallEvent)


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_any_bytes_read_as_an_event_or_raise_payload_error(raw: bytes) -> None:
    for parser in (parse_call_json, parse_twilio_form):
        with contextlib.suppress(PayloadError):
            parser(raw)


@given(st.dictionaries(st.sampled_from(sorted(twilio_form())), st.text(max_size=40), max_size=12))
@settings(max_examples=300, deadline=None)
def test_any_twilio_form_reads_as_an_event_or_raises_payload_error(fields: dict[str, str]) -> None:
    try:
        event = parse_twilio_form(urlencode(fields).encode())
    except PayloadError:
        return
    assert isinstance(event, CallEvent)


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"a":' * 50_000, b"\xff\xfe", b"", b"null"])
def test_hostile_bodies_raise_payload_error(raw: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_call_json(raw)


def test_documented_payload_reads_into_a_call_event() -> None:
    event = parse_call_json(
        json.dumps(
            call_payload(agent_email=" ana@shop.test ", started_at="2026-11-20T11:00:00+01:00")
        ).encode()
    )

    assert event.call_id == "call-1"
    assert (event.direction, event.status, event.customer_number) == (
        "inbound",
        CallStatus.ANSWERED,
        "+442079460018",
    )
    assert event.started_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert event.agent_email == "ana@shop.test"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"started_at": "2026-11-20T10:00:00"}, "started_at: Input should have timezone info"),
        ({"duration_seconds": "12"}, "duration_seconds: Input should be a valid integer"),
        ({"duration_seconds": -1}, "duration_seconds: Input should be greater than or equal to 0"),
        (
            {"status": "ringing"},
            "status: Input should be 'answered', 'missed', 'voicemail', 'busy' or 'failed'",
        ),
        ({"recording_url": "javascript:alert(1)"}, "recording_url must be an https:// address"),
    ],
)
def test_values_outside_the_documentation_are_refused_with_the_field(
    change: dict[str, Any], reason: str
) -> None:
    with pytest.raises(PayloadError) as error:
        parse_call_json(json.dumps(call_payload(**change)).encode())

    assert str(error.value) == reason


def test_answered_without_an_end_is_a_call_still_running() -> None:
    event = parse_call_json(json.dumps(call_payload(ended_at=None)).encode())

    assert event.status == CallStatus.IN_PROGRESS
    assert not event.has_ended


@pytest.mark.parametrize(
    ("twilio_status", "status"),
    [
        ("queued", CallStatus.IN_PROGRESS),
        ("ringing", CallStatus.IN_PROGRESS),
        ("in-progress", CallStatus.IN_PROGRESS),
        ("completed", CallStatus.ANSWERED),
        ("no-answer", CallStatus.MISSED),
        ("canceled", CallStatus.MISSED),
        ("busy", CallStatus.BUSY),
        ("failed", CallStatus.FAILED),
    ],
)
def test_twilio_statuses_map_onto_ours(twilio_status: str, status: str) -> None:
    event = parse_twilio_form(urlencode(twilio_form(CallStatus=twilio_status)).encode())

    assert event.status == status
    assert (event.ended_at is None) == (status == CallStatus.IN_PROGRESS)
