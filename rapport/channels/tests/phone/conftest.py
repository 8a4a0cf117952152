"""The phone channel with test secrets."""

from __future__ import annotations

import pytest

from rapport.channels.tests.phone.factories import SECRET, TWILIO_TOKEN


@pytest.fixture(autouse=True)
def _phone_channel(settings: object) -> None:
    settings.RAPPORT_PHONE_WEBHOOK_SECRET = SECRET  # type: ignore[attr-defined]
    settings.RAPPORT_TWILIO_AUTH_TOKEN = TWILIO_TOKEN  # type: ignore[attr-defined]
    settings.RAPPORT_DEFAULT_PHONE_REGION = "GB"  # type: ignore[attr-defined]
