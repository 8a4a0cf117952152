"""Defection and cohort-retention counts over whole calendar months, from purchase days (pure numpy).

The definitions are those of the relationships dashboard (``rapport.insights.reports.relationships``):

- *Active* at a moment t: a purchase on a day d with t - ``active_days`` days <= d < t. Each purchase makes
  its customer active at the month starts within ``active_days`` days after it, an interval of month-start
  indexes; a difference array summed along each customer's row gives activity at every month start at
  once. A customer *defected* in month i when active at its start and not at the next month's start.
- *Cohorts* are customers by the month of their first purchase ever; a cohort's cell k counts those of it
  who bought in calendar month c + k (k = 1, 2, ...), once however many purchases they made in it.

Every count of a month depends on that month alone (activity at its start and end, a cohort's purchases
in a later month), never on which other months are counted with it: so the counts of 24 months hold the
counts of any run of months inside them (``RetentionCounts.window``), which is what lets a refresh count
once and a page show 12 or 24 of the months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

ACTIVE_DAYS = 365


def defection_by_month(
    customer_ids: np.ndarray, days: np.ndarray, month_starts: np.ndarray, *, active_days: int = ACTIVE_DAYS
) -> tuple[np.ndarray, np.ndarray]:
    """Active customers at each month start and how many of them defected by the next one.

    ``days`` are purchase days (datetime64[D]); ``month_starts`` the n + 1 month boundaries. Returns
    ``active`` (n + 1 counts: active at each boundary) and ``defected`` (n counts: active at boundary i,
    not at boundary i + 1).
    """
    boundaries = month_starts.astype("datetime64[D]")
    slots = boundaries.size
    if customer_ids.size == 0:
        return np.zeros(slots, dtype=np.int64), np.zeros(slots - 1, dtype=np.int64)
    customers, row = np.unique(customer_ids, return_inverse=True)
    purchase = days.astype("datetime64[D]")
    # A purchase on day d makes its customer active at the boundaries e with d < e <= d + active_days.
    low = np.searchsorted(boundaries, purchase, side="right")
    high = np.searchsorted(boundaries, purchase + np.timedelta64(active_days, "D"), side="right")
    width = slots + 1
    size = customers.size * width
    changes = np.bincount(row * width + low, minlength=size) - np.bincount(row * width + high, minlength=size)
    active = np.cumsum(changes.reshape(customers.size, width), axis=1)[:, :slots] > 0
    defected = (active[:, :-1] & ~active[:, 1:]).sum(axis=0)
    return active.sum(axis=0).astype(np.int64), defected.astype(np.int64)


def cohort_triangle(
    customer_ids: np.ndarray,
    days: np.ndarray,
    first_ids: np.ndarray,
    first_days: np.ndarray,
    first_month: date,
    count: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Cohort sizes and, per cohort and month after, how many of the cohort bought in that month.

    ``first_ids``/``first_days``: each customer's first purchase day ever; those in the ``count`` months
    from ``first_month`` form the cohorts. ``customer_ids``/``days``: their purchases (others are
    ignored). Returns ``sizes`` (count) and ``returned`` (count x count; column k is month k after the
    first, column 0 is the cohort itself; cells past the last month are 0).
    """
    start = np.datetime64(first_month, "M")
    cohort = first_days.astype("datetime64[M]") - start
    keep = (cohort >= np.timedelta64(0, "M")) & (cohort < np.timedelta64(count, "M"))
    members, member_cohort = first_ids[keep], cohort[keep].astype(np.int64)
    sizes = np.bincount(member_cohort, minlength=count)
    returned = np.zeros((count, count), dtype=np.int64)
    if members.size == 0 or customer_ids.size == 0:
        returned[:, 0] = sizes
        return sizes, returned
    order = np.argsort(members)
    members, member_cohort = members[order], member_cohort[order]
    at = np.clip(np.searchsorted(members, customer_ids), 0, members.size - 1)
    found = members[at] == customer_ids
    c = member_cohort[at[found]]
    month = (days[found].astype("datetime64[M]") - start).astype(np.int64)
    after = month - c
    inside = (after >= 1) & (month < count)
    # One count per customer and month, however many orders they placed in it.
    pairs = np.unique(np.stack([customer_ids[found][inside], c[inside], after[inside]]), axis=1)
    np.add.at(returned, (pairs[1], pairs[2]), 1)
    returned[:, 0] = sizes
    return sizes, returned


