"""Widget tests run with a default phone region, as most shops set one."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _widget_channel(settings: object) -> None:
    settings.RAPPORT_DEFAULT_PHONE_REGION = "GB"  # type: ignore[attr-defined]
