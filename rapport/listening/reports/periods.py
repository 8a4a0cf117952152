"""The time windows the listening pages offer, and the buckets their series are drawn in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import DateField
from django.db.models.functions import Trunc
from django.utils import timezone

RANGES = (7, 30, 90)
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    days: int

    @property
    def bucket(self) -> str:
        """Days up to a month, weeks beyond (a daily CSAT of three answers says little)."""
        return "day" if self.days <= 31 else "week"

    def slots(self) -> list[date]:
        first = timezone.localdate(self.start)
        last = timezone.localdate(self.end - timedelta(microseconds=1))
        if self.bucket == "week":
            first -= timedelta(days=first.weekday())
            step = timedelta(weeks=1)
        else:
            step = timedelta(days=1)
        slots = []
        while first <= last:
            slots.append(first)
            first += step
        return slots

    def trunc(self, field: str) -> Trunc:
        return Trunc(field, self.bucket, output_field=DateField())


def window(days: int | None = None, *, now: datetime | None = None) -> Window:
    """The last ``days`` days up to now; a number not offered is refused (ValueError)."""
    days = DEFAULT_DAYS if days is None else days
    if days not in RANGES:
        raise ValueError(f"choose one of {', '.join(map(str, RANGES))} days")
    now = now or timezone.now()
    return Window(start=now - timedelta(days=days), end=now, days=days)


def slot_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