def first_purchase_days(customer_ids: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each customer once, with their earliest purchase day."""
    if customer_ids.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype="datetime64[D]")
    order = np.lexsort((days, customer_ids))
    ids, sorted_days = customer_ids[order], days[order]
    first = np.r_[True, ids[1:] != ids[:-1]]
    return ids[first].astype(np.int64), sorted_days[first].astype("datetime64[D]")


@dataclass(frozen=True)
class RetentionCounts:
    """What the defection rates and cohort retention of ``count`` consecutive whole months are made of."""

    active: np.ndarray  # count + 1: customers active at each month's start, then at the last one's end
    defected: np.ndarray  # count: of those active at a month's start, how many were not at its end
    sizes: np.ndarray  # count: customers whose first purchase ever fell in each month
    returned: np.ndarray  # count x count: cohort c's customers buying in month c + k (column 0: sizes)

    @property
    def count(self) -> int:
        return int(self.defected.size)

    def window(self, offset: int, count: int) -> RetentionCounts:
        """The counts of ``count`` months from month ``offset``: the same as counting those months alone."""
        if offset < 0 or count < 0 or offset + count > self.count:
            raise ValueError(f"months {offset} to {offset + count} are not among the {self.count} counted")
        returned = self.returned[offset : offset + count, :count].copy()
        cohort, after = np.indices(returned.shape)
        # A cell whose month falls after the window is not over within it.
        returned[cohort + after >= count] = 0
        return RetentionCounts(
            active=self.active[offset : offset + count + 1].copy(),
            defected=self.defected[offset : offset + count].copy(),
            sizes=self.sizes[offset : offset + count].copy(),
            returned=returned,
        )

    def cohort_rows(self) -> list[list[int]]:
        """Per cohort c, its cells for months 1 .. count - 1 - c after: the ones that can be non-zero."""
        return [[int(n) for n in self.returned[c, 1 : self.count - c]] for c in range(self.count)]

    @classmethod
    def from_lists(
        cls, active: list[int], defected: list[int], sizes: list[int], cohort_rows: list[list[int]]
    ) -> RetentionCounts:
        """The counts again from the plain lists a store keeps (``cohort_rows`` as ``cohort_rows`` gives)."""
        count = len(defected)
        if len(active) != count + 1 or len(sizes) != count or len(cohort_rows) != count:
            raise ValueError("active needs one count more than defected; sizes and rows one per month")
        returned = np.zeros((count, count), dtype=np.int64)
        for c, row in enumerate(cohort_rows):
            if len(row) != count - 1 - c:
                raise ValueError(f"cohort {c} needs {count - 1 - c} cells, not {len(row)}")
            returned[c, 1 : count - c] = row
        returned[:, 0] = sizes
        return cls(
            active=np.asarray(active, dtype=np.int64),
            defected=np.asarray(defected, dtype=np.int64),
            sizes=np.asarray(sizes, dtype=np.int64),
            returned=returned,
        )


def retention_counts(
    customer_ids: np.ndarray,
    days: np.ndarray,
    first_ids: np.ndarray,
    first_days: np.ndarray,
    month_starts: np.ndarray,
    *,
    active_days: int = ACTIVE_DAYS,
) -> RetentionCounts:
    """Defection and cohort counts of the months between ``month_starts`` (n + 1 first days).

    ``customer_ids``/``days``: purchases (datetime64[D]; those outside ``active_days`` before the first
    month to the last month's end count for nothing); ``first_ids``/``first_days``: each customer's first
    purchase day ever (``first_purchase_days`` of every purchase).
    """
    starts = month_starts.astype("datetime64[D]")
    active, defected = defection_by_month(customer_ids, days, starts, active_days=active_days)
    sizes, returned = cohort_triangle(
        customer_ids, days, first_ids, first_days, starts[0].item(), starts.size - 1
    )
    return RetentionCounts(active=active, defected=defected, sizes=sizes, returned=returned)
