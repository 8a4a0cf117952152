"""Signatures per Standard Webhooks, checked by an implementation written here from the specification."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.core.standard_webhooks import new_secret, secret_key, signature_header, standard_signature
from rapport.webhooks.models import OutboxEvent
from rapport.webhooks.services.delivery import event_body, signed_headers
from rapport.webhooks.tests.factories import EndpointFactory

# The specification's own test vector (standard-webhooks/standard-webhooks, libraries/python tests).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def verify_by_the_spec(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does, from the specification alone: HMAC-SHA256 of "id.timestamp.body" with
    the base64-decoded secret, compared with each space-separated "v1,<base64>" signature."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [
        item.split(",", 1)[1] for item in headers["webhook-signature"].split() if item.startswith("v1,")
    ]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


def test_the_specifications_test_vector_is_reproduced() -> None:
    assert (
        standard_signature(secret=SPEC_SECRET, msg_id=SPEC_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY)
        == SPEC_SIGNATURE
    )


def test_a_generated_secret_is_whsec_and_32_random_bytes() -> None:
    first, second = new_secret(), new_secret()

    assert first.startswith("whsec_")
    assert len(secret_key(first)) == 32
    assert first != second


@given(
    msg_id=st.from_regex(r"msg_[0-9A-Za-z]{1,30}", fullmatch=True),
    timestamp=st.integers(min_value=0, max_value=2**33),
    body=st.binary(max_size=2000),
)
def test_every_signature_verifies_with_an_independent_implementation(
    msg_id: str, timestamp: int, body: bytes
) -> None:
    secret = SPEC_SECRET
    header = signature_header(secrets=[secret], msg_id=msg_id, timestamp=timestamp, body=body)

    headers = {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": header}

    assert verify_by_the_spec(secret, headers, body)
    assert not verify_by_the_spec(secret, headers, body + b" ")
    assert not verify_by_the_spec(new_secret(), headers, body)


@pytest.mark.django_db
def test_a_request_carries_the_event_id_this_attempts_time_and_a_signature_of_the_body() -> None:
    endpoint = EndpointFactory()
    event = OutboxEvent.objects.create(
        event_id="msg_01TEST",
        type="customer.created",
        payload={"customer": {"id": 7, "name": "Ada Lovelace"}},
        created_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    )
    at = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
    body = event_body(event)

    headers = signed_headers(endpoint=endpoint, event=event, body=body, at=at)

    assert json.loads(body) == {
        "type": "customer.created",
        "timestamp": "2026-03-01T12:00:00+00:00",
        "data": {"customer": {"id": 7, "name": "Ada Lovelace"}},
    }
    assert headers["webhook-id"] == "msg_01TEST"
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    assert headers["Content-Type"] == "application/json"
    assert verify_by_the_spec(endpoint.secret, headers, body)


@pytest.mark.django_db
def test_after_a_rotation_both_secrets_sign_until_the_grace_ends() -> None:
    old, new = new_secret(), new_secret()
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    endpoint = EndpointFactory(
        secret=new, previous_secret=old, previous_secret_expires_at=now + timedelta(hours=24)
    )
    event = OutboxEvent.objects.create(event_id="msg_ROTATE", type="webhook.test", payload={})
    body = event_body(event)

    during = signed_headers(endpoint=endpoint, event=event, body=body, at=now)
    after = signed_headers(endpoint=endpoint, event=event, body=body, at=now + timedelta(hours=25))

    assert len(during["webhook-signature"].split()) == 2
    assert verify_by_the_spec(old, during, body)
    assert verify_by_the_spec(new, during, body)
    assert len(after["webhook-signature"].split()) == 1
    assert verify_by_the_spec(new, after, body)
    assert not verify_by_the_spec(old, after, body)
