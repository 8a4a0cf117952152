"""Background work of value and health: the daily refresh, and one after each finished order import."""

from __future__ import annotations

from django_tasks import task

from rapport.insights.services import health, value


@task()
def refresh_customer_values_task() -> dict[str, object]:
    """Fit the value models on every paid order, store each customer's value and the relationships page's
    purchase history, then score everyone's health."""
    fit = value.refresh_customer_values()
    scored = health.refresh_health()
    if fit is None:
        return {"fitted": False, "reason": "no paid orders yet", "health_scored": scored}
    return {
        "fitted": True,
        "fit_id": fit.pk,
        "customers": fit.customers,
        "seconds": round(fit.seconds, 2),
        "health_scored": scored,
    }
