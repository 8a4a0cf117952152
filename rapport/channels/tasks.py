"""Background tasks of the channels (run by db_worker): processing stored deliveries, the sweep."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from rapport.channels.services import deliveries


@task()
def process_delivery_task(delivery_id: int) -> str:
    return deliveries.process_delivery(delivery_id)


@task()
def run_channels_clock() -> dict[str, int]:
    """Idempotent sweep: deliveries whose processing task was lost are processed now."""
    return {"stale_processed": deliveries.process_stale_deliveries(now=timezone.now())}
