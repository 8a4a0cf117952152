"""Attempting deliveries: claim, sign, send, log the attempt, and decide what comes next.

An attempt claims its delivery with one conditional UPDATE (pending and due, or delivering with an
expired claim), so two workers never send the same attempt; the HTTP request runs outside any
transaction; its result is written in one transaction with the attempt's log row and, when it
settles the event, the delivery hooks of rapport.webhooks.outcomes.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from rapport.accounts.audit import record_audit
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import Conflict
from rapport.core.standard_webhooks import signature_header
from rapport.webhooks import backoff, network
from rapport.webhooks.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Endpoint,
    EventOutcome,
    OutboxEvent,
)
from rapport.webhooks.outcomes import notify_outcome
from rapport.webhooks.services.outbox import enqueue_attempts

logger = logging.getLogger(__name__)

# A worker that claimed a delivery and vanished (killed mid-request) gives it up after this long; the
# request itself is bounded by network.TIMEOUT_SECONDS per socket operation.
CLAIM_LEASE = timedelta(minutes=5)
# The sweep stops starting attempts after this long, so one sweep never overlaps the next by much.
SWEEP_BUDGET_SECONDS = 45.0
USER_AGENT = "Rapport-Webhooks/1"


def allowed_hosts() -> list[str]:
    # Read when used, never at import: tests and a changed configuration see the current list.
    return list(getattr(settings, "RAPPORT_WEBHOOK_ALLOWED_HOSTS", []) or [])


def event_body(event: OutboxEvent) -> bytes:
    """The JSON body, the same bytes on every attempt: keys sorted, no spaces, UTF-8."""
    document = {"type": event.type, "timestamp": event.created_at.isoformat(), "data": event.payload}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(*, endpoint: Endpoint, event: OutboxEvent, body: bytes, at: datetime) -> dict[str, str]:
    """Standard Webhooks headers for one attempt: the event's id, this attempt's time, the signature."""
    timestamp = int(at.timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": event.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            secrets=endpoint.signing_secrets(at), msg_id=event.event_id, timestamp=timestamp, body=body
        ),
    }


def _due(now: datetime) -> Q:
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.DELIVERING, claimed_until__lt=now
    )


def _claim(delivery_id: int, now: datetime) -> Delivery | None:
    active = Endpoint.objects.filter(deliveries=delivery_id, is_active=True).exists()
    if not active:
        # A paused endpoint keeps its deliveries pending; they go out once it is active again.
        return None
    claimed = Delivery.objects.filter(_due(now), pk=delivery_id).update(
        status=DeliveryStatus.DELIVERING, claimed_until=now + CLAIM_LEASE, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("event", "endpoint").get(pk=delivery_id)


def send_attempt(delivery: Delivery, *, at: datetime) -> network.Response:
    """Check the URL again (DNS may have changed since it was registered), then POST once."""
    started = time.monotonic()
    try:
        target = network.check_url(delivery.endpoint.url, allowed_hosts=allowed_hosts())
    except network.UnsafeURL as error:
        return network.Response(
            status=None, duration_ms=int((time.monotonic() - started) * 1000), error=f"refused: {error}"
        )
    body = event_body(delivery.event)
    headers = signed_headers(endpoint=delivery.endpoint, event=delivery.event, body=body, at=at)
    return network.post(target, body=body, headers=headers)


def attempt_delivery(delivery_id: int) -> str:
    """Make one attempt if the delivery is due and nobody else holds it. Returns its status after."""
    claimed = _claim(delivery_id, timezone.now())
    if claimed is None:
        return Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first() or "missing"
    response = send_attempt(claimed, at=timezone.now())
    return _record(claimed.pk, number=claimed.attempts, response=response, at=timezone.now())


def _record(delivery_id: int, *, number: int, response: network.Response, at: datetime) -> str:
    retry_at: datetime | None = None
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        DeliveryAttempt.objects.create(
            delivery=delivery,
            endpoint_id=delivery.endpoint_id,
            number=number,
            at=at,
            succeeded=response.succeeded,
            response_code=response.status,
            duration_ms=response.duration_ms,
            error=response.error[:2000],
            response_excerpt=response.excerpt[:500],
        )
        if delivery.status != DeliveryStatus.DELIVERING or delivery.attempts != number:
            # The claim expired and the sweep took the delivery over: its attempt decides.
            return delivery.status
        delivery.last_response_code = response.status
        delivery.last_error = response.error[:2000]
        delivery.last_duration_ms = response.duration_ms
        delivery.claimed_until = None
        if response.succeeded:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = at
            delivery.next_attempt_at = None
        else:
            retry_at = backoff.next_attempt_at(
                failed_attempts=number - delivery.attempts_before_window,
                failed_at=at,
                window_started_at=delivery.window_started_at,
            )
            delivery.status = DeliveryStatus.PENDING if retry_at is not None else DeliveryStatus.FAILED
            delivery.next_attempt_at = retry_at
        delivery.save(
            update_fields=[
                "status",
                "last_response_code",
                "last_error",
                "last_duration_ms",
                "claimed_until",
                "delivered_at",
                "next_attempt_at",
            ]
        )
        if delivery.status == DeliveryStatus.DELIVERED:
            _settle(delivery.event_id, succeeded=True)
        elif delivery.status == DeliveryStatus.FAILED:
            _settle(delivery.event_id, succeeded=False)
        elif retry_at is not None:
            when = retry_at
            transaction.on_commit(lambda: enqueue_attempts([delivery_id], at=when))
        return delivery.status


def _settle(event_id: int, *, succeeded: bool) -> None:
    """Tell the hooks once: at the first success, or when the last delivery failed and none succeeded."""
    event = OutboxEvent.objects.select_for_update().get(pk=event_id)
    if succeeded:
        if event.outcome == EventOutcome.SUCCEEDED:
            return
    elif event.outcome != EventOutcome.OPEN or (
        Delivery.objects.filter(event_id=event_id).exclude(status=DeliveryStatus.FAILED).exists()
    ):
        return
    event.outcome = EventOutcome.SUCCEEDED if succeeded else EventOutcome.FAILED
    event.settled_at = timezone.now()
    event.save(update_fields=["outcome", "settled_at"])
    try:
        # A savepoint: a hook that fails is logged and undone, while the delivery's result stands
        # (rolling everything back would leave the delivery claimed and send it again and again).
        with transaction.atomic():
            notify_outcome(event, succeeded=succeeded)
    except Exception:
        logger.exception("a delivery hook for %s (%s) failed", event.event_id, event.type)


def deliver_due(*, limit: int = 500, budget_seconds: float = SWEEP_BUDGET_SECONDS) -> int:
    """The sweep: attempt every delivery whose time has come, soonest first. Returns attempts made.

    After a failed attempt the endpoint's other deliveries wait for the next sweep, so one endpoint
    that times out cannot use up the sweep and hold back everyone else's.
    """
    started = time.monotonic()
    due = list(
        Delivery.objects.filter(_due(timezone.now()), endpoint__is_active=True)
        .order_by("next_attempt_at", "id")
        .values_list("pk", "endpoint_id")[:limit]
    )
    failing: set[int] = set()
    attempted = 0
    for delivery_id, endpoint_id in due:
        if endpoint_id in failing:
            continue
        if time.monotonic() - started > budget_seconds:
            break
        status = attempt_delivery(delivery_id)
        attempted += 1
        if status in (DeliveryStatus.PENDING, DeliveryStatus.FAILED):
            failing.add(endpoint_id)
    return attempted


def retry_delivery(*, actor: Actor, delivery: Delivery) -> Delivery:
    """An admin sends a failed delivery again: at once, then on a fresh three-day schedule."""
    actor.require(Perm.WEBHOOKS_MANAGE)
    now = timezone.now()
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status != DeliveryStatus.FAILED:
            raise Conflict("only a failed delivery can be retried by hand", code="not_failed")
        locked.status = DeliveryStatus.PENDING
        locked.next_attempt_at = now
        locked.window_started_at = now
        locked.attempts_before_window = locked.attempts
        locked.claimed_until = None
        locked.save(
            update_fields=[
                "status",
                "next_attempt_at",
                "window_started_at",
                "attempts_before_window",
                "claimed_until",
            ]
        )
        record_audit(
            actor=actor,
            action="webhooks.delivery.retry",
            target=locked,
            before={"status": DeliveryStatus.FAILED, "attempts": locked.attempts},
            after={"status": DeliveryStatus.PENDING},
        )
        transaction.on_commit(lambda: enqueue_attempts([locked.pk]))
    return locked
