"""The relationships dashboard's figures: CLV distribution, value tiers, health bands, defection, cohorts.

Definitions (the page and the API say the same):

- A *purchase* is a paid or fulfilled order; a customer's purchase day is the order's day in the site's
  time zone. Months are calendar months in that time zone. The time charts cover the last 12 or 24
  *whole* months: the current month, still running, is left out.
- *Active* at a moment t: at least one purchase in the 365 days before t (on a day d with
  t - 365 days <= d < t). The *defection rate* of month m is the share of the customers active at the
  start of m (the end of m - 1) who are no longer active at its end: they bought nothing in m and their
  last purchase fell more than 365 days before m ended. Customers who come back later are counted
  again from then on. Computed from orders only, in one pass over the distinct (customer, day) pairs:
  each purchase makes its customer active at the month ends within 365 days after it, an interval of
  month-end indexes, and a difference array summed along each customer's row gives activity at every
  month end at once.
- *Cohort retention*: customers are grouped by the month of their first purchase ever (cohorts of the
  months shown, at most 24). The cell (cohort c, month k) is the share of the cohort who made a purchase
  in calendar month c + k, for k = 1, 2, ...; a cell not yet over (past the last whole month) is empty.
- *CLV distribution*: customers by the CLV of the latest fit, in log-scaled bins with 1-2-5 steps
  (under 1, 1-2, 2-5, 5-10, 10-20, ...) up to the bin holding the largest value; each bin holds values
  from its lower edge, included, to its upper edge, excluded.
- *Health bands* and *value at risk* are those of the latest health scores (numerics/health.py); the
  at-risk table lists the at-risk band's customers with the largest value at risk, optionally of one
  value tier.

Who sees it: everyone with customers.view (every staff role serves every customer). Nothing here is per
agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import pairwise
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, DecimalField, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from rapport.accounts.permissions import Actor
from rapport.commerce.models import Order, OrderStatus
from rapport.customers.selectors import customers_visible_to
from rapport.insights.models import CustomerValue, HealthBand, HealthScore, ValueModelFit, ValueTier

RANGES = (12, 24)
DEFAULT_MONTHS = 12
ACTIVE_DAYS = 365
PURCHASE_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)
AT_RISK_ROWS = 20
# The at-risk table lists both bands below healthy: a valuable customer on watch is worth a call too.
NOT_HEALTHY = (HealthBand.WATCH, HealthBand.AT_RISK)
# The cohorts drawn as lines (the table shows every one): the largest, so the lines are not noise.
CHART_COHORTS = 6
ZERO = Decimal("0")
CENT = Decimal("0.01")


# The months


@dataclass(frozen=True)
class Months:
    """Whole calendar months, ``count`` of them from ``first`` (the first day of the first month)."""

    first: date
    count: int

    @property
    def starts(self) -> np.ndarray:
        """The first day of each month and of the month after the last: count + 1 days."""
        first = np.datetime64(self.first, "M")
        return (first + np.arange(self.count + 1)).astype("datetime64[D]")

    @property
    def last(self) -> date:
        """The last day of the last month."""
        return (self.starts[-1] - np.timedelta64(1, "D")).astype(date)

    def labels(self) -> list[str]:
        return [str(month) for month in self.starts[:-1].astype("datetime64[M]")]


def months_of(count: int = DEFAULT_MONTHS, *, today: date | None = None) -> Months:
    """The last ``count`` whole months before today's month; ValueError for a count not offered."""
    if count not in RANGES:
        raise ValueError(f"choose {' or '.join(map(str, RANGES))} months")
    today = today or timezone.localdate()
    this_month = np.datetime64(today, "M")
    first = (this_month - count).astype("datetime64[D]").astype(date)
    return Months(first=first, count=count)


def _moment(day: np.datetime64) -> datetime:
    return timezone.make_aware(datetime.combine(day.astype(date), time.min))


# Defection and cohorts (pure numpy, over distinct purchase days)


