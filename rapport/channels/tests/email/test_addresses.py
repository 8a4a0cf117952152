"""Plus-addressing: a conversation's token survives the trip through a mail client, in any case."""

from __future__ import annotations

import base64
import secrets

from hypothesis import given
from hypothesis import strategies as st

from rapport.channels.email.addresses import (
    mailbox_key,
    reply_address,
    subject_tag,
    token_in_address,
    token_in_subject,
)


@given(st.binary(min_size=12, max_size=12), st.booleans())
def test_token_round_trips_through_the_reply_address_whatever_the_case(raw: bytes, upper: bool) -> None:
    token = base64.urlsafe_b64encode(raw).decode()
    address = reply_address("support@shop.test", token)
    if upper:
        address = address.upper()

    assert token_in_address(address) == token
    assert mailbox_key(address) == "support@shop.test"


def test_plain_and_foreign_plus_addresses_carry_no_token() -> None:
    assert token_in_address("support@shop.test") == ""
    assert token_in_address("support+newsletter@shop.test") == ""
    assert mailbox_key("<Support+newsletter@Shop.Test>") == "support@shop.test"


@given(st.text(max_size=40))
def test_subject_tag_is_found_in_any_subject(prefix: str) -> None:
    token = secrets.token_urlsafe(12)
    assert token_in_subject(f"{prefix} {subject_tag(token)} more") == token
