"""The empowerment rules on their own: the reasons people read, and that no sequence of actions by any set
of agents grants more than the policy allows without a lead's approval."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.recovery.money import cents, format_money
from rapport.recovery.rules import Granted, Limits, Proposal, decide, describe_limits

AGENTS = Limits(
    role="agent",
    currency="EUR",
    per_action=Decimal("50"),
    per_customer=Decimal("100"),
    per_customer_window_days=30,
    per_agent_daily=Decimal("200"),
    kinds_needing_approval=frozenset({"refund"}),
    tier_multipliers={"standard": Decimal("1"), "gold": Decimal("1.5")},
)


def _decide(
    amount: str, *, kind: str = "replacement", tier: str = "standard", customer: str = "0", today: str = "0"
):  # type: ignore[no-untyped-def]
    return decide(
        AGENTS,
        role="agent",
        tier=tier,
        granted=Granted(customer_in_window=Decimal(customer), agent_today=Decimal(today)),
        proposal=Proposal(kind=kind, amount=Decimal(amount), currency="EUR"),
    )


def test_within_every_limit_is_approved_at_once() -> None:
    decision = _decide("50.00", customer="50", today="150")

    assert decision.auto_approve
    assert decision.reasons == ()


def test_over_the_per_action_limit_waits_with_the_reason_in_words() -> None:
    decision = _decide("50.01")

    assert not decision.auto_approve
    assert decision.reasons == ("over the €50.00 per-action limit for agents",)


def test_the_customer_window_counts_what_was_granted_before() -> None:
    decision = _decide("30", customer="80")

    assert decision.reasons == (
        "this customer would have €110.00 in 30 days, over the €100.00 limit for agents",
    )


def test_the_daily_limit_is_the_persons_own() -> None:
    decision = _decide("10", today="195")

    assert decision.reasons == (
        "your grants today would come to €205.00, over the €200.00 daily limit for agents",
    )


def test_kinds_needing_approval_wait_whatever_the_amount() -> None:
    decision = _decide("1", kind="refund")

    assert decision.reasons == ("refunds need a lead's approval",)


def test_a_gold_customer_gets_more_before_anyone_asks() -> None:
    decision = _decide("75", tier="gold", customer="70")

    assert decision.auto_approve
    assert decision.per_action_limit == Decimal("75.00")
    assert decision.per_customer_limit == Decimal("150.00")
    over = _decide("75.01", tier="gold")
    assert over.reasons == ("over the €75.00 per-action limit for agents (×1.5 for a gold customer)",)


def test_the_daily_limit_is_not_scaled_by_the_customers_tier() -> None:
    decision = _decide("20", tier="gold", today="190")

    assert decision.per_agent_daily_limit == Decimal("200.00")
    assert not decision.auto_approve


def test_another_currency_waits_since_it_cannot_be_compared() -> None:
    decision = decide(
        AGENTS,
        role="agent",
        tier="standard",
        granted=Granted(),
        proposal=Proposal("replacement", Decimal("1"), "USD"),
    )

    assert decision.reasons == ("the amount is in USD, while the limits for agents are in EUR",)


def test_without_a_policy_everything_waits() -> None:
    decision = decide(
        None,
        role="lead",
        tier="standard",
        granted=Granted(),
        proposal=Proposal("refund", Decimal("1"), "EUR"),
    )

    assert decision.reasons == ("there is no empowerment policy for leads",)


def test_limits_are_described_for_the_customer_at_hand() -> None:
    assert describe_limits(AGENTS, tier="gold") == (
        "Alone, agents may grant up to €75.00 per action and €150.00 per customer in 30 days "
        "(×1.5 for a gold customer), and €200.00 a day each; refunds always need a lead's approval."
    )


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("50", "EUR", "€50.00"),
        ("1234.5", "GBP", "£1,234.50"),
        ("0.005", "USD", "$0.01"),
        ("12", "CHF", "12.00 CHF"),
    ],
)
def test_money_reads_as_people_write_it(amount: str, currency: str, text: str) -> None:
    assert format_money(Decimal(amount), currency) == text


# The property: run any sequence of proposals by several agents for several customers through the rules,
# with leads approving some of what waits, and check what was granted without approval.

TIERS = ["standard", "silver", "gold", "platinum"]
money = st.decimals(min_value=0, max_value=400, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def policies(draw: st.DrawFn) -> Limits:
    return Limits(
        role="agent",
        currency="EUR",
        per_action=draw(money),
        per_customer=draw(money),
        per_customer_window_days=draw(st.integers(1, 45)),
        per_agent_daily=draw(money),
        kinds_needing_approval=frozenset(
            draw(st.sets(st.sampled_from(["refund", "replacement", "goodwill_credit"])))
        ),
        tier_multipliers={
            tier: draw(st.decimals(min_value=0, max_value=3, places=2, allow_nan=False, allow_infinity=False))
            for tier in draw(st.sets(st.sampled_from(TIERS)))
        },
    )


@dataclass(frozen=True)
class Step:
    hours_later: int
    agent: int
    customer: int
    kind: str
    amount: Decimal
    currency: str
    lead_approves: bool


steps = st.builds(
    Step,
    hours_later=st.integers(0, 30),
    agent=st.integers(0, 3),
    customer=st.integers(0, 3),
    kind=st.sampled_from(["refund", "replacement", "exchange", "goodwill_credit", "free_shipping"]),
    amount=money,
    currency=st.sampled_from(["EUR", "EUR", "EUR", "USD"]),
    lead_approves=st.booleans(),
)


@dataclass(frozen=True)
class Grant:
    hour: int
    agent: int
    customer: int
    amount: Decimal
    auto: bool
    kind: str
    currency: str


@settings(max_examples=300, deadline=None)
@given(
    policy=policies(),
    tiers=st.lists(st.sampled_from(TIERS), min_size=4, max_size=4),
    sequence=st.lists(steps, max_size=60),
)
def test_no_sequence_grants_more_than_the_policy_allows_without_approval(
    policy: Limits, tiers: list[str], sequence: list[Step]
) -> None:
    grants: list[Grant] = []
    hour = 0
    for step in sequence:
        hour += step.hours_later
        window_start = hour - policy.per_customer_window_days * 24
        day = hour // 24
        granted = Granted(
            customer_in_window=sum(
                (
                    g.amount
                    for g in grants
                    if g.customer == step.customer and g.hour > window_start and g.currency == "EUR"
                ),
                Decimal(0),
            ),
            agent_today=sum(
                (
                    g.amount
                    for g in grants
                    if g.agent == step.agent and g.auto and g.hour // 24 == day and g.currency == "EUR"
                ),
                Decimal(0),
            ),
        )
        decision = decide(
            policy,
            role="agent",
            tier=tiers[step.customer],
            granted=granted,
            proposal=Proposal(kind=step.kind, amount=step.amount, currency=step.currency),
        )
        if decision.auto_approve or step.lead_approves:
            grants.append(
                Grant(
                    hour,
                    step.agent,
                    step.customer,
                    step.amount,
                    decision.auto_approve,
                    step.kind,
                    step.currency,
                )
            )

    automatic = [g for g in grants if g.auto]
    for grant in automatic:
        scale = policy.multiplier(tiers[grant.customer])
        assert grant.currency == policy.currency
        assert grant.kind not in policy.kinds_needing_approval
        assert grant.amount <= cents(policy.per_action * scale)
        # Within any window ending at an automatic grant, what was granted without approval fits the limit.
        window_start = grant.hour - policy.per_customer_window_days * 24
        in_window = sum(
            (
                g.amount
                for g in automatic
                if g.customer == grant.customer and window_start < g.hour <= grant.hour
            ),
            Decimal(0),
        )
        assert in_window <= cents(policy.per_customer * scale)
    per_agent_day: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for grant in automatic:
        per_agent_day[(grant.agent, grant.hour // 24)] += grant.amount
    assert all(total <= policy.per_agent_daily for total in per_agent_day.values())