@dataclass(frozen=True)
class DefectionMonth:
    month: str
    active_at_start: int
    defected: int
    active_at_end: int

    @property
    def rate(self) -> float | None:
        return round(self.defected / self.active_at_start, 4) if self.active_at_start else None


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
    first, column 0 is the cohort itself).
    """
    start = np.datetime64(first_month, "M")
    cohort = first_days.astype("datetime64[M]") - start
    keep = (cohort >= np.timedelta64(0, "M")) & (cohort < np.timedelta64(count, "M"))
    members, member_cohort = first_ids[keep], cohort[keep].astype(np.int64)
    sizes = np.bincount(member_cohort, minlength=count)
    returned = np.zeros((count, count), dtype=np.int64)
    if members.size == 0 or customer_ids.size == 0:
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


# Figures


@dataclass(frozen=True)
class Bin:
    low: Decimal
    high: Decimal | None  # None: the open top (never, in practice: the bins reach past the largest)
    customers: int
    total_clv: Decimal

    @property
    def label(self) -> str:
        if self.low == 0:
            return f"under {self.high:,.0f}"
        return f"{self.low:,.0f}–{self.high:,.0f}" if self.high is not None else f"{self.low:,.0f} and up"


@dataclass(frozen=True)
class Group:
    """Customers and an amount for one tier or band."""

    key: str
    label: str
    customers: int
    amount: Decimal


@dataclass(frozen=True)
class AtRisk:
    customer_id: int
    name: str
    tier: str
    score: float
    p_alive: float | None
    clv: Decimal
    value_at_risk: Decimal
    reasons: list[str]


@dataclass(frozen=True)
class Cohort:
    month: str
    size: int
    # month k after the first (k = 1, 2, ...): share who bought, None while month k is not over
    shares: list[float | None]

    def cells(self, width: int) -> list[float | None]:
        return self.shares + [None] * (width - len(self.shares))


@dataclass(frozen=True)
class RelationshipsReport:
    months: Months
    tier: str
    fit: ValueModelFit | None
    valued_customers: int
    total_clv: Decimal
    bins: list[Bin]
    tiers: list[Group]
    bands: list[Group]
    at_risk: list[AtRisk]
    defection: list[DefectionMonth]
    cohorts: list[Cohort]

    @property
    def cohort_width(self) -> int:
        return max((len(cohort.shares) for cohort in self.cohorts), default=0)

    def chart(self) -> dict[str, Any]:
        drawn = sorted(self.cohorts, key=lambda cohort: -cohort.size)[:CHART_COHORTS]
        return {
            "bins": {
                "labels": [item.label for item in self.bins],
                "customers": [item.customers for item in self.bins],
                "total_clv": [float(item.total_clv) for item in self.bins],
            },
            "tiers": [
                {"label": g.label, "customers": g.customers, "amount": float(g.amount)} for g in self.tiers
            ],
            "bands": [
                {"key": g.key, "label": g.label, "customers": g.customers, "amount": float(g.amount)}
                for g in self.bands
            ],
            "defection": {
                "labels": [row.month for row in self.defection],
                "rate": [row.rate for row in self.defection],
                "active": [row.active_at_start for row in self.defection],
            },
            "cohorts": {
                "months_after": list(range(1, self.cohort_width + 1)),
                "lines": [
                    {"label": f"{cohort.month} ({cohort.size})", "shares": cohort.shares}
                    for cohort in sorted(drawn, key=lambda cohort: cohort.month)
                    if cohort.shares
                ],
            },
        }


def clv_edges(largest: Decimal) -> list[Decimal]:
    """0, then 1, 2, 5, 10, 20, 50, ... up to the first edge above ``largest``."""
    edges = [ZERO, Decimal(1)]
    step = 0
    while edges[-1] <= largest:
        decade, position = divmod(step, 3)
        edges.append(Decimal((2, 5, 10)[position]) * Decimal(10) ** decade)
        step += 1
    return edges


def _cents(amount: Decimal | None) -> Decimal:
    """Sums come back with as many places as the database keeps (SQLite: fewer); money has two."""
    return Decimal(amount or 0).quantize(CENT)


def _bins(values: QuerySet[CustomerValue]) -> tuple[list[Bin], int, Decimal]:
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=2)
    largest = values.aggregate(largest=Max("clv"))["largest"]
    if largest is None:
        return [], 0, ZERO
    edges = clv_edges(largest)
    aggregates: dict[str, Any] = {
        "n": Count("pk"),
        "total": Coalesce(Sum("clv"), Value(ZERO), output_field=money),
    }
    for i, (low, high) in enumerate(pairwise(edges)):
        inside = Q(clv__gte=low, clv__lt=high) if i else Q(clv__lt=high)
        aggregates[f"n{i}"] = Count("pk", filter=inside)
        aggregates[f"s{i}"] = Coalesce(Sum("clv", filter=inside), Value(ZERO), output_field=money)
    row = values.aggregate(**aggregates)
    bins = [
        Bin(low=low, high=high, customers=row[f"n{i}"], total_clv=_cents(row[f"s{i}"]))
        for i, (low, high) in enumerate(pairwise(edges))
    ]
    return bins, row["n"], _cents(row["total"])


def _groups(rows: QuerySet[Any], key: str, amount: str, choices: list[tuple[str, str]]) -> list[Group]:
    found = {row[key]: row for row in rows.values(key).annotate(n=Count("pk"), amount=Sum(amount))}
    return [
        Group(
            key=value,
            label=label,
            customers=found[value]["n"] if value in found else 0,
            amount=_cents(found[value]["amount"] if value in found else None),
        )
        for value, label in choices
    ]


def _at_risk(actor: Actor, tier: str) -> list[AtRisk]:
    scores = (
        HealthScore.objects.filter(band__in=NOT_HEALTHY, customer__in=customers_visible_to(actor))
        .select_related("customer", "customer__value")
        .order_by("-value_at_risk", "customer_id")
    )
    if tier:
        scores = scores.filter(customer__value__tier=tier)
    rows = []
    for health in scores[:AT_RISK_ROWS]:
        value = getattr(health.customer, "value", None)
        rows.append(
            AtRisk(
                customer_id=health.customer_id,
                name=str(health.customer),
                tier=value.tier if value is not None else "",
                score=health.score,
                p_alive=health.p_alive,
                clv=health.clv,
                value_at_risk=health.value_at_risk,
                reasons=[
                    str(reason.get("text", "")) for reason in health.reasons if isinstance(reason, dict)
                ],
            )
        )
    return rows


def purchase_days(months: Months) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (customer, purchase day) pairs from 365 days before the first month to the last month's
    end: every purchase that can make a customer active at a month end shown."""
    starts = months.starts
    pairs = list(
        Order.objects.filter(
            status__in=PURCHASE_STATUSES,
            placed_at__gte=_moment(starts[0] - np.timedelta64(ACTIVE_DAYS, "D")),
            placed_at__lt=_moment(starts[-1]),
        )
        .order_by()
        .annotate(day=TruncDate("placed_at"))
        .values_list("customer_id", "day")
        .distinct()
    )
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype="datetime64[D]")
    ids, days = zip(*pairs, strict=True)
    return np.array(ids, dtype=np.int64), np.array(days, dtype="datetime64[D]")


