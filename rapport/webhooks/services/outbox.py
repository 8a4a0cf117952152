"""The outbox: a webhook event and its deliveries are written in the transaction of the change itself.

So an event exists exactly when the change committed: a rollback takes the event with it, and a crash
after the commit loses nothing, because the rows are there for the sweep to send.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.core.memo import remember
from rapport.customers.models import TimelineEvent
from rapport.webhooks.catalogue import EventType, event_type_for_kind
from rapport.webhooks.models import Delivery, OutboxEvent, Subscription

logger = logging.getLogger(__name__)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_event_id() -> str:
    """ "msg_" and a ULID: 48 bits of milliseconds, then 80 random bits, in Crockford base32.

    Sortable by time, unguessable, and the same on every attempt of every delivery of the event.
    """
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "msg_" + "".join(reversed(chars))


def subscribed_endpoint_ids(event_type: str) -> list[int]:
    """Active endpoints subscribed to the type: one indexed query, the only cost when nobody is.

    Read once per unit of work (a batch of inbound mail records several events a message).
    """
    return remember(
        f"webhooks.subscribers.{event_type}",
        lambda: list(
            Subscription.objects.filter(event_type=event_type, endpoint__is_active=True)
            .order_by("endpoint_id")
            .values_list("endpoint_id", flat=True)
        ),
    )


def publish_event(
    *,
    event_type: str,
    payload: dict[str, Any],
    endpoint_ids: Sequence[int],
    subject_type: str = "",
    subject_id: str = "",
    timeline_event_id: int | None = None,
    occurred_at: datetime | None = None,
) -> OutboxEvent:
    """Write the event and one pending delivery per endpoint; queue the first attempts after commit."""
    now = timezone.now()
    # No savepoint: inside the change's transaction a failure here must undo the change as well.
    with transaction.atomic(savepoint=False):
        event = OutboxEvent.objects.create(
            event_id=new_event_id(),
            type=event_type,
            payload=payload,
            created_at=occurred_at or now,
            subject_type=subject_type[:64],
            subject_id=subject_id[:64],
            timeline_event_id=timeline_event_id,
        )
        deliveries = Delivery.objects.bulk_create(
            Delivery(
                event=event,
                endpoint_id=endpoint_id,
                next_attempt_at=now,
                window_started_at=now,
                created_at=now,
            )
            for endpoint_id in endpoint_ids
        )
        delivery_ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: enqueue_attempts(delivery_ids))
    return event


def record_outbox_event(timeline_event: TimelineEvent) -> None:
    """Timeline listener (registered in apps.ready): called in the transaction of every timeline row."""
    publish_timeline_event(timeline_event)


def publish_timeline_event(timeline_event: TimelineEvent) -> OutboxEvent | None:
    """A row whose kind is in the catalogue becomes an event for its subscribers, if it has any."""
    event_type = event_type_for_kind(timeline_event.kind)
    if event_type is None:
        return None
    endpoint_ids = subscribed_endpoint_ids(event_type.name)
    if not endpoint_ids:
        return None
    return publish_event(
        event_type=event_type.name,
        payload=_payload(event_type, timeline_event),
        endpoint_ids=endpoint_ids,
        subject_type=timeline_event.subject_type,
        subject_id=timeline_event.subject_id,
        timeline_event_id=timeline_event.pk,
        occurred_at=timeline_event.occurred_at,
    )


def _payload(event_type: EventType, timeline_event: TimelineEvent) -> dict[str, Any]:
    """The event type's payload; if its builder fails, a minimal one, so the event is still sent.

    A bug in one app's payload must neither lose the event nor undo the change being recorded: the
    builder runs in a savepoint (its failed query would otherwise break the outer transaction).
    """
    try:
        with transaction.atomic():
            return event_type.payload(timeline_event)
    except Exception as error:
        logger.exception("the %s payload failed for timeline row %s", event_type.name, timeline_event.pk)
        return {
            "customer_id": timeline_event.customer_id,
            "actor_id": timeline_event.actor_id,
            "summary": timeline_event.summary,
            "subject_type": timeline_event.subject_type,
            "subject_id": timeline_event.subject_id,
            "payload_error": f"{type(error).__name__}: the full payload could not be built",
        }


def enqueue_attempts(delivery_ids: Sequence[int], *, at: datetime | None = None) -> None:
    """Queue one attempt task per delivery (deferred to `at` where the backend can defer)."""
    from django_tasks import default_task_backend

    from rapport.webhooks.tasks import deliver_webhook_task

    if at is not None and not default_task_backend.supports_defer:
        # The clock's sweep sends it when its time comes.
        return
    task = deliver_webhook_task.using(run_after=at) if at is not None else deliver_webhook_task
    for delivery_id in delivery_ids:
        try:
            task.enqueue(delivery_id)
        except Exception:
            # The delivery row is committed; the sweep sends it if this enqueue was lost.
            logger.exception("could not queue webhook delivery %s; the sweep will send it", delivery_id)
