"""The empowerment rules: may this person grant a recovery alone, or does it wait for a lead's approval?

Pure: the policy's limits, the customer's value tier, what was already granted and the new action go
in; a decision with its reasons in words comes out. No Django import (an import-linter contract keeps
it so), so the rules are property-tested and benchmarked on their own.

What the limits mean:
- per action: one action may be worth at most this, times the customer's tier multiplier;
- per customer: everything granted to one customer in the rolling window (this action included) may
  be worth at most this, times the tier multiplier;
- per agent and day: everything one person granted today (this action included) may be worth at most
  this; not multiplied, since it is the person's budget, not the customer's;
- kinds needing approval always wait, whatever their amount.
An action in another currency than the policy's waits too: its amount cannot be compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from rapport.recovery.money import cents, format_money

# How the reasons name each kind when it needs approval ("replacements need a lead's approval").
KIND_PLURALS = {
    "refund": "refunds",
    "replacement": "replacements",
    "exchange": "exchanges",
    "free_shipping": "free shipping offers",
    "goodwill_credit": "goodwill credits",
    "return_label": "return labels",
}
ROLE_PLURALS = {"agent": "agents", "lead": "leads", "admin": "admins"}


@dataclass(frozen=True)
class Limits:
    """One empowerment policy's limits, in its currency."""

    role: str
    currency: str
    per_action: Decimal
    per_customer: Decimal
    per_customer_window_days: int
    per_agent_daily: Decimal
    kinds_needing_approval: frozenset[str] = frozenset()
    tier_multipliers: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def who(self) -> str:
        return ROLE_PLURALS.get(self.role, f"{self.role}s")

    def multiplier(self, tier: str) -> Decimal:
        """The tier's multiplier; a tier the policy does not name counts as 1 (no change)."""
        value = Decimal(str(self.tier_multipliers.get(tier, 1)))
        return value if value >= 0 else Decimal(0)


@dataclass(frozen=True)
class Granted:
    """What was already granted, in the policy's currency: to this customer within the window, and by
    this person today (both without the new action)."""

    customer_in_window: Decimal = Decimal(0)
    agent_today: Decimal = Decimal(0)


@dataclass(frozen=True)
class Proposal:
    kind: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Decision:
    auto_approve: bool
    reasons: tuple[str, ...]
    tier: str
    multiplier: Decimal
    # The limits as they applied to this customer (after the multiplier); None without a policy.
    per_action_limit: Decimal | None
    per_customer_limit: Decimal | None
    per_agent_daily_limit: Decimal | None


def _plain(number: Decimal) -> str:
    """1.50 as "1.5" and 10 as "10" (normalize alone writes 1E+1)."""
    return format(number.normalize(), "f")


def decide(limits: Limits | None, *, role: str, tier: str, granted: Granted, proposal: Proposal) -> Decision:
    """Approve at once when every limit holds; otherwise say which ones would be broken, in words."""
    who = ROLE_PLURALS.get(role, f"{role}s")
    if limits is None:
        return Decision(
            auto_approve=False,
            reasons=(f"there is no empowerment policy for {who}",),
            tier=tier,
            multiplier=Decimal(1),
            per_action_limit=None,
            per_customer_limit=None,
            per_agent_daily_limit=None,
        )
    multiplier = limits.multiplier(tier)
    per_action = cents(limits.per_action * multiplier)
    per_customer = cents(limits.per_customer * multiplier)
    daily = cents(limits.per_agent_daily)
    amount = cents(proposal.amount)
    reasons: list[str] = []
    if proposal.kind in limits.kinds_needing_approval:
        kinds = KIND_PLURALS.get(proposal.kind, proposal.kind.replace("_", " ") + "s")
        reasons.append(f"{kinds} need a lead's approval")
    if proposal.currency.upper() != limits.currency.upper():
        reasons.append(
            f"the amount is in {proposal.currency.upper()}, while the limits for {limits.who} "
            f"are in {limits.currency.upper()}"
        )
    else:

        def money(value: Decimal) -> str:
            return format_money(value, limits.currency)

        scaled = f" (×{_plain(multiplier)} for a {tier} customer)" if multiplier != 1 else ""
        if amount > per_action:
            reasons.append(f"over the {money(per_action)} per-action limit for {limits.who}{scaled}")
        customer_total = cents(granted.customer_in_window) + amount
        if customer_total > per_customer:
            reasons.append(
                f"this customer would have {money(customer_total)} in "
                f"{limits.per_customer_window_days} days, over the {money(per_customer)} limit "
                f"for {limits.who}{scaled}"
            )
        agent_total = cents(granted.agent_today) + amount
        if agent_total > daily:
            reasons.append(
                f"your grants today would come to {money(agent_total)}, over the {money(daily)} "
                f"daily limit for {limits.who}"
            )
    return Decision(
        auto_approve=not reasons,
        reasons=tuple(reasons),
        tier=tier,
        multiplier=multiplier,
        per_action_limit=per_action,
        per_customer_limit=per_customer,
        per_agent_daily_limit=daily,
    )


def describe_limits(limits: Limits, *, tier: str) -> str:
    """One sentence an agent reads next to the form: what they may grant alone for this customer."""
    multiplier = limits.multiplier(tier)

    def money(value: Decimal) -> str:
        return format_money(cents(value), limits.currency)

    text = (
        f"Alone, {limits.who} may grant up to {money(limits.per_action * multiplier)} per action and "
        f"{money(limits.per_customer * multiplier)} per customer in {limits.per_customer_window_days} days"
    )
    if multiplier != 1:
        text += f" (×{_plain(multiplier)} for a {tier} customer)"
    text += f", and {money(limits.per_agent_daily)} a day each"
    if limits.kinds_needing_approval:
        kinds = sorted(KIND_PLURALS.get(kind, kind) for kind in limits.kinds_needing_approval)
        text += f"; {', '.join(kinds)} always need a lead's approval"
    return text + "."
