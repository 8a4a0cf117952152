"""Reads for recovery: actions scoped to who asks, what was already granted, value tiers and policies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor, Perm
from rapport.commerce.models import Order, OrderLine, OrderStatus
from rapport.core.errors import NotFound
from rapport.customers.models import Customer
from rapport.customers.tiers import registered_tier
from rapport.desk.models import Conversation
from rapport.desk.selectors.conversations import private_team_ids_hidden_from
from rapport.recovery import rules
from rapport.recovery.models import (
    GRANTED_STATUSES,
    RESERVING_STATUSES,
    ActionKind,
    ActionStatus,
    EmpowermentPolicy,
    PolicyRole,
    RecoveryAction,
    RecoveryLine,
)
from rapport.recovery.money import cents

# Customer value tiers, from what the customer paid in the last 365 days (orders paid or fulfilled, at
# face value whatever their currency). A stand-in until lifetime value exists: a later issue swaps
# customer_value_tier for CLV tiers, and policies keep their tier names. Highest threshold first.
TIER_WINDOW_DAYS = 365
TIER_THRESHOLDS: tuple[tuple[str, Decimal], ...] = (
    ("platinum", Decimal("1500")),
    ("gold", Decimal("500")),
    ("silver", Decimal("200")),
)
STANDARD_TIER = "standard"
TIERS = (STANDARD_TIER, *(name for name, _ in reversed(TIER_THRESHOLDS)))
PAID_ORDER_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)
# "Repeated recoveries" looks back this far.
REPEAT_WINDOW_DAYS = 365


def _sum(queryset: QuerySet[Any], field: str = "amount") -> Decimal:
    # SQLite sums decimals as floating point; back to cents.
    return cents(queryset.aggregate(total=Sum(field))["total"] or 0)


# Actions, as far as the actor may see them


def actions_visible_to(actor: Actor) -> QuerySet[RecoveryAction]:
    """Every action but those on conversations of private teams the actor may not see."""
    actor.require(Perm.RECOVERY_VIEW)
    actions = RecoveryAction.objects.all()
    hidden = private_team_ids_hidden_from(actor)
    if hidden:
        actions = actions.filter(
            Q(conversation__isnull=True)
            | Q(conversation__team__isnull=True)
            | ~Q(conversation__team_id__in=hidden)
            | Q(conversation__assignee=actor.user)
        )
    return actions


def _with_details(actions: QuerySet[RecoveryAction]) -> QuerySet[RecoveryAction]:
    return actions.select_related(
        "customer", "order", "requested_by", "approved_by", "declined_by", "conversation"
    ).prefetch_related(
        Prefetch("lines", queryset=RecoveryLine.objects.select_related("order_line").order_by("id"))
    )


def access_action(actor: Actor, action_id: int) -> RecoveryAction:
    action = _with_details(actions_visible_to(actor)).filter(pk=action_id).first()
    if action is None:
        raise NotFound(f"no recovery action {action_id}", code="recovery_action_not_found")
    return action


def actions_of_conversation(actor: Actor, conversation: Conversation) -> list[RecoveryAction]:
    """The conversation's actions, newest first (the caller has already checked the conversation)."""
    actor.require(Perm.RECOVERY_VIEW)
    return list(_with_details(RecoveryAction.objects.filter(conversation=conversation)).order_by("-id"))


def search_actions(
    actor: Actor,
    *,
    conversation_id: int | None = None,
    customer_id: int | None = None,
    status: str = "",
    kind: str = "",
) -> QuerySet[RecoveryAction]:
    actions = actions_visible_to(actor)
    if conversation_id is not None:
        actions = actions.filter(conversation_id=conversation_id)
    if customer_id is not None:
        actions = actions.filter(customer_id=customer_id)
    if status:
        actions = actions.filter(status=status)
    if kind:
        actions = actions.filter(kind=kind)
    return _with_details(actions).order_by("-created_at", "-id")


def approvals_queue(actor: Actor) -> QuerySet[RecoveryAction]:
    """Actions waiting for a lead, oldest first."""
    actor.require(Perm.RECOVERY_APPROVE)
    return _with_details(actions_visible_to(actor).filter(status=ActionStatus.PROPOSED)).order_by(
        "created_at", "id"
    )


# Value tiers


def paid_last_year(customer: Customer, *, now: datetime | None = None) -> Decimal:
    return _sum(_paid_orders(customer.pk, now or timezone.now()).order_by(), "total")


def tier_for_total(total: Decimal) -> str:
    for name, threshold in TIER_THRESHOLDS:
        if total >= threshold:
            return name
    return STANDARD_TIER


def customer_value_tier(customer: Customer, *, now: datetime | None = None) -> str:
    """The lifetime-value tier when the customer has one (customers.tiers); else standard, silver (200+
    paid in 365 days), gold (500+) or platinum (1,500+)."""
    tier = registered_tier(customer)
    if tier:
        return tier
    return tier_for_total(paid_last_year(customer, now=now))


