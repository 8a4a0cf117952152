"""Signature checks against the published test vectors of Standard Webhooks and Twilio."""

from __future__ import annotations

from typing import Any

import pytest

from rapport.channels.signatures import (
    SecretError,
    SignatureError,
    check_webhook_secrets,
    secret_key,
    standard_signature,
    twilio_signature,
    verify_standard_webhook,
    verify_twilio,
)

# The Standard Webhooks specification's example (also Svix's): secret, id, timestamp, body, signature.
SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SW_TIMESTAMP = 1614265330
SW_BODY = b'{"test": 2432232314}'
SW_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

# Twilio's request-validation example (its helper libraries' tests use the same).
TWILIO_TOKEN = "12345"
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = {
    "CallSid": ["CA1234567890ABCDE"],
    "Caller": ["+14158675309"],
    "Digits": ["1234"],
    "From": ["+14158675309"],
    "To": ["+18005551212"],
}


def test_standard_signature_matches_the_specifications_example() -> None:
    assert (
        standard_signature(secret=SW_SECRET, msg_id=SW_ID, timestamp=SW_TIMESTAMP, body=SW_BODY)
        == SW_SIGNATURE
    )


def test_specifications_example_verifies_at_its_own_time() -> None:
    verify_standard_webhook(
        secrets=[SW_SECRET],
        msg_id=SW_ID,
        timestamp=str(SW_TIMESTAMP),
        signatures=SW_SIGNATURE,
        body=SW_BODY,
        now=SW_TIMESTAMP + 299,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"now": SW_TIMESTAMP + 301}, "more than 5 minutes"),
        ({"now": SW_TIMESTAMP - 301}, "more than 5 minutes"),
        ({"body": SW_BODY + b" "}, "no signature matches"),
        ({"msg_id": "msg_other"}, "no signature matches"),
        ({"signatures": "v1a,abc"}, "no v1 signature"),
        ({"signatures": ""}, "are required"),
    ],
)
def test_anything_changed_fails_verification(change: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "secrets": [SW_SECRET],
        "msg_id": SW_ID,
        "timestamp": str(SW_TIMESTAMP),
        "signatures": SW_SIGNATURE,
        "body": SW_BODY,
        "now": SW_TIMESTAMP,
    } | change

    with pytest.raises(SignatureError, match=message):
        verify_standard_webhook(**arguments)  # type: ignore[arg-type]


def test_secret_without_prefix_is_the_same_key() -> None:
    assert secret_key(SW_SECRET) == secret_key(SW_SECRET.removeprefix("whsec_"))


@pytest.mark.parametrize("secret", ["whsec_", "whsec_%%%", "not-base64!"])
def test_unusable_secret_is_an_error(secret: str) -> None:
    with pytest.raises(SecretError):
        secret_key(secret)


def test_twilio_signature_matches_twilios_example() -> None:
    assert (
        twilio_signature(auth_token=TWILIO_TOKEN, url=TWILIO_URL, params=TWILIO_PARAMS)
        == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )


def test_twilio_repeated_parameters_follow_twilios_example() -> None:
    params = {"Sid": ["CA123"], "SidAccount": ["AC123"], "Digits": ["5678", "1234", "1234"]}

    assert (
        twilio_signature(auth_token=TWILIO_TOKEN, url=TWILIO_URL, params=params)
        == "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    )


@pytest.mark.parametrize(
    "url", ["https://mycompany.com:443/myapp.php?foo=1&bar=2", "https://mycompany.com/myapp.php?foo=1&bar=2"]
)
def test_twilio_signature_holds_with_or_without_the_default_port(url: str) -> None:
    verify_twilio(
        auth_token=TWILIO_TOKEN, url=url, params=TWILIO_PARAMS, signature="RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )


def test_twilio_signature_fails_for_another_url() -> None:
    with pytest.raises(SignatureError):
        verify_twilio(
            auth_token=TWILIO_TOKEN,
            url=TWILIO_URL + "&extra=1",
            params=TWILIO_PARAMS,
            signature="RSOYDt4T1cUTdK1PDd93/VVr8B8=",
        )


def test_malformed_secret_in_settings_is_reported_at_start_up(settings: Any) -> None:
    settings.RAPPORT_PHONE_WEBHOOK_SECRET = f"{SW_SECRET} whsec_not-base64!"
    settings.RAPPORT_SOCIAL_WEBHOOK_SECRET = SW_SECRET

    errors = check_webhook_secrets()

    assert [(error.id, error.msg) for error in errors] == [
        ("rapport.E101", "RAPPORT_PHONE_WEBHOOK_SECRET: the webhook secret is not whsec_ followed by base64.")
    ]