def first_purchases(months: Months) -> tuple[np.ndarray, np.ndarray]:
    """Each customer whose first purchase ever fell in the months shown, with its day."""
    starts = months.starts
    rows = list(
        Order.objects.filter(status__in=PURCHASE_STATUSES)
        .order_by()
        .values("customer_id")
        .annotate(first=Min("placed_at"))
        .filter(first__gte=_moment(starts[0]), first__lt=_moment(starts[-1]))
        .values_list("customer_id", "first")
    )
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype="datetime64[D]")
    return (
        np.array([row[0] for row in rows], dtype=np.int64),
        np.array([timezone.localtime(row[1]).date() for row in rows], dtype="datetime64[D]"),
    )


def relationships_report(actor: Actor, *, months: Months, tier: str = "") -> RelationshipsReport:
    """Every figure of the relationships dashboard; ``tier`` narrows the at-risk table only."""
    customers_visible_to(actor)  # the permission check: customers.view
    if tier and tier not in ValueTier.values:
        raise ValueError(f"choose a tier: {', '.join(ValueTier.values)}")
    values = CustomerValue.objects.order_by()
    bins, valued, total = _bins(values)

    defection, cohorts = order_history(months)

    return RelationshipsReport(
        months=months,
        tier=tier,
        fit=ValueModelFit.objects.order_by("-fitted_at", "-pk").first(),
        valued_customers=valued,
        total_clv=total,
        bins=bins,
        tiers=list(reversed(_groups(values, "tier", "clv", ValueTier.choices))),
        bands=_groups(HealthScore.objects.order_by(), "band", "value_at_risk", HealthBand.choices),
        at_risk=_at_risk(actor, tier),
        defection=defection,
        cohorts=cohorts,
    )


