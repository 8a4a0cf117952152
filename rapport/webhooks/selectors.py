"""Reads of outbound webhooks, scoped to who asks: endpoints and their delivery log are an admin's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import NotFound, ValidationFailed
from rapport.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Endpoint, Subscription

LOG_PAGE_SIZE = 50


@dataclass(frozen=True)
class DeliveryFilters:
    status: str = ""
    before_id: int | None = None


def endpoints_visible_to(actor: Actor) -> QuerySet[Endpoint]:
    actor.require(Perm.WEBHOOKS_MANAGE)
    return Endpoint.objects.prefetch_related(
        Prefetch("subscriptions", queryset=Subscription.objects.order_by("event_type"))
    ).order_by("id")


def access_endpoint(actor: Actor, endpoint_id: int) -> Endpoint:
    endpoint = endpoints_visible_to(actor).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("no such endpoint")
    return endpoint


def deliveries_of(actor: Actor, endpoint: Endpoint, filters: DeliveryFilters) -> QuerySet[Delivery]:
    """The endpoint's deliveries, newest first, with their events, narrowed by the filters."""
    actor.require(Perm.WEBHOOKS_MANAGE)
    deliveries = Delivery.objects.filter(endpoint=endpoint).select_related("event")
    if filters.status:
        if filters.status not in DeliveryStatus.values:
            raise ValidationFailed(f"unknown status {filters.status!r}", code="invalid_status")
        deliveries = deliveries.filter(status=filters.status)
    if filters.before_id is not None:
        deliveries = deliveries.filter(pk__lt=filters.before_id)
    return deliveries.order_by("-id")


def access_delivery(actor: Actor, delivery_id: int) -> Delivery:
    actor.require(Perm.WEBHOOKS_MANAGE)
    delivery = Delivery.objects.select_related("event", "endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound("no such delivery")
    return delivery


def attempts_of(actor: Actor, delivery: Delivery) -> QuerySet[DeliveryAttempt]:
    actor.require(Perm.WEBHOOKS_MANAGE)
    return DeliveryAttempt.objects.filter(delivery=delivery).order_by("number", "id")


def status_counts(actor: Actor, endpoint: Endpoint) -> dict[str, int]:
    """How many of the endpoint's deliveries are in each state (one grouped query)."""
    actor.require(Perm.WEBHOOKS_MANAGE)
    counts = dict.fromkeys(DeliveryStatus.values, 0)
    rows = Delivery.objects.filter(endpoint=endpoint).values("status").annotate(n=Count("id")).order_by()
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def hourly_attempts(actor: Actor, endpoint: Endpoint, *, now: datetime, hours: int = 24) -> dict[str, object]:
    """Attempts per hour over the last `hours`, delivered or failed: what the delivery log draws."""
    actor.require(Perm.WEBHOOKS_MANAGE)
    local_now = timezone.localtime(now)
    end = local_now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    rows = (
        DeliveryAttempt.objects.filter(endpoint=endpoint, at__gte=start)
        .annotate(hour=TruncHour("at", tzinfo=local_now.tzinfo))
        .values("hour", "succeeded")
        .annotate(count=Count("id"))
        .order_by()
    )
    slots = [start + timedelta(hours=offset) for offset in range(hours)]
    index = {slot: position for position, slot in enumerate(slots)}
    series = {True: [0] * hours, False: [0] * hours}
    for row in rows:
        position = index.get(timezone.localtime(row["hour"], local_now.tzinfo))
        if position is not None:
            series[bool(row["succeeded"])][position] += row["count"]
    return {
        "labels": [slot.strftime("%H:00") for slot in slots],
        "series": [
            {"outcome": "delivered", "label": "Delivered", "counts": series[True]},
            {"outcome": "failed", "label": "Failed attempt", "counts": series[False]},
        ],
        "total": sum(series[True]) + sum(series[False]),
    }
