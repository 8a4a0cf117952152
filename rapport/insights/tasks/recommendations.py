"""Background work of recommendations: the daily refresh, and one after each finished order import."""

from __future__ import annotations

from dataclasses import asdict

from django_tasks import task

from rapport.insights.services import recommendations


@task()
def refresh_recommendations_task() -> dict[str, int]:
    """Fit the similar-products table on every paid order line and wishlist, store each customer's ten."""
    return asdict(recommendations.refresh_recommendations())
