"""System checks for insights settings: a bad value stops start-up with the reason, not a nightly task."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error

from rapport.insights.numerics.health import check_weights


def check_health_weights(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from django.conf import settings

    weights = settings.RAPPORT_HEALTH_WEIGHTS
    if not weights:
        return []
    try:
        check_weights(weights)
    except ValueError as error:
        return [
            Error(
                f"RAPPORT_HEALTH_WEIGHTS: {error}.",
                hint="Weigh buying, open_problems, sentiment, defection, csat and sla; together 100.",
                id="rapport.E101",
            )
        ]
    return []
