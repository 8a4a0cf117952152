"""The social channel with a test secret."""

from __future__ import annotations

import pytest

from rapport.channels.tests.social.factories import SECRET


@pytest.fixture(autouse=True)
def _social_channel(settings: object) -> None:
    settings.RAPPORT_SOCIAL_WEBHOOK_SECRET = SECRET  # type: ignore[attr-defined]
