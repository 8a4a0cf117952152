"""Reads of the channels, scoped to who asks: the inbound log and quarantine are an admin's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from rapport.accounts.permissions import Actor, Perm
from rapport.channels.email.addresses import strip_angle_brackets
from rapport.channels.models import DeliveryStatus, InboundDelivery, Mailbox, OutboundEmail
from rapport.core.errors import NotFound, ValidationFailed
from rapport.desk.selectors.conversations import access_message

# The log page shows this many deliveries; older ones are reached with the cursor.
LOG_PAGE_SIZE = 50


@dataclass(frozen=True)
class LogFilters:
    status: str = ""
    kind: str = ""
    # Message-ID or a provider's id, with or without <>.
    external_id: str = ""
    before_id: int | None = None


def _log_of(actor: Actor) -> QuerySet[InboundDelivery]:
    actor.require(Perm.CHANNELS_MANAGE)
    return InboundDelivery.objects.all()


def inbound_deliveries(actor: Actor, filters: LogFilters) -> QuerySet[InboundDelivery]:
    """Newest deliveries first, without their raw bytes, narrowed by the filters."""
    deliveries = _log_of(actor).defer("raw").select_related("conversation")
    if filters.status:
        if filters.status not in DeliveryStatus.values:
            raise ValidationFailed(f"unknown status {filters.status!r}", code="invalid_status")
        deliveries = deliveries.filter(status=filters.status)
    if filters.kind:
        deliveries = deliveries.filter(kind=filters.kind)
    if filters.external_id.strip():
        deliveries = deliveries.filter(external_id=strip_angle_brackets(filters.external_id))
    if filters.before_id is not None:
        deliveries = deliveries.filter(pk__lt=filters.before_id)
    return deliveries.order_by("-id")


def status_counts(actor: Actor) -> dict[str, int]:
    """How many deliveries wait in each state that needs attention."""
    log = _log_of(actor)
    return {
        status: log.filter(status=status).count()
        for status in (DeliveryStatus.RECEIVED, DeliveryStatus.QUARANTINED)
    }


def hourly_volume(actor: Actor, *, now: datetime, hours: int = 24) -> dict[str, object]:
    """Deliveries per hour over the last `hours`, by status: what the inbound log draws as a chart."""
    local_now = timezone.localtime(now)
    end = local_now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    rows = (
        _log_of(actor)
        .filter(received_at__gte=start)
        .annotate(hour=TruncHour("received_at", tzinfo=local_now.tzinfo))
        .values("hour", "status")
        .annotate(count=Count("id"))
        .order_by()
    )
    slots = [start + timedelta(hours=offset) for offset in range(hours)]
    index = {slot: position for position, slot in enumerate(slots)}
    series = {status: [0] * hours for status in DeliveryStatus.values}
    for row in rows:
        position = index.get(timezone.localtime(row["hour"], local_now.tzinfo))
        if position is not None:
            series[row["status"]][position] += row["count"]
    return {
        "labels": [slot.strftime("%H:00") for slot in slots],
        "series": [
            {"status": status, "label": str(label), "counts": series[status]}
            for status, label in DeliveryStatus.choices
        ],
        "total": sum(sum(counts) for counts in series.values()),
    }


def access_delivery(actor: Actor, delivery_id: int) -> InboundDelivery:
    delivery = _log_of(actor).select_related("conversation", "message").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound("no such delivery")
    return delivery


def mailboxes_visible_to(actor: Actor) -> QuerySet[Mailbox]:
    actor.require(Perm.CHANNELS_MANAGE)
    return Mailbox.objects.select_related("team")


def access_mailbox(actor: Actor, mailbox_id: int) -> Mailbox:
    mailbox = mailboxes_visible_to(actor).filter(pk=mailbox_id).first()
    if mailbox is None:
        raise NotFound("no such mailbox")
    return mailbox


def access_outbound(actor: Actor, outbound_id: int) -> OutboundEmail:
    """An emailed reply, only for someone who may see its conversation (the same 404 otherwise)."""
    outbound = OutboundEmail.objects.filter(pk=outbound_id).select_related("mailbox").first()
    if outbound is None:
        raise NotFound("no such reply")
    outbound.message = access_message(actor, outbound.message_id)
    return outbound