# Policies and what was already granted


def policy_role(user: User) -> str:
    """Which role's policy applies: admins act under the leads' policy (they approve everything else)."""
    return PolicyRole.LEAD if user.role in (Role.LEAD, Role.ADMIN) else PolicyRole.AGENT


def policy_for(user: User) -> EmpowermentPolicy | None:
    """The policy of the user's role in their team, else of their role for everyone, else none."""
    role = policy_role(user)
    # Raw, like _figures: every proposal asks, and compiling the ORM query cost more than running it.
    table = connection.ops.quote_name(EmpowermentPolicy._meta.db_table)
    candidates = EmpowermentPolicy.objects.raw(
        f"SELECT * FROM {table} WHERE role = %s AND (team_id IS NULL OR team_id = %s)",  # noqa: S608
        [str(role), user.team_id],
    )
    policies = {policy.team_id: policy for policy in candidates}
    return policies.get(user.team_id) if user.team_id in policies else policies.get(None)


def limits_of(policy: EmpowermentPolicy) -> rules.Limits:
    return rules.Limits(
        role=policy.role,
        currency=policy.currency,
        per_action=policy.per_action_limit,
        per_customer=policy.per_customer_limit,
        per_customer_window_days=policy.per_customer_window_days,
        per_agent_daily=policy.per_agent_daily_limit,
        kinds_needing_approval=frozenset(policy.kinds_needing_approval),
        tier_multipliers={tier: Decimal(str(value)) for tier, value in policy.tier_multipliers.items()},
    )


