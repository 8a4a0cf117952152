"""Storing raw input durably before anything parses it, then processing it once."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from rapport.accounts.audit import record_audit
from rapport.accounts.permissions import Actor, Perm
from rapport.channels.models import DeliveryStatus, InboundDelivery
from rapport.channels.protocol import Outcome, Unprocessable, processor_for
from rapport.core.errors import Conflict

logger = logging.getLogger(__name__)

# A delivery still unprocessed this long after it arrived lost its task (a worker crash between the
# commit and the enqueue); the clock's sweep hands it out again.
STALE_AFTER = timedelta(minutes=2)
# A delivery that failed this often stops being retried by the sweep and waits for an admin.
MAX_ATTEMPTS = 5


def dedupe_key(*, kind: str, sender: str, external_id: str, raw: bytes) -> str:
    """Same sender and id is the same delivery; without an id, the same bytes are."""
    if external_id:
        basis = "\0".join((kind, sender.strip().lower(), external_id.strip())).encode()
    else:
        basis = kind.encode() + b"\0raw\0" + raw
    return hashlib.sha256(basis).hexdigest()


def store_delivery(
    *,
    kind: str,
    source: str,
    raw: bytes,
    sender: str = "",
    external_id: str = "",
    remote_addr: str = "",
    received_at: datetime | None = None,
    enqueue: bool = True,
) -> tuple[InboundDelivery, bool]:
    """Commit the raw bytes; the caller acknowledges the sender only after this returns.

    Returns the delivery and whether it is new. A repeat of a stored delivery returns the first one
    and stores nothing, so a retrying sender has one effect. Processing is queued after the commit,
    unless the caller processes it at once itself (enqueue=False; the sweep still covers a crash).
    """
    key = dedupe_key(kind=kind, sender=sender, external_id=external_id, raw=raw)
    try:
        with transaction.atomic():
            delivery = InboundDelivery.objects.create(
                kind=kind,
                source=source[:254],
                external_id=external_id[:998],
                sender=sender[:254],
                dedupe_key=key,
                raw=raw,
                size=len(raw),
                remote_addr=remote_addr[:64],
                received_at=received_at or timezone.now(),
            )
            if enqueue:
                transaction.on_commit(lambda: _enqueue(delivery.pk))
    except IntegrityError:
        existing = InboundDelivery.objects.filter(dedupe_key=key).first()
        if existing is None:
            raise
        return existing, False
    return delivery, True


def _enqueue(delivery_id: int) -> None:
    from rapport.channels.tasks import process_delivery_task

    try:
        process_delivery_task.enqueue(delivery_id)
    except Exception:
        # The raw bytes are committed; the sweep processes the delivery if this enqueue was lost.
        logger.exception("could not queue inbound delivery %s; the sweep will pick it up", delivery_id)


def process_delivery(delivery_id: int) -> str:
    """Turn a stored delivery into desk records, once. Returns the status it ends in."""
    try:
        with transaction.atomic():
            delivery = InboundDelivery.objects.select_for_update().get(pk=delivery_id)
            if delivery.status != DeliveryStatus.RECEIVED:
                # Processed already: a replayed task, or two workers that raced; one effect.
                return delivery.status
            outcome = processor_for(delivery.kind)(delivery)
            _finish(delivery, outcome)
            return delivery.status
    except Unprocessable as error:
        return _quarantine(delivery_id, str(error))
    except Exception as error:
        # A bug in a parser or a service must not lose the input: quarantine it with the error named
        # so an admin can re-process it once the cause is fixed.
        logger.exception("inbound delivery %s failed", delivery_id)
        return _quarantine(delivery_id, f"processing failed: {type(error).__name__}: {error}")


def _finish(delivery: InboundDelivery, outcome: Outcome) -> None:
    delivery.status = outcome.status
    delivery.conversation = outcome.conversation
    delivery.message = outcome.message
    delivery.reason = outcome.reason
    delivery.attempts += 1
    delivery.processed_at = timezone.now()
    delivery.save(update_fields=["status", "conversation", "message", "reason", "attempts", "processed_at"])


def _quarantine(delivery_id: int, reason: str) -> str:
    with transaction.atomic():
        delivery = InboundDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status != DeliveryStatus.RECEIVED:
            return delivery.status
        _finish(delivery, Outcome(status=DeliveryStatus.QUARANTINED, reason=reason[:2000]))
    return DeliveryStatus.QUARANTINED


def reprocess_delivery(*, actor: Actor, delivery: InboundDelivery) -> str:
    """An admin sends a quarantined delivery through its channel again (after a fix, say)."""
    actor.require(Perm.CHANNELS_MANAGE)
    with transaction.atomic():
        locked = InboundDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status != DeliveryStatus.QUARANTINED:
            raise Conflict("only a quarantined delivery can be processed again", code="not_quarantined")
        locked.status = DeliveryStatus.RECEIVED
        locked.reason = ""
        locked.save(update_fields=["status", "reason"])
        record_audit(actor=actor, action="channels.delivery.reprocess", target=locked)
    return process_delivery(delivery.pk)


def process_stale_deliveries(*, now: datetime, limit: int = 500) -> int:
    """Process deliveries whose task never ran. Run by the clock; safe to run anywhere, any time."""
    stale = list(
        InboundDelivery.objects.filter(
            status=DeliveryStatus.RECEIVED, received_at__lt=now - STALE_AFTER, attempts__lt=MAX_ATTEMPTS
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in stale:
        process_delivery(delivery_id)
    return len(stale)
