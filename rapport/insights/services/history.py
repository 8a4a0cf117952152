"""The relationships page's purchase history: defection and cohort counts, counted by each value refresh.

Reading every purchase day takes seconds on a large store, and the value refresh (daily, and after every
order import) reads them all anyway; so it counts the latest whole months' defection and cohorts once
from that reading and stores them (PurchaseHistory), and the page reads one row instead of the orders.
The figures are those of the orders as the refresh read them: the page says so ("as of").
"""

from __future__ import annotations

import time
from datetime import datetime

import numpy as np
from django.db import transaction
from django.utils import timezone

from rapport.insights.models import PurchaseHistory
from rapport.insights.numerics.retention import ACTIVE_DAYS, first_purchase_days, retention_counts
from rapport.insights.reports.relationships import HISTORY_MONTHS, months_of
from rapport.insights.services.refresh import PaidOrders, Progress, paid_orders, silent


def store_purchase_history(
    orders: PaidOrders, *, now: datetime, progress: Progress = silent
) -> PurchaseHistory:
    """Count the whole months before `now`'s month from `orders` (every paid order up to `now`) and keep
    them as the one stored history."""
    started = time.perf_counter()
    progress("counting the purchase history", 0, 1)
    months = months_of(HISTORY_MONTHS, today=timezone.localdate(now))
    starts = months.starts
    ids, days = orders.customer_ids, orders.local_days
    first_ids, first_days = first_purchase_days(ids, days)
    # Only these purchases can make a customer active at a month start counted, or fall in a month counted.
    reach = (days >= starts[0] - np.timedelta64(ACTIVE_DAYS, "D")) & (days < starts[-1])
    counts = retention_counts(ids[reach], days[reach], first_ids, first_days, starts)
    with transaction.atomic():
        history = PurchaseHistory.objects.create(
            as_of=now,
            time_zone=timezone.get_current_timezone_name(),
            first_month=months.first,
            months=months.count,
            active=[int(n) for n in counts.active],
            defected=[int(n) for n in counts.defected],
            cohort_sizes=[int(n) for n in counts.sizes],
            cohort_returned=counts.cohort_rows(),
            seconds=time.perf_counter() - started,
        )
        PurchaseHistory.objects.exclude(pk=history.pk).delete()
    progress("counting the purchase history", 1, 1)
    return history


def refresh_purchase_history(*, now: datetime | None = None, progress: Progress = silent) -> PurchaseHistory:
    """Read every paid order and store the purchase history alone (the value refresh does both at once)."""
    now = now or timezone.now()
    return store_purchase_history(paid_orders(now, progress), now=now, progress=progress)
