"""Relationship health for every customer with something to say about it, and proactive outreach.

A refresh gathers each signal of numerics/health.py for all customers at once, one grouped query per
signal (values from the latest CustomerValue fit, open conversations, SLA breaches, message sentiment,
defection flags, the latest CSAT, recoveries), scores them, and replaces the stored HealthScore rows.
It runs after every value refresh and daily.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, Min, Q
from django.utils import timezone

from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import Conflict, NotFound
from rapport.customers.models import Customer
from rapport.desk.models import ACTIVE_STATUSES, Conversation
from rapport.insights.models import CustomerValue, HealthScore
from rapport.insights.numerics.health import (
    DEFAULT_WEIGHTS,
    HealthInputs,
    check_weights,
    health_of,
    value_at_risk,
)
from rapport.insights.services.refresh import Progress, money, silent
from rapport.listening.models import FollowUp, FollowUpStatus, MessageSignal, SurveyKind, SurveyResponse
from rapport.listening.services.follow_ups import open_follow_up
from rapport.recovery.models import GRANTED_STATUSES, RecoveryAction

WRITE_BATCH = 2_000
NEGATIVE_BELOW = -0.05


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def gather_inputs(now: datetime) -> dict[int, HealthInputs]:
    """Every customer's health inputs, keyed by customer id; one grouped query per signal."""
    fields: dict[int, dict[str, Any]] = defaultdict(dict)
    for customer_id, p_alive, frequency, recency, age in CustomerValue.objects.values_list(
        "customer_id", "p_alive", "frequency", "recency_days", "age_days"
    ):
        fields[customer_id].update(
            p_alive=p_alive,
            days_since_last_order=age - recency,
            typical_gap_days=recency / frequency if frequency else None,
        )
    open_rows = (
        Conversation.objects.filter(status__in=ACTIVE_STATUSES, merged_into__isnull=True)
        .values("customer_id")
        .annotate(n=Count("pk"), oldest=Min("created_at"))
        .order_by()
    )
    for row in open_rows:
        fields[row["customer_id"]].update(
            open_conversations=row["n"], oldest_open_days=max(0.0, _days(now - row["oldest"]))
        )
    breaches = (
        Conversation.objects.filter(created_at__gte=now - timedelta(days=90))
        .filter(Q(first_response_breached=True) | Q(resolution_breached=True))
        .values("customer_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in breaches:
        fields[row["customer_id"]]["sla_breaches_90d"] = row["n"]
    month = MessageSignal.objects.filter(written_at__gte=now - timedelta(days=30), written_at__lte=now)
    for row in (
        month.values("message__conversation__customer_id")
        .annotate(
            mean=Avg("sentiment_score"),
            negative=Count(
                "message__conversation", filter=Q(sentiment_score__lt=NEGATIVE_BELOW), distinct=True
            ),
        )
        .order_by()
    ):
        fields[row["message__conversation__customer_id"]].update(
            sentiment_30d=float(row["mean"]), negative_conversations_30d=row["negative"]
        )
    leaving = MessageSignal.objects.filter(written_at__gte=now - timedelta(days=90), defection=True)
    for customer_id in leaving.values_list("message__conversation__customer_id", flat=True).distinct():
        fields[customer_id]["defection_90d"] = True
    answers = SurveyResponse.objects.filter(kind=SurveyKind.CSAT, answered_at__gte=now - timedelta(days=180))
    for customer_id, score in answers.order_by("answered_at", "pk").values_list("customer_id", "score"):
        fields[customer_id]["latest_csat"] = score  # in time order: the last one written stays
    recoveries = (
        RecoveryAction.objects.filter(status__in=GRANTED_STATUSES, created_at__gte=now - timedelta(days=365))
        .values("customer_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in recoveries:
        fields[row["customer_id"]]["recoveries_12m"] = row["n"]
    return {customer_id: HealthInputs(**values) for customer_id, values in fields.items()}


def health_weights() -> Mapping[str, float]:
    """The weights in use: RAPPORT_HEALTH_WEIGHTS when set (checked: known signals adding up to 100)."""
    configured = settings.RAPPORT_HEALTH_WEIGHTS
    if not configured:
        return DEFAULT_WEIGHTS
    check_weights(configured)
    return configured


def refresh_health(*, now: datetime | None = None, progress: Progress = silent) -> int:
    """Score every customer with a value or a service signal; returns how many were scored."""
    now = now or timezone.now()
    weights = health_weights()
    inputs = gather_inputs(now)
    merged = set(Customer.objects.filter(merged_into__isnull=False).values_list("pk", flat=True))
    values = dict(CustomerValue.objects.values_list("customer_id", "clv"))
    rows = []
    for customer_id, signals in inputs.items():
        if customer_id in merged:
            continue
        health = health_of(signals, weights)
        clv = float(values.get(customer_id, 0))
        risk = value_at_risk(clv, signals.p_alive) if signals.p_alive is not None else 0.0
        rows.append(
            HealthScore(
                customer_id=customer_id,
                score=health.score,
                band=health.band,
                reasons=[{"signal": r.signal, "text": r.text, "points": r.points} for r in health.reasons],
                p_alive=signals.p_alive,
                clv=money(clv),
                value_at_risk=money(risk),
                computed_at=now,
            )
        )
    fields = ["score", "band", "reasons", "p_alive", "clv", "value_at_risk", "computed_at"]
    with transaction.atomic():
        for start in range(0, len(rows), WRITE_BATCH):
            HealthScore.objects.bulk_create(
                rows[start : start + WRITE_BATCH],
                update_conflicts=True,
                unique_fields=["customer"],
                update_fields=fields,
            )
            progress("writing health", min(start + WRITE_BATCH, len(rows)), len(rows))
        HealthScore.objects.exclude(computed_at=now).delete()
    return len(rows)


OUTREACH_MESSAGE = (
    "Hi {first_name}, it has been a while since we heard from you and we wanted to check that everything "
    "is all right with your last order. If anything was not as it should be, tell me and I will put it "
    "right. {agent}"
)


def start_outreach(*, actor: Actor, customer_id: int) -> FollowUp:
    """A lead asks the associate to reach out: a follow-up with the reasons and a suggested message."""
    actor.require(Perm.DESK_ASSIGN)
    health = HealthScore.objects.select_related("customer__associate").filter(customer_id=customer_id).first()
    if health is None:
        raise NotFound("this customer has no health score", code="health_not_found")
    customer = health.customer
    title = f"Reach out to {customer.name or f'customer {customer.pk}'}"
    if FollowUp.objects.filter(customer=customer, title=title, status=FollowUpStatus.OPEN).exists():
        raise Conflict("an outreach to this customer is already open", code="outreach_open")
    reasons = "; ".join(reason["text"] for reason in health.reasons) or "no particular reason"
    agent = customer.associate.full_name if customer.associate else "The team"
    first_name = (customer.name or "there").split()[0]
    detail = (
        f"Health {health.score:.0f} ({health.get_band_display()}): {reasons}.\n\n"
        f"Suggested message:\n{OUTREACH_MESSAGE.format(first_name=first_name, agent=agent)}"
    )
    return open_follow_up(customer=customer, title=title, detail=detail, due_in=timedelta(days=2))
