"""The relationships dashboard's figures: CLV distribution, value tiers, health bands, defection, cohorts.

Definitions (the page and the API say the same):

- A *purchase* is a paid or fulfilled order; a customer's purchase day is the order's day in the site's
  time zone. Months are calendar months in that time zone. The time charts cover the last 12 or 24
  *whole* months: the current month, still running, is left out.
- *Active* at a moment t: at least one purchase in the 365 days before t (on a day d with
  t - 365 days <= d < t). The *defection rate* of month m is the share of the customers active at the
  start of m (the end of m - 1) who are no longer active at its end: they bought nothing in m and their
  last purchase fell more than 365 days before m ended. Customers who come back later are counted
  again from then on. Computed from orders only (numerics/retention.py).
- *Cohort retention*: customers are grouped by the month of their first purchase ever (cohorts of the
  months shown, at most 24). The cell (cohort c, month k) is the share of the cohort who made a purchase
  in calendar month c + k, for k = 1, 2, ...; a cell not yet over (past the last whole month) is empty.
- *CLV distribution*: customers by the CLV of the latest fit, in log-scaled bins with 1-2-5 steps
  (under 1, 1-2, 2-5, 5-10, 10-20, ...) up to the bin holding the largest value; each bin holds values
  from its lower edge, included, to its upper edge, excluded.
- *Health bands* and *value at risk* are those of the latest health scores (numerics/health.py); the
  at-risk table lists the at-risk band's customers with the largest value at risk, optionally of one
  value tier.

Where defection and cohorts come from: the purchase history the latest value refresh counted and stored
(services/history.py; daily, and after every order import), as of that refresh. When the month has turned
since, the page shows the whole months before the refresh's month, as the page stood then. Only with no
history stored (before the first refresh, or one counted in another time zone) are the orders read at the
request.

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
from django.db.models import Case, Count, IntegerField, Max, Min, QuerySet, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from rapport.accounts.permissions import Actor
from rapport.commerce.models import Order, OrderStatus
from rapport.customers.selectors import customers_visible_to
from rapport.insights.models import (
    CustomerValue,
    HealthBand,
    HealthScore,
    PurchaseHistory,
    ValueModelFit,
    ValueTier,
)
from rapport.insights.numerics.retention import ACTIVE_DAYS, RetentionCounts, retention_counts

RANGES = (12, 24)
DEFAULT_MONTHS = 12
# The refresh stores this many months: every range offered is a window of them.
HISTORY_MONTHS = max(RANGES)
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


# Figures


@dataclass(frozen=True)
class DefectionMonth:
    month: str
    active_at_start: int
    defected: int
    active_at_end: int

    @property
    def rate(self) -> float | None:
        return round(self.defected / self.active_at_start, 4) if self.active_at_start else None


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
    # When the refresh counted the defection and cohort figures; None when read from the orders just now.
    history_as_of: datetime | None
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
    found = values.aggregate(largest=Max("clv"), n=Count("pk"), total=Sum("clv"))
    if found["largest"] is None:
        return [], 0, ZERO
    edges = clv_edges(found["largest"])
    # Each value's bin by one CASE, grouped: one pass, where a filtered sum per bin took twice as long.
    index = Case(
        *[When(clv__lt=high, then=Value(i)) for i, high in enumerate(edges[1:])], output_field=IntegerField()
    )
    rows = {
        row["bin"]: row
        for row in values.annotate(bin=index).values("bin").annotate(n=Count("pk"), total=Sum("clv"))
    }
    bins = [
        Bin(
            low=low,
            high=high,
            customers=rows[i]["n"] if i in rows else 0,
            total_clv=_cents(rows[i]["total"] if i in rows else None),
        )
        for i, (low, high) in enumerate(pairwise(edges))
    ]
    return bins, found["n"], _cents(found["total"])


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


# Defection and cohorts: the stored history, or the orders read now


@dataclass(frozen=True)
class History:
    """The defection and cohort counts of the months shown, and when they were counted."""

    months: Months
    counts: RetentionCounts
    # The refresh that counted them; None when the orders were read for this request.
    as_of: datetime | None


def purchase_history(months: Months) -> History:
    """The counts of ``months`` from the latest stored history (one query), or from the orders without one.

    A stored history holds the ``HISTORY_MONTHS`` whole months before its refresh's month. Months asked
    for past its last (the month has turned since the refresh) give its latest months instead: the page as
    it stood at the refresh, whose time it shows, like the values and health scores beside them. Months
    before its first are read from the orders.
    """
    stored = (
        PurchaseHistory.objects.filter(time_zone=timezone.get_current_timezone_name())
        .order_by("-as_of", "-pk")
        .first()
    )
    if stored is None or months.count > stored.months:
        return History(months=months, counts=read_purchase_history(months), as_of=None)
    offset = _months_between(stored.first_month, months.first)
    if offset < 0:
        return History(months=months, counts=read_purchase_history(months), as_of=None)
    offset = min(offset, stored.months - months.count)
    counts = RetentionCounts.from_lists(
        stored.active, stored.defected, stored.cohort_sizes, stored.cohort_returned
    )
    shown = Months(first=_add_months(stored.first_month, offset), count=months.count)
    return History(months=shown, counts=counts.window(offset, months.count), as_of=stored.as_of)


def _months_between(first: date, later: date) -> int:
    return int(np.datetime64(later, "M") - np.datetime64(first, "M"))


def _add_months(first: date, months: int) -> date:
    return (np.datetime64(first, "M") + months).astype("datetime64[D]").astype(date)


def read_purchase_history(months: Months) -> RetentionCounts:
    """The counts of ``months`` from the orders: every purchase day that can count (seconds on a large
    store; the refresh does this so that pages need not)."""
    ids, days = purchase_days(months)
    first_ids, first_days = first_purchases(months)
    return retention_counts(ids, days, first_ids, first_days, months.starts)


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


def _figures(history: History) -> tuple[list[DefectionMonth], list[Cohort]]:
    counts, labels, count = history.counts, history.months.labels(), history.months.count
    defection = [
        DefectionMonth(
            month=labels[i],
            active_at_start=int(counts.active[i]),
            defected=int(counts.defected[i]),
            active_at_end=int(counts.active[i + 1]),
        )
        for i in range(count)
    ]
    cohorts = [
        Cohort(
            month=labels[c],
            size=int(counts.sizes[c]),
            shares=[round(int(counts.returned[c, k]) / int(counts.sizes[c]), 4) for k in range(1, count - c)],
        )
        for c in range(count)
        if counts.sizes[c]
    ]
    return defection, cohorts


def relationships_report(actor: Actor, *, months: Months, tier: str = "") -> RelationshipsReport:
    """Every figure of the relationships dashboard; ``tier`` narrows the at-risk table only.

    The months shown are ``months`` unless the stored history is older (see ``purchase_history``).
    """
    customers_visible_to(actor)  # the permission check: customers.view
    if tier and tier not in ValueTier.values:
        raise ValueError(f"choose a tier: {', '.join(ValueTier.values)}")
    values = CustomerValue.objects.order_by()
    bins, valued, total = _bins(values)
    history = purchase_history(months)
    defection, cohorts = _figures(history)

    return RelationshipsReport(
        months=history.months,
        history_as_of=history.as_of,
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
