"""Demo recovery: default empowerment policies for agents and leads, and a few actions on the demo's
conversations (one approved at once within the agent's limit, one waiting in the leads' queue, one the
store has carried out), made through the recovery services so events and audit are the product's own."""

from __future__ import annotations

import random
from decimal import Decimal

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor
from rapport.core.errors import RapportError
from rapport.desk.models import Conversation
from rapport.recovery.models import EmpowermentPolicy
from rapport.recovery.services.actions import ActionRequest, LineRequest, propose_action, record_outcome
from rapport.recovery.services.policies import PolicyInput, save_policy

DEFAULT_POLICIES = [
    PolicyInput(
        role="agent",
        team=None,
        currency="EUR",
        per_action_limit=Decimal("50"),
        per_customer_limit=Decimal("150"),
        per_customer_window_days=30,
        per_agent_daily_limit=Decimal("400"),
        kinds_needing_approval=[],
        tier_multipliers={"standard": "1", "silver": "1.25", "gold": "1.5", "platinum": "2"},
    ),
    PolicyInput(
        role="lead",
        team=None,
        currency="EUR",
        per_action_limit=Decimal("250"),
        per_customer_limit=Decimal("750"),
        per_customer_window_days=30,
        per_agent_daily_limit=Decimal("2000"),
        kinds_needing_approval=[],
        tier_multipliers={"standard": "1", "silver": "1.25", "gold": "1.5", "platinum": "2"},
    ),
]


def configure_recovery(users: dict[str, User]) -> list[EmpowermentPolicy]:
    """The default policies, set by the demo admin (so they are versioned and audited like any change)."""
    admin = users.get(Role.ADMIN)
    actor = Actor(user=admin, via="system") if admin is not None else None
    made = []
    for data in DEFAULT_POLICIES:
        existing = EmpowermentPolicy.objects.filter(role=data.role, team__isnull=True).first()
        if existing is not None or actor is None:
            continue
        made.append(save_policy(actor=actor, policy=None, data=data))
    return made


def _conversations(tag: str) -> list[Conversation]:
    return list(
        Conversation.objects.filter(
            tags__name=tag, orders__isnull=False, orders__status__in=["paid", "fulfilled"]
        )
        .select_related("customer")
        .prefetch_related("orders__lines")
        .distinct()
        .order_by("pk")[:20]
    )


def seed_recovery(*, users: dict[str, User], seed: int) -> int:
    """A replacement for a stolen parcel (approved at once), a refund for a damaged item above the agent's
    limit (waiting for a lead), and a goodwill credit the store has carried out."""
    agent = users.get(Role.AGENT)
    if agent is None or not EmpowermentPolicy.objects.exists():
        return 0
    actor = Actor(user=agent, via="system")
    rng = random.Random(f"{seed}-recovery")
    made = 0
    plans = [("lost-or-stolen", "replacement", "lost_or_stolen"), ("damaged", "refund", "product_defect")]
    for tag, kind, reason in plans:
        candidates = _conversations(tag)
        rng.shuffle(candidates)
        for conversation in candidates:
            order = conversation.orders.all()[0]
            lines = sorted(order.lines.all(), key=lambda line: line.pk)
            if not lines:
                continue
            line = max(lines, key=lambda each: each.line_total)
            request = ActionRequest(
                kind=kind,
                reason=reason,
                order_id=order.pk,
                lines=[LineRequest(order_line_id=line.pk)],
                waive_shipping=kind == "replacement",
                note="Demo: "
                + ("parcel taken from the doorstep" if kind == "replacement" else "arrived broken"),
            )
            try:
                propose_action(
                    actor=actor, customer=conversation.customer, conversation=conversation, request=request
                )
            except RapportError:
                continue
            made += 1
            break
    resolved = (
        Conversation.objects.filter(status="resolved").select_related("customer").order_by("pk").first()
    )
    if resolved is not None:
        try:
            credit = propose_action(
                actor=actor,
                customer=resolved.customer,
                conversation=resolved,
                request=ActionRequest(
                    kind="goodwill_credit", reason="goodwill", amount=Decimal("10"), coupon_code="SORRY10"
                ),
            )
        except RapportError:
            return made
        made += 1
        if credit.status == "approved":
            record_outcome(actor=actor, action=credit, status="done", reference="COUPON-SORRY10")
    return made
