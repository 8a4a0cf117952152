"""Storing raw input durably before anything parses it, then processing it once."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from rapport.accounts.audit import record_audit
from rapport.accounts.permissions import Actor, Perm
from rapport.channels.models import DeliveryStatus, InboundDelivery
from rapport.channels.protocol import Outcome, Unprocessable, processing_for
from rapport.core.errors import Conflict
from rapport.core.memo import remembered_reads
from rapport.core.unit_of_work import savepoint, unit_of_work

logger = logging.getLogger(__name__)

# A delivery still unprocessed this long after it arrived lost its task (a worker crash between the
# commit and the enqueue); the clock's sweep hands it out again.
STALE_AFTER = timedelta(minutes=2)
# A delivery that failed this often stops being retried by the sweep and waits for an admin.
MAX_ATTEMPTS = 5
# How long a worker's claim on a batch keeps other workers off it: far more than a batch takes.
CLAIM_FOR = timedelta(minutes=1)
# Deliveries written in one transaction by the batch path: enough to share the cost of a commit, few
# enough that the SMTP listener, waiting for the same SQLite write lock, answers within a second.
BATCH_SIZE = 25


def dedupe_key(*, kind: str, sender: str, external_id: str, raw: bytes) -> str:
    """Same sender and id is the same delivery; without an id, the same bytes are."""
    if external_id:
        basis = "\0".join((kind, sender.strip().lower(), external_id.strip())).encode()
    else:
        basis = kind.encode() + b"\0raw\0" + raw
    return hashlib.sha256(basis).hexdigest()


@dataclass(frozen=True)
class DeliveryInput:
    kind: str
    source: str
    raw: bytes
    sender: str = ""
    external_id: str = ""
    remote_addr: str = ""

    def dedupe_key(self) -> str:
        return dedupe_key(kind=self.kind, sender=self.sender, external_id=self.external_id, raw=self.raw)


def _delivery_row(item: DeliveryInput, *, key: str, received_at: datetime) -> InboundDelivery:
    """The row of a raw input, its text fields cut to their columns."""
    return InboundDelivery(
        kind=item.kind,
        source=item.source[:254],
        external_id=item.external_id[:998],
        sender=item.sender[:254],
        dedupe_key=key,
        raw=item.raw,
        size=len(item.raw),
        remote_addr=item.remote_addr[:64],
        received_at=received_at,
    )


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
    item = DeliveryInput(
        kind=kind, source=source, raw=raw, sender=sender, external_id=external_id, remote_addr=remote_addr
    )
    key = item.dedupe_key()
    try:
        with transaction.atomic():
            delivery = _delivery_row(item, key=key, received_at=received_at or timezone.now())
            delivery.save(force_insert=True)
            if enqueue:
                transaction.on_commit(lambda: _enqueue(delivery.pk))
    except IntegrityError:
        existing = InboundDelivery.objects.filter(dedupe_key=key).first()
        if existing is None:
            raise
        return existing, False
    return delivery, True


def store_deliveries(items: Sequence[DeliveryInput]) -> int:
    """Commit many raw inputs in one transaction (the SMTP listener's group commit); how many are new.

    A repeat, of a stored delivery or within the group, stores nothing. Nothing is queued: the caller
    queues one drain of all waiting deliveries. Should another process store one of them at the same
    moment, the group is stored again one delivery at a time.
    """
    now = timezone.now()
    rows: dict[str, InboundDelivery] = {}
    for item in items:
        key = item.dedupe_key()
        if key not in rows:
            rows[key] = _delivery_row(item, key=key, received_at=now)
    try:
        with transaction.atomic():
            taken = set(
                InboundDelivery.objects.filter(dedupe_key__in=list(rows)).values_list("dedupe_key", flat=True)
            )
            new = [row for key, row in rows.items() if key not in taken]
            InboundDelivery.objects.bulk_create(new)
    except IntegrityError:
        stored = [
            store_delivery(
                kind=item.kind,
                source=item.source,
                raw=item.raw,
                sender=item.sender,
                external_id=item.external_id,
                remote_addr=item.remote_addr,
                enqueue=False,
            )
            for item in items
        ]
        return sum(created for _, created in stored)
    return len(new)


def _enqueue(delivery_id: int) -> None:
    from rapport.channels.tasks import process_delivery_task

    try:
        process_delivery_task.enqueue(delivery_id)
    except Exception:
        # The raw bytes are committed; the sweep processes the delivery if this enqueue was lost.
        logger.exception("could not queue inbound delivery %s; the sweep will pick it up", delivery_id)


def mail_waiting() -> bool:
    """Input stored in the last minutes and not yet processed: a customer waits for it to reach the inbox.

    Older input that is still waiting lost its task or keeps failing; the sweep deals with it, and it
    does not hold other work back.
    """
    return InboundDelivery.objects.filter(
        status=DeliveryStatus.RECEIVED, received_at__gte=timezone.now() - STALE_AFTER
    ).exists()


def process_delivery(delivery_id: int) -> str:
    """Turn one stored delivery into desk records, once. Returns the status it ends in."""
    _process(InboundDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.RECEIVED))
    return InboundDelivery.objects.values_list("status", flat=True).get(pk=delivery_id)


def process_received(*, limit: int = BATCH_SIZE) -> int:
    """Process the oldest waiting deliveries, up to `limit`, in one transaction; returns how many.

    One transaction for many deliveries is what makes a burst of mail cheap: each delivery still gets
    its own savepoint, so one that fails is quarantined alone. Workers drain side by side: each first
    claims its batch in a short transaction, so while one writes, another parses the next batch
    instead of the same one.
    """
    claimed = _claim(limit)
    if not claimed:
        return 0
    waiting = InboundDelivery.objects.filter(pk__in=claimed, status=DeliveryStatus.RECEIVED).order_by("pk")
    _process(waiting, skip_locked=True)
    return len(claimed)


def _claim(limit: int) -> list[int]:
    now = timezone.now()
    with transaction.atomic():
        claimed = list(
            InboundDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.RECEIVED, attempts__lt=MAX_ATTEMPTS)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if claimed:
            InboundDelivery.objects.filter(pk__in=claimed).update(claimed_until=now + CLAIM_FOR)
    return claimed


def process_all_received(*, limit: int = BATCH_SIZE, max_batches: int = 100) -> int:
    """Drain the waiting deliveries batch by batch (what the listener's task runs)."""
    total = 0
    for _ in range(max_batches):
        done = process_received(limit=limit)
        total += done
        if done < limit:
            break
    return total


@dataclass(frozen=True)
class _Unreadable:
    reason: str


def _read(kind: str, raw: bytes) -> Any:
    """What the channel's reader makes of the raw bytes, or why it cannot (the delivery's fate)."""
    try:
        read = processing_for(kind).read
        return read(raw) if read is not None else None
    except Unprocessable as error:
        return _Unreadable(str(error))
    except Exception as error:
        logger.exception("reading an inbound %s delivery failed", kind)
        return _Unreadable(f"processing failed: {type(error).__name__}: {error}")


def _process(candidates: QuerySet[InboundDelivery], *, skip_locked: bool = False) -> dict[int, str]:
    """Read the waiting candidates outside any transaction, then write them all in one; status by id.

    The batch defers its history rows to one insert per table (a unit of work). Should the batch fail
    as a whole (those inserts, the commit), nothing of it is kept and each delivery is written again
    alone, so the one at fault is quarantined and the others are not held up by it.
    """
    with remembered_reads():  # a reader's settings (the attachment limit) are read once for the batch
        readings = {
            pk: _read(kind, bytes(raw)) for pk, kind, raw in candidates.values_list("pk", "kind", "raw")
        }
    if not readings:
        return {}
    try:
        return _write(readings, skip_locked=skip_locked, batched=len(readings) > 1)
    except Exception as error:
        if len(readings) == 1:
            raise
        logger.warning("a batch of %s inbound deliveries is written one by one: %r", len(readings), error)
    statuses: dict[int, str] = {}
    for pk, reading in readings.items():
        statuses.update(_write({pk: reading}, skip_locked=skip_locked, batched=False))
    return statuses


def _write(readings: dict[int, Any], *, skip_locked: bool, batched: bool) -> dict[int, str]:
    with remembered_reads(), transaction.atomic(), unit_of_work() if batched else nullcontext():
        # Locked and checked again: a replay or another worker may have processed some meanwhile.
        locked = list(
            InboundDelivery.objects.select_for_update(skip_locked=skip_locked)
            .filter(pk__in=list(readings), status=DeliveryStatus.RECEIVED)
            .order_by("pk")
        )
        outcomes = _batch_outcomes(locked, readings) if batched else {}
        for delivery in locked:
            outcome = outcomes.get(delivery.pk) or _outcome(delivery, readings[delivery.pk])
            _finish(delivery, outcome)
        _save_finished(locked)
    return {delivery.pk: delivery.status for delivery in locked}


def _batch_outcomes(locked: list[InboundDelivery], readings: dict[int, Any]) -> dict[int, Outcome]:
    """Outcomes of the deliveries whose channel writes in bulk; the others go one by one."""
    by_kind: dict[str, list[tuple[InboundDelivery, Any]]] = {}
    for delivery in locked:
        if not isinstance(readings[delivery.pk], _Unreadable):
            by_kind.setdefault(delivery.kind, []).append((delivery, readings[delivery.pk]))
    outcomes: dict[int, Outcome] = {}
    for kind, pairs in by_kind.items():
        process_batch = processing_for(kind).process_batch
        if process_batch is not None:
            written = process_batch(pairs)
            outcomes.update(
                {delivery.pk: outcome for (delivery, _), outcome in zip(pairs, written, strict=True)}
            )
    return outcomes


def _outcome(delivery: InboundDelivery, reading: Any) -> Outcome:
    if isinstance(reading, _Unreadable):
        return Outcome(status=DeliveryStatus.QUARANTINED, reason=reading.reason[:2000])
    try:
        with savepoint():
            return processing_for(delivery.kind).process(delivery, reading)
    except Unprocessable as error:
        reason = str(error)
    except Exception as error:
        # A bug in a parser or a service must not lose the input: quarantine it with the error named
        # so an admin can re-process it once the cause is fixed. Its writes were rolled back.
        logger.exception("inbound delivery %s failed", delivery.pk)
        reason = f"processing failed: {type(error).__name__}: {error}"
    return Outcome(status=DeliveryStatus.QUARANTINED, reason=reason[:2000])


def _finish(delivery: InboundDelivery, outcome: Outcome) -> None:
    """The outcome on the row in memory; _save_finished writes the batch's rows together."""
    delivery.status = outcome.status
    delivery.conversation = outcome.conversation
    delivery.message = outcome.message
    delivery.reason = outcome.reason
    delivery.attempts += 1
    delivery.processed_at = timezone.now()


def _save_finished(finished: list[InboundDelivery]) -> None:
    """One UPDATE per outcome (status and reason), one for the links to what each became."""
    by_outcome: dict[tuple[str, str], list[int]] = {}
    for delivery in finished:
        by_outcome.setdefault((delivery.status, delivery.reason), []).append(delivery.pk)
    now = timezone.now()
    for (status, reason), ids in by_outcome.items():
        InboundDelivery.objects.filter(pk__in=ids).update(
            status=status, reason=reason, processed_at=now, attempts=F("attempts") + 1
        )
    linked = [
        (delivery.conversation_id, delivery.message_id, delivery.pk)
        for delivery in finished
        if delivery.conversation_id or delivery.message_id
    ]
    if linked:
        # One prepared statement run per row: bulk_update's CASE expressions cost more than the
        # row-by-row saves they replace (its SQL grows with the batch and is compiled every time).
        with connection.cursor() as cursor:
            cursor.executemany(_link_statement(), linked)


def _link_statement() -> str:
    quote = connection.ops.quote_name
    meta = InboundDelivery._meta
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    conversation = quote(InboundDelivery.conversation.field.column)
    message = quote(InboundDelivery.message.field.column)
    # Every name comes from the model's own metadata, quoted; the values are parameters.
    return f"UPDATE {table} SET {conversation} = %s, {message} = %s WHERE {pk} = %s"  # noqa: S608


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
    for start in range(0, len(stale), BATCH_SIZE):
        chunk = stale[start : start + BATCH_SIZE]
        _process(InboundDelivery.objects.filter(pk__in=chunk, status=DeliveryStatus.RECEIVED))
    return len(stale)
