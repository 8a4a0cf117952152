"""What the insights refreshes share: how they read paid orders, report progress and round money."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
from django.utils import timezone

from rapport.commerce.models import Order, OrderStatus

CENT = Decimal("0.01")
PAID_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)
READ_CHUNK = 20_000

# (stage, done, total): the command draws a bar per stage; tasks pass nothing.
Progress = Callable[[str, int, int], None]


def silent(stage: str, done: int, total: int) -> None:
    return None


def money(value: float) -> Decimal:
    """A float amount from the models, to the cent, for a DecimalField."""
    return Decimal(str(round(float(value), 2))).quantize(CENT)


@dataclass(frozen=True)
class PaidOrders:
    customer_ids: np.ndarray
    days: np.ndarray  # datetime64[D], the UTC day: what the value models count in
    local_days: np.ndarray  # datetime64[D], the day in the site's time zone: the relationships page's months
    amounts: np.ndarray


def paid_orders(until: datetime, progress: Progress = silent) -> PaidOrders:
    """Every paid or fulfilled order up to `until`, as arrays, read in chunks."""
    orders = Order.objects.filter(status__in=PAID_STATUSES, placed_at__lte=until)
    total = orders.count()
    zone = timezone.get_current_timezone()
    ids = np.empty(total, dtype=np.int64)
    days = np.empty(total, dtype="datetime64[D]")
    local_days = np.empty(total, dtype="datetime64[D]")
    amounts = np.empty(total, dtype=np.float64)
    n = 0
    rows = orders.order_by().values_list("customer_id", "placed_at", "total").iterator(chunk_size=READ_CHUNK)
    for customer_id, placed_at, amount in rows:
        if n == total:  # an order paid while reading: the next refresh counts it
            break
        ids[n] = customer_id
        days[n] = placed_at.date()
        local_days[n] = placed_at.astimezone(zone).date()
        amounts[n] = float(amount)
        n += 1
        if n % READ_CHUNK == 0:
            progress("reading orders", n, total)
    progress("reading orders", n, total)
    return PaidOrders(customer_ids=ids[:n], days=days[:n], local_days=local_days[:n], amounts=amounts[:n])
