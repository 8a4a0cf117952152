"""Background tasks of the channels (run by db_worker): processing deliveries, sending replies, the sweep."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from rapport.channels.email import outgoing
from rapport.channels.services import deliveries

# A customer's message reaches the inbox before background analysis of earlier ones (scoring, themes):
# in a burst of mail the workers take the mail in first and the rest catches up after.
INBOUND_PRIORITY = 10


@task(priority=INBOUND_PRIORITY)
def process_delivery_task(delivery_id: int) -> str:
    return deliveries.process_delivery(delivery_id)


@task(priority=INBOUND_PRIORITY)
def process_received_task() -> int:
    """Drain every waiting delivery in batches; the SMTP listener queues one for a burst of mail."""
    return deliveries.process_all_received()


@task()
def send_outbound_email_task(outbound_id: int) -> str:
    return outgoing.send_outbound(outbound_id)


@task()
def run_channels_clock() -> dict[str, int]:
    """Idempotent sweep: deliveries and replies whose task was lost are handled now."""
    now = timezone.now()
    return {
        "stale_processed": deliveries.process_stale_deliveries(now=now),
        "stale_sent": outgoing.send_stale_outbound(now=now),
    }
