"""The social parser reads the documented JSON and raises nothing but PayloadError on anything else."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.channels.social.payloads import PayloadError, SocialEvent, parse_social_json
from rapport.channels.tests.social.factories import social_payload

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=15), children, max_size=6)
    ),
    max_leaves=30,
)
field_values = st.one_of(
    json_values,
    st.sampled_from(["mention", "direct_message", "twitter", "@ada", "2026-11-20T10:00:00Z", "https://a"]),
)
near_payloads = st.dictionaries(st.sampled_from(sorted(social_payload())), field_values, max_size=12)


@given(st.one_of(json_values, near_payloads))
@settings(max_examples=300, deadline=None)
def test_any_json_reads_as_an_event_or_raises_payload_error(value: Any) -> None:
    try:
        event = parse_social_json(json.dumps(value).encode())
    except PayloadError:
        return
    assert isinstance(event, SocialEvent)


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_any_bytes_read_as_an_event_or_raise_payload_error(raw: bytes) -> None:
    with contextlib.suppress(PayloadError):
        parse_social_json(raw)


@given(st.text(max_size=120))
@settings(max_examples=200, deadline=None)
def test_any_handle_is_read_or_refused(handle: str) -> None:
    try:
        event = parse_social_json(json.dumps(social_payload(handle=handle)).encode())
    except PayloadError:
        return
    assert event.handle == handle.strip().removeprefix("@").lower()
    assert event.handle
    assert not any(ch.isspace() for ch in event.handle)


def test_documented_payload_reads_into_an_event() -> None:
    event = parse_social_json(
        json.dumps(social_payload(platform="Twitter", posted_at="2026-11-20T11:00:00+01:00")).encode()
    )

    assert (event.kind, event.platform, event.handle, event.reach) == ("mention", "twitter", "ada", 1200)
    assert event.posted_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"kind": "like"}, "kind: Input should be 'mention' or 'direct_message'"),
        ({"url": "javascript:alert(1)"}, "url: must be an https:// address"),
        ({"handle": "two words"}, "handle: not a handle (one word, at most 100 characters)"),
        ({"platform": "my space"}, "platform: letters, digits, _ . - only, at most 20"),
        ({"reach": -5}, "reach: Input should be greater than or equal to 0"),
        ({"external_id": "   "}, "external_id: blank"),
    ],
)
def test_values_outside_the_documentation_are_refused_with_the_field(
    change: dict[str, Any], reason: str
) -> None:
    with pytest.raises(PayloadError) as error:
        parse_social_json(json.dumps(social_payload(**change)).encode())

    assert str(error.value) == reason
