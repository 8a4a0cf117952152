"""Background tasks of outbound webhooks (run by db_worker): one attempt, and the sweep."""

from __future__ import annotations

from django_tasks import task

from rapport.webhooks.services import delivery


@task()
def deliver_webhook_task(delivery_id: int) -> str:
    return delivery.attempt_delivery(delivery_id)


@task()
def run_webhooks_clock() -> dict[str, int]:
    """Idempotent sweep: retries whose time has come, and deliveries whose task was lost."""
    return {"attempted": delivery.deliver_due()}
