"""Every public fixture message goes through the whole inbound path without a processing error.

Each is stored and processed as the listener and worker would: it becomes a desk message, is ignored
as automatic mail, or is quarantined with its bytes kept; never "processing failed", which would mean
a bug. The talon replies arrive in the desk with the quoted history and signature stripped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.channels.email.headers import header_message_id
from rapport.channels.models import ChannelKind, DeliveryStatus, InboundDelivery
from rapport.channels.services.deliveries import process_delivery, store_delivery
from rapport.channels.tests.factories import MailboxFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
MESSAGES = sorted(
    [
        *(FIXTURES / "cpython").glob("msg_*.txt"),
        *(p for p in (FIXTURES / "mailparser").iterdir() if p.name.startswith("mail_")),
        *(FIXTURES / "talon").rglob("*.eml"),
    ]
)
TALON_REPLIES = FIXTURES / "talon" / "standard_replies"


def ingest(raw: bytes) -> InboundDelivery:
    MailboxFactory()
    delivery, _ = store_delivery(
        kind=ChannelKind.EMAIL, source="support@shop.test", raw=raw, external_id=header_message_id(raw)
    )
    process_delivery(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_the_fixture_sets_are_present() -> None:
    assert len(MESSAGES) >= 70


@pytest.mark.parametrize("path", MESSAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_is_ingested_ignored_or_quarantined_never_failed(path: Path) -> None:
    raw = path.read_bytes()

    delivery = ingest(raw)

    assert delivery.status in {DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED, DeliveryStatus.QUARANTINED}
    assert not delivery.reason.startswith("processing failed"), delivery.reason
    assert bytes(delivery.raw) == raw
    if delivery.status == DeliveryStatus.PROCESSED:
        assert delivery.message is not None
        assert delivery.message.body_text or delivery.message.attachments.exists()


@pytest.mark.parametrize("path", sorted(TALON_REPLIES.glob("*.eml")), ids=lambda p: p.stem)
def test_talon_reply_reaches_the_desk_without_its_quoted_history_or_signature(path: Path) -> None:
    # talon's own expectation (quotes gone, iPhone's and Sparrow's signatures still on) is checked
    # in test_quotes.py; the desk also drops the signature, leaving the words the customer wrote.
    delivery = ingest(path.read_bytes())

    assert delivery.status == DeliveryStatus.PROCESSED
    assert delivery.message is not None
    assert delivery.message.body_text == "Hello"
