"""The inbound log's reads: the hourly volume chart counts each delivery once, in its hour and status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport.accounts.permissions import Actor
from rapport.channels.models import DeliveryStatus, InboundDelivery
from rapport.channels.selectors import hourly_volume
from rapport.channels.services.deliveries import store_delivery
from rapport.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 40, tzinfo=UTC)


def delivered(at: datetime, status: str, body: bytes) -> None:
    delivery, _ = store_delivery(
        kind="email", source="support@shop.test", raw=body, received_at=at, enqueue=False
    )
    InboundDelivery.objects.filter(pk=delivery.pk).update(status=status)


def test_hourly_volume_counts_each_delivery_in_its_hour_and_status(admin: Actor, settings: object) -> None:
    settings.TIME_ZONE = "UTC"  # type: ignore[attr-defined]
    delivered(NOW - timedelta(minutes=5), DeliveryStatus.PROCESSED, b"a")
    delivered(NOW - timedelta(minutes=30), DeliveryStatus.QUARANTINED, b"b")
    delivered(NOW - timedelta(hours=2, minutes=10), DeliveryStatus.PROCESSED, b"c")
    delivered(NOW - timedelta(hours=30), DeliveryStatus.PROCESSED, b"too old")

    volume = hourly_volume(admin, now=NOW)

    labels = volume["labels"]
    assert isinstance(labels, list)
    assert (len(labels), labels[0], labels[-1]) == (24, "16:00", "15:00")
    series = {serie["status"]: serie["counts"] for serie in volume["series"]}  # type: ignore[attr-defined]
    assert series["processed"][-1] == 1
    assert series["processed"][-3] == 1
    assert series["quarantined"][-1] == 1
    assert sum(series["received"]) == 0
    assert volume["total"] == 3


def test_only_admins_see_the_volume(agent: Actor) -> None:
    with pytest.raises(PermissionDenied):
        hourly_volume(agent, now=NOW)
