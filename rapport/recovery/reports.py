"""The recovery report: what recoveries cost, by reason and kind, month by month, and what followed.

"What followed" compares two groups of customers over the same twelve months: those who were granted a
recovery, and those who complained (opened a conversation) and were granted none. For each group, the
share who ordered again within 90 days of the recovery (or of the complaint). Only customers whose 90
days have passed are counted, so a recent recovery does not count as "did not buy again" yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Min, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from rapport.accounts.permissions import Actor, Perm
from rapport.commerce.models import Order
from rapport.desk.models import Conversation
from rapport.recovery.models import GRANTED_STATUSES, ActionKind, Reason, RecoveryAction
from rapport.recovery.money import cents

MONTHS = 12
FOLLOW_UP_DAYS = 90
CHUNK = 5000


def _months(now: datetime, months: int) -> list[date]:
    today = timezone.localdate(now)
    index = today.year * 12 + today.month - 1 - (months - 1)
    return [date((index + n) // 12, (index + n) % 12 + 1, 1) for n in range(months)]


def report_currencies(actor: Actor) -> list[str]:
    """Currencies recoveries were granted in, the most used first."""
    actor.require(Perm.RECOVERY_VIEW)
    rows = (
        RecoveryAction.objects.filter(status__in=GRANTED_STATUSES)
        .order_by()
        .values("currency")
        .annotate(n=Count("id"))
        .order_by("-n", "currency")
    )
    return [row["currency"] for row in rows] or ["EUR"]


@dataclass(frozen=True)
class CostReport:
    currency: str
    labels: list[str]
    # Per reason (then per kind): its label and its cost in each month.
    by_reason: list[dict[str, object]]
    by_kind: list[dict[str, object]]
    total: Decimal
    count: int


def cost_over_time(
    actor: Actor, *, currency: str, now: datetime | None = None, months: int = MONTHS
) -> CostReport:
    """The value granted (approved, sent or done) per month, stacked by reason and by kind."""
    actor.require(Perm.RECOVERY_VIEW)
    now = now or timezone.now()
    slots = _months(now, months)
    start = timezone.make_aware(datetime(slots[0].year, slots[0].month, 1))
    index = {slot: position for position, slot in enumerate(slots)}
    rows = (
        RecoveryAction.objects.filter(status__in=GRANTED_STATUSES, currency=currency, decided_at__gte=start)
        .annotate(month=TruncMonth("decided_at"))
        .order_by()
        .values("month", "reason", "kind")
        .annotate(total=Sum("amount"), n=Count("id"))
    )
    by_reason: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0.00")] * months)
    by_kind: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0.00")] * months)
    total = Decimal("0.00")
    count = 0
    for row in rows:
        month = row["month"]
        key = date(month.year, month.month, 1)
        position = index.get(key)
        if position is None:
            continue
        amount = cents(row["total"] or 0)
        by_reason[row["reason"]][position] += amount
        by_kind[row["kind"]][position] += amount
        total += amount
        count += row["n"]

    def series(values: dict[str, list[Decimal]], choices: list[tuple[str, str]]) -> list[dict[str, object]]:
        return [
            {
                "key": key,
                "label": str(label),
                "amounts": [float(v) for v in values[key]],
                "total": str(cents(sum(values[key], Decimal(0)))),
            }
            for key, label in choices
            if key in values
        ]

    return CostReport(
        currency=currency,
        labels=[slot.strftime("%Y-%m") for slot in slots],
        by_reason=series(by_reason, Reason.choices),
        by_kind=series(by_kind, ActionKind.choices),
        total=cents(total),
        count=count,
    )


@dataclass(frozen=True)
class Group:
    label: str
    customers: int
    bought_again: int
    # Customers whose 90 days have not passed yet: not counted either way.
    still_open: int

    @property
    def share(self) -> float | None:
        return self.bought_again / self.customers if self.customers else None

    @property
    def percent(self) -> str:
        share = self.share
        return "—" if share is None else f"{share * 100:.0f}%"


def _bought_again(first_at: dict[int, datetime], *, now: datetime) -> Group:
    cutoff = now - timedelta(days=FOLLOW_UP_DAYS)
    matured = {customer: at for customer, at in first_at.items() if at <= cutoff}
    window = timedelta(days=FOLLOW_UP_DAYS)
    bought = 0
    ids = sorted(matured)
    # In chunks: SQLite takes a bounded number of parameters in one query.
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        earliest = min(matured[customer] for customer in chunk)
        orders: dict[int, list[datetime]] = defaultdict(list)
        for customer_id, placed_at in (
            Order.objects.filter(customer_id__in=chunk, placed_at__gt=earliest)
            .exclude(status="cancelled")
            .values_list("customer_id", "placed_at")
        ):
            orders[customer_id].append(placed_at)
        bought += sum(
            1
            for customer in chunk
            if any(matured[customer] < placed <= matured[customer] + window for placed in orders[customer])
        )
    return Group(
        label="", customers=len(matured), bought_again=bought, still_open=len(first_at) - len(matured)
    )


@dataclass(frozen=True)
class FollowUp:
    recovered: Group
    not_recovered: Group
    since: datetime


def bought_again_after(actor: Actor, *, now: datetime | None = None, months: int = MONTHS) -> FollowUp:
    """Recovered customers against customers whose complaint got no recovery: who ordered again in 90 days."""
    actor.require(Perm.RECOVERY_VIEW)
    now = now or timezone.now()
    since = now - timedelta(days=round(months * 30.44))
    granted = RecoveryAction.objects.filter(status__in=GRANTED_STATUSES, decided_at__gte=since).order_by()
    recovered = {
        row["customer_id"]: row["first"]
        for row in granted.values("customer_id").annotate(first=Min("decided_at"))
    }
    recovered_ids = granted.values("customer_id")
    complained = {
        row["customer_id"]: row["first"]
        for row in Conversation.objects.filter(created_at__gte=since, merged_into__isnull=True)
        .exclude(customer_id__in=recovered_ids)
        .order_by()
        .values("customer_id")
        .annotate(first=Min("created_at"))
    }
    with_recovery = _bought_again(recovered, now=now)
    without = _bought_again(complained, now=now)
    return FollowUp(
        recovered=Group(
            "Recovered customers",
            with_recovery.customers,
            with_recovery.bought_again,
            with_recovery.still_open,
        ),
        not_recovered=Group(
            "Complained, no recovery", without.customers, without.bought_again, without.still_open
        ),
        since=since,
    )