def _orders_fingerprint() -> str:
    """Changes whenever an order is added, removed or changed through the commerce services."""
    found = Order.objects.order_by().aggregate(n=Count("pk"), top=Max("pk"), changed=Max("updated_at"))
    changed = found["changed"].isoformat() if found["changed"] else ""
    return f"{found['n']}:{found['top']}:{changed}"


def order_history(months: Months) -> tuple[list[DefectionMonth], list[Cohort]]:
    """The defection rates and cohorts of the months shown: the same for everyone who may see the page.

    Reading every purchase day is the page's slow part (seconds on a large store), and whole months past
    change only when orders do, so the result is cached (RAPPORT_REPORT_CACHE_SECONDS, an hour by
    default) under the orders' fingerprint: a new or changed order gives a fresh reading.
    """
    seconds = settings.RAPPORT_REPORT_CACHE_SECONDS
    if seconds <= 0:
        return _order_history(months)
    key = f"insights.relationships.history:{months.first.isoformat()}:{months.count}:{_orders_fingerprint()}"
    cached = cache.get(key)
    if cached is None:
        cached = _order_history(months)
        cache.set(key, cached, seconds)
    return cached


def _order_history(months: Months) -> tuple[list[DefectionMonth], list[Cohort]]:
    ids, days = purchase_days(months)
    active, defected = defection_by_month(ids, days, months.starts)
    labels = months.labels()
    defection = [
        DefectionMonth(
            month=labels[i],
            active_at_start=int(active[i]),
            defected=int(defected[i]),
            active_at_end=int(active[i + 1]),
        )
        for i in range(months.count)
    ]

    first_ids, first_days = first_purchases(months)
    sizes, returned = cohort_triangle(ids, days, first_ids, first_days, months.first, months.count)
    cohorts = [
        Cohort(
            month=labels[c],
            size=int(sizes[c]),
            shares=[round(int(returned[c, k]) / int(sizes[c]), 4) for k in range(1, months.count - c)],
        )
        for c in range(months.count)
        if sizes[c]
    ]
    return defection, cohorts


# CSV


TABLES = ("clv", "tiers", "bands", "at_risk", "defection", "cohorts", "fit")


def _blank(value: object) -> object:
    return "" if value is None else value


def csv_rows(report: RelationshipsReport, table: str) -> list[list[object]]:
    """Header and rows of one table of the page (text cells are made formula-safe by the writer)."""
    if table == "clv":
        return [
            ["clv_from", "clv_below", "customers", "total_clv"],
            *[[b.low, _blank(b.high), b.customers, b.total_clv] for b in report.bins],
        ]
    if table in ("tiers", "bands"):
        groups = report.tiers if table == "tiers" else report.bands
        amount = "total_clv" if table == "tiers" else "value_at_risk"
        return [[table[:-1], "customers", amount], *[[g.key, g.customers, g.amount] for g in groups]]
    if table == "at_risk":
        return [
            ["customer_id", "name", "tier", "score", "p_alive", "clv", "value_at_risk", "reasons"],
            *[
                [
                    row.customer_id,
                    row.name,
                    row.tier,
                    round(row.score, 1),
                    _blank(row.p_alive),
                    row.clv,
                    row.value_at_risk,
                    "; ".join(row.reasons),
                ]
                for row in report.at_risk
            ],
        ]
    if table == "defection":
        return [
            ["month", "active_at_start", "defected", "active_at_end", "defection_rate"],
            *[
                [row.month, row.active_at_start, row.defected, row.active_at_end, _blank(row.rate)]
                for row in report.defection
            ],
        ]
    if table == "cohorts":
        width = report.cohort_width
        return [
            ["cohort", "customers", *[f"month_{k}" for k in range(1, width + 1)]],
            *[
                [cohort.month, cohort.size, *[_blank(share) for share in cohort.cells(width)]]
                for cohort in report.cohorts
            ],
        ]
    if table == "fit":
        fit = report.fit
        if fit is None:
            return [["parameter", "value"]]
        return [
            ["parameter", "value"],
            *[
                [name, _blank(getattr(fit, name))]
                for name in ("r", "alpha", "a", "b", "log_likelihood", "p", "q", "gamma", "customers")
            ],
            ["fitted_at", fit.fitted_at.isoformat()],
            ["calibration_end", fit.calibration_end.isoformat()],
        ]
    raise ValueError(f"choose one of {', '.join(TABLES)}")