def start_of_day(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def _paid_orders(customer_id: int, now: datetime) -> QuerySet[Order]:
    since = now - timedelta(days=TIER_WINDOW_DAYS)
    return Order.objects.filter(customer_id=customer_id, status__in=PAID_ORDER_STATUSES, placed_at__gte=since)


def _figures(
    *, customer: Customer, user: User, policy: EmpowermentPolicy, now: datetime, exclude_id: int | None = None
) -> tuple[Decimal, rules.Granted]:
    """What the customer paid this year (their tier) and what was granted already, in one query.

    Granted to the customer within the window: everything approved, by anyone, automatically or not
    (the customer's exposure). By this person today: what they granted alone (their own budget); what a
    lead approved for them was the lead's decision.

    Written as SQL: this runs for every proposal, and the ORM took ten times longer to compile the three
    subqueries than the database took to answer them (bench/recovery_policy.py). Every value is a
    parameter; the names come from the models.
    """
    ops = connection.ops
    orders, actions = (ops.quote_name(model._meta.db_table) for model in (Order, RecoveryAction))
    granted = ", ".join(["%s"] * len(GRANTED_STATUSES))
    paid = ", ".join(["%s"] * len(PAID_ORDER_STATUSES))
    excluded = " AND id <> %s" if exclude_id is not None else ""
    statuses = [str(status) for status in GRANTED_STATUSES]
    common = [policy.currency, *statuses, *([exclude_id] if exclude_id is not None else [])]
    sql = (
        f"SELECT (SELECT SUM(total) FROM {orders} WHERE customer_id = %s AND placed_at >= %s"  # noqa: S608
        f" AND status IN ({paid})),"
        f" (SELECT SUM(amount) FROM {actions} WHERE customer_id = %s AND decided_at > %s"
        f" AND currency = %s AND status IN ({granted}){excluded}),"
        f" (SELECT SUM(amount) FROM {actions} WHERE requested_by_id = %s AND approved_automatically = %s"
        f" AND decided_at >= %s AND currency = %s AND status IN ({granted}){excluded})"
    )
    params: list[Any] = [
        customer.pk,
        ops.adapt_datetimefield_value(now - timedelta(days=TIER_WINDOW_DAYS)),
        *(str(status) for status in PAID_ORDER_STATUSES),
        customer.pk,
        ops.adapt_datetimefield_value(now - timedelta(days=policy.per_customer_window_days)),
        *common,
        user.pk,
        True,
        ops.adapt_datetimefield_value(start_of_day(now)),
        *common,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone() or (None, None, None)
    return cents(row[0] or 0), rules.Granted(
        customer_in_window=cents(row[1] or 0), agent_today=cents(row[2] or 0)
    )


def granted_amounts(
    *, customer: Customer, user: User, policy: EmpowermentPolicy, now: datetime, exclude_id: int | None = None
) -> rules.Granted:
    """What was granted already, in the policy's currency (see _figures)."""
    return _figures(customer=customer, user=user, policy=policy, now=now, exclude_id=exclude_id)[1]


@dataclass(frozen=True)
class Evaluation:
    decision: rules.Decision
    policy: EmpowermentPolicy | None


def evaluate(
    *,
    user: User,
    customer: Customer,
    kind: str,
    amount: Decimal,
    currency: str,
    now: datetime,
    exclude_id: int | None = None,
) -> Evaluation:
    """The policy's decision on a new action: two queries (the policy; the tier and the amounts granted),
    then the pure rules."""
    policy = policy_for(user)
    proposal = rules.Proposal(kind=kind, amount=amount, currency=currency)
    role = policy_role(user)
    if policy is None:
        tier = customer_value_tier(customer, now=now)
        return Evaluation(
            decision=rules.decide(None, role=role, tier=tier, granted=rules.Granted(), proposal=proposal),
            policy=None,
        )
    paid, granted = _figures(customer=customer, user=user, policy=policy, now=now, exclude_id=exclude_id)
    decision = rules.decide(
        limits_of(policy), role=role, tier=tier_for_total(paid), granted=granted, proposal=proposal
    )
    return Evaluation(decision=decision, policy=policy)


def limits_summary(actor: Actor, customer: Customer) -> dict[str, str]:
    """What the actor may grant alone for this customer, and the customer's tier, for the panel."""
    actor.require(Perm.RECOVERY_VIEW)
    tier = customer_value_tier(customer)
    policy = policy_for(actor.user)
    if policy is None:
        who = rules.ROLE_PLURALS[policy_role(actor.user)]
        text = f"There is no empowerment policy for {who}: every action waits for approval."
    else:
        text = rules.describe_limits(limits_of(policy), tier=tier)
    return {"tier": tier, "text": text}


def policies_visible_to(actor: Actor) -> QuerySet[EmpowermentPolicy]:
    actor.require(Perm.RECOVERY_VIEW)
    return EmpowermentPolicy.objects.select_related("team", "updated_by").order_by("role", "team__name", "id")


def access_policy(actor: Actor, policy_id: int) -> EmpowermentPolicy:
    policy = policies_visible_to(actor).filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(f"no empowerment policy {policy_id}", code="policy_not_found")
    return policy


# Repeated recoveries


@dataclass(frozen=True)
class RepeatedRecoveries:
    count: int
    # Per currency, largest first: most customers have one.
    totals: list[tuple[str, Decimal]]

    @property
    def total_text(self) -> str:
        from rapport.recovery.money import format_money

        return " + ".join(format_money(total, currency) for currency, total in self.totals)


def repeated_recoveries(
    actor: Actor, customer: Customer, *, now: datetime | None = None
) -> RepeatedRecoveries:
    """How many recoveries the customer was granted in the last 12 months, and worth how much: information."""
    actor.require(Perm.RECOVERY_VIEW)
    since = (now or timezone.now()) - timedelta(days=REPEAT_WINDOW_DAYS)
    rows = (
        RecoveryAction.objects.filter(customer=customer, status__in=GRANTED_STATUSES, decided_at__gt=since)
        .order_by()
        .values("currency")
        .annotate(count=Count("id"), total=Sum("amount"))
    )
    totals = sorted(((row["currency"], cents(row["total"] or 0)) for row in rows), key=lambda r: -r[1])
    return RepeatedRecoveries(count=sum(row["count"] for row in rows), totals=totals)


# Refunds: what is left to refund on an order and its lines


@dataclass(frozen=True)
class Refundable:
    order_remaining: Decimal
    # order line id -> what is left to refund on it
    lines: dict[int, Decimal]


def refundable(order: Order, lines: Iterable[OrderLine]) -> Refundable:
    """What was paid minus what refunds (proposed or granted) already hold, per line and for the order.

    Called with the order and its lines locked, so what it reads cannot change before the new refund
    is written.
    """
    refunds = RecoveryAction.objects.filter(
        order=order, kind=ActionKind.REFUND, status__in=RESERVING_STATUSES
    )
    held_on_order = _sum(refunds.order_by())
    held_on_lines = {
        row["order_line_id"]: cents(row["total"] or 0)
        for row in RecoveryLine.objects.filter(action__in=refunds)
        .order_by()
        .values("order_line_id")
        .annotate(total=Sum("amount"))
    }
    return Refundable(
        order_remaining=max(cents(order.total) - held_on_order, Decimal("0.00")),
        lines={
            line.pk: max(cents(line.line_total) - held_on_lines.get(line.pk, Decimal(0)), Decimal("0.00"))
            for line in lines
        },
    )


def orders_to_choose(actor: Actor, customer: Customer, *, limit: int = 5) -> list[Order]:
    """The customer's latest orders with their lines, for the panel's form."""
    actor.require(Perm.COMMERCE_VIEW)
    return list(
        Order.objects.filter(customer=customer)
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
        .order_by("-placed_at", "-id")[:limit]
    )
