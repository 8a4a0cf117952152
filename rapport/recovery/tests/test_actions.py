"""Recovery actions through their life: every kind, every transition, the refund ceiling, who may do what."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rapport.accounts.models import AuditEntry, Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.core.errors import Conflict, PermissionDenied, ValidationFailed
from rapport.customers.models import TimelineEvent
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import ConversationEvent
from rapport.desk.tests.factories import a_conversation
from rapport.recovery.models import ActionStatus, RecoveryAction
from rapport.recovery.selectors import policy_for
from rapport.recovery.services.actions import (
    LineRequest,
    approve_action,
    cancel_action,
    decline_action,
    mark_sent,
    mark_undeliverable,
    record_outcome,
)
from rapport.recovery.services.policies import PolicyInput, save_policy
from rapport.recovery.tests.factories import PolicyFactory, an_order, lines_of, propose

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policies() -> None:
    PolicyFactory(role="agent", per_action_limit=Decimal("50"), per_customer_limit=Decimal("100"))
    PolicyFactory(role="lead", per_action_limit=Decimal("500"), per_customer_limit=Decimal("1000"))


def _kinds(conversation_id: int) -> list[str]:
    return list(
        ConversationEvent.objects.filter(conversation_id=conversation_id, kind__startswith="recovery.")
        .order_by("id")
        .values_list("kind", flat=True)
    )


# Every kind


def test_replacement_is_worth_its_lines_and_the_shipping_waived_and_approved_within_the_limit(
    agent: Actor,
) -> None:
    conversation = a_conversation()
    order = an_order(
        conversation.customer, lines=[("Mug", 2, "10.00"), ("Plate", 1, "30.00")], shipping="4.95"
    )
    mug, _plate = lines_of(order)

    action = propose(
        agent,
        conversation=conversation,
        kind="replacement",
        reason="lost_or_stolen",
        order=order,
        lines=[LineRequest(order_line_id=mug.pk, quantity=2)],
        waive_shipping=True,
    )

    assert action.status == ActionStatus.APPROVED
    assert action.amount == Decimal("24.95")
    assert action.approved_automatically
    assert action.approved_by is None
    assert [(line.order_line_id, line.quantity, line.amount) for line in action.lines.all()] == [
        (mug.pk, 2, Decimal("20.00"))
    ]
    assert action.policy_snapshot is not None
    assert action.policy_snapshot["per_action_limit"] == "50.00"
    assert _kinds(conversation.pk) == ["recovery.action.proposed", "recovery.action.approved"]


def test_partial_refund_of_one_line(agent: Actor) -> None:
    customer = CustomerFactory()
    order = an_order(customer, lines=[("Boots", 1, "120.00")])
    (boots,) = lines_of(order)

    action = propose(
        agent,
        customer=customer,
        kind="refund",
        reason="product_defect",
        order=order,
        lines=[LineRequest(order_line_id=boots.pk, amount=Decimal("30"))],
    )

    assert action.amount == Decimal("30.00")
    assert action.status == ActionStatus.APPROVED
    assert action.lines.get().amount == Decimal("30.00")


def test_refund_of_an_amount_on_the_order_without_lines(agent: Actor) -> None:
    customer = CustomerFactory()
    order = an_order(customer, lines=[("Lamp", 1, "40.00")], shipping="6.00")

    action = propose(agent, customer=customer, kind="refund", reason="carrier", order=order, amount="6.00")

    assert action.amount == Decimal("6.00")
    assert list(action.lines.all()) == []


def test_exchange_costs_the_shipping_not_charged(agent: Actor) -> None:
    customer = CustomerFactory()
    order = an_order(customer, lines=[("Jacket", 1, "90.00")], shipping="7.50")
    (jacket,) = lines_of(order)

    action = propose(
        agent,
        customer=customer,
        kind="exchange",
        reason="customer_mistake",
        order=order,
        lines=[LineRequest(order_line_id=jacket.pk)],
        waive_shipping=True,
    )

    assert action.amount == Decimal("7.50")
    assert action.lines.get().amount == Decimal("90.00")
    assert action.status == ActionStatus.APPROVED


@pytest.mark.parametrize(
    ("kind", "extra"), [("free_shipping", {}), ("goodwill_credit", {"coupon_code": "SORRY10"})]
)
def test_free_shipping_and_credits_are_worth_what_the_agent_says(
    agent: Actor, kind: str, extra: dict[str, str]
) -> None:
    customer = CustomerFactory()

    action = propose(agent, customer=customer, kind=kind, reason="goodwill", amount="10", **extra)

    assert (action.amount, action.currency, action.order_id) == (Decimal("10.00"), "EUR", None)
    assert action.coupon_code == extra.get("coupon_code", "")
    # Without a conversation the transitions go on the customer's timeline, naming the action.
    kinds = list(
        TimelineEvent.objects.filter(customer=customer, subject_type="recovery.recoveryaction")
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["recovery.action.proposed", "recovery.action.approved"]


def test_return_label_costs_nothing_unless_told(agent: Actor) -> None:
    customer = CustomerFactory()
    order = an_order(customer)
    (line,) = lines_of(order)

    action = propose(
        agent,
        customer=customer,
        kind="return_label",
        reason="our_mistake",
        order=order,
        lines=[LineRequest(line.pk)],
    )

    assert action.amount == Decimal("0.00")
    assert action.status == ActionStatus.APPROVED


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("refund", "order_required"),
        ("replacement", "order_required"),
        ("exchange", "order_required"),
        ("return_label", "order_required"),
    ],
)
def test_kinds_on_an_order_need_the_order(agent: Actor, kind: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        propose(agent, customer=CustomerFactory(), kind=kind, reason="our_mistake", amount="5")

    assert refused.value.code == code
    assert RecoveryAction.objects.count() == 0


def test_a_replacement_needs_its_lines(agent: Actor) -> None:
    customer = CustomerFactory()

    with pytest.raises(ValidationFailed) as refused:
        propose(agent, customer=customer, kind="replacement", reason="carrier", order=an_order(customer))

    assert refused.value.code == "lines_required"


# The limits


def test_above_the_limit_waits_for_a_lead_with_the_reason(agent: Actor) -> None:
    conversation = a_conversation()
    # Paid 105.00 this year: a standard customer, whose limits are not scaled.
    order = an_order(conversation.customer, lines=[("Coat", 1, "100.00")])

    action = propose(
        agent, conversation=conversation, kind="refund", reason="our_mistake", order=order, amount="80"
    )

    assert action.status == ActionStatus.PROPOSED
    assert action.approval_reasons == ["over the €50.00 per-action limit for agents"]
    assert action.policy_snapshot is None
    event = ConversationEvent.objects.get(conversation=conversation, kind="recovery.action.proposed")
    assert "waits for a lead's approval: over the €50.00 per-action limit for agents" in event.summary


def test_what_the_customer_was_granted_counts_against_the_window(agent: Actor, lead: Actor) -> None:
    customer = CustomerFactory()
    propose(lead, customer=customer, amount="90")

    action = propose(agent, customer=customer, amount="20")

    assert action.status == ActionStatus.PROPOSED
    assert action.approval_reasons == [
        "this customer would have €110.00 in 30 days, over the €100.00 limit for agents"
    ]


def test_a_teams_policy_wins_over_the_roles() -> None:
    team = TeamFactory()
    PolicyFactory(role="agent", team=team, per_action_limit=Decimal("5"))
    member = Actor(user=UserFactory(role=Role.AGENT, team=team))
    outsider = Actor(user=UserFactory(role=Role.AGENT))

    assert propose(member, customer=CustomerFactory(), amount="10").status == ActionStatus.PROPOSED
    assert propose(outsider, customer=CustomerFactory(), amount="10").status == ActionStatus.APPROVED


def test_the_snapshot_keeps_the_policy_version_in_force_when_approved(agent: Actor, admin: Actor) -> None:
    first = propose(agent, customer=CustomerFactory(), amount="10")
    policy = policy_for(agent.user)
    assert policy is not None
    save_policy(
        actor=admin,
        policy=policy,
        data=PolicyInput(
            role="agent",
            team=None,
            currency="EUR",
            per_action_limit=Decimal("20"),
            per_customer_limit=Decimal("100"),
            per_customer_window_days=30,
            per_agent_daily_limit=Decimal("200"),
        ),
    )

    second = propose(agent, customer=CustomerFactory(), amount="10")

    first.refresh_from_db()
    assert (first.policy_snapshot or {})["version"] == 1
    assert (first.policy_snapshot or {})["per_action_limit"] == "50.00"
    assert (second.policy_snapshot or {})["version"] == 2
    assert (second.policy_snapshot or {})["per_action_limit"] == "20.00"
    assert policy.versions.count() == 1  # the factory made v1 without a version row; the change made v2


# Transitions


def test_lead_approves_a_waiting_action(agent: Actor, lead: Actor) -> None:
    conversation = a_conversation()
    action = propose(agent, conversation=conversation, amount="80", note="Third late parcel")

    approved = approve_action(actor=lead, action=action, note="Fine, loyal customer")

    assert approved.status == ActionStatus.APPROVED
    assert approved.approved_by == lead.user
    assert not approved.approved_automatically
    assert approved.decision_note == "Fine, loyal customer"
    assert approved.policy_snapshot is not None
    assert approved.policy_snapshot["role"] == "agent"
    assert _kinds(conversation.pk)[-1] == "recovery.action.approved"
    assert AuditEntry.objects.filter(action="recovery.action.approve", target_id=str(action.pk)).count() == 1


def test_lead_declines_a_waiting_action(agent: Actor, lead: Actor) -> None:
    conversation = a_conversation()
    action = propose(agent, conversation=conversation, amount="80")

    declined = decline_action(actor=lead, action=action, note="Offer free shipping instead")

    assert declined.status == ActionStatus.CANCELLED
    assert declined.declined_by == lead.user
    assert _kinds(conversation.pk)[-1] == "recovery.action.declined"


def test_an_agent_cannot_approve(agent: Actor) -> None:
    action = propose(Actor(user=UserFactory(role=Role.AGENT)), customer=CustomerFactory(), amount="80")

    with pytest.raises(PermissionDenied):
        approve_action(actor=agent, action=action)
    with pytest.raises(PermissionDenied):
        decline_action(actor=agent, action=action)

    action.refresh_from_db()
    assert action.status == ActionStatus.PROPOSED


def test_a_lead_does_not_approve_their_own_request_but_an_admin_may(lead: Actor, admin: Actor) -> None:
    over_lead_limit = propose(lead, customer=CustomerFactory(), amount="600")
    admins_own = propose(admin, customer=CustomerFactory(), amount="600")

    with pytest.raises(PermissionDenied) as refused:
        approve_action(actor=lead, action=over_lead_limit)

    assert refused.value.code == "own_request"
    assert approve_action(actor=admin, action=admins_own).status == ActionStatus.APPROVED


def test_a_decided_action_cannot_be_decided_again(agent: Actor, lead: Actor) -> None:
    action = propose(agent, customer=CustomerFactory(), amount="10")

    with pytest.raises(Conflict) as refused:
        approve_action(actor=lead, action=action)

    assert refused.value.code == "not_waiting"


def test_the_agent_cancels_their_own_action_but_not_a_colleagues(agent: Actor) -> None:
    mine = propose(agent, customer=CustomerFactory(), amount="80")
    theirs = propose(Actor(user=UserFactory(role=Role.AGENT)), customer=CustomerFactory(), amount="80")

    assert cancel_action(actor=agent, action=mine).status == ActionStatus.CANCELLED
    with pytest.raises(PermissionDenied):
        cancel_action(actor=agent, action=theirs)


def test_approved_goes_to_sent_then_done_with_the_stores_reference(agent: Actor) -> None:
    conversation = a_conversation()
    action = propose(agent, conversation=conversation, amount="10")

    assert mark_sent(action_id=action.pk).status == ActionStatus.SENT  # type: ignore[union-attr]
    done = record_outcome(actor=agent, action=action, status="done", reference="RF-991")

    assert (done.status, done.store_reference) == (ActionStatus.DONE, "RF-991")
    assert _kinds(conversation.pk)[-2:] == ["recovery.action.sent", "recovery.action.done"]


@pytest.mark.parametrize("via_sent", [True, False])
def test_the_store_reports_a_failure(agent: Actor, via_sent: bool) -> None:
    action = propose(agent, customer=CustomerFactory(), amount="10")
    if via_sent:
        mark_sent(action_id=action.pk)

    failed = record_outcome(actor=agent, action=action, status="failed", detail="out of stock")

    assert (failed.status, failed.failure_reason) == (ActionStatus.FAILED, "out of stock")


def test_saying_the_same_outcome_twice_changes_nothing(agent: Actor) -> None:
    action = propose(agent, customer=CustomerFactory(), amount="10")
    record_outcome(actor=agent, action=action, status="done", reference="A")

    again = record_outcome(actor=agent, action=action, status="done", reference="A")

    assert again.status == ActionStatus.DONE
    assert AuditEntry.objects.filter(action="recovery.action.done").count() == 1


@pytest.mark.parametrize(
    ("setup", "then"),
    [
        ("done", "failed"),
        ("done", "cancel"),
        ("cancelled", "done"),
        ("proposed", "done"),
        ("sent", "cancel"),
    ],
)
def test_transitions_the_lifecycle_does_not_allow_are_refused(agent: Actor, setup: str, then: str) -> None:
    action = propose(agent, customer=CustomerFactory(), amount="80" if setup == "proposed" else "10")
    if setup == "done":
        record_outcome(actor=agent, action=action, status="done")
    elif setup == "cancelled":
        cancel_action(actor=agent, action=action)
    elif setup == "sent":
        mark_sent(action_id=action.pk)

    def attempt() -> None:
        if then == "cancel":
            cancel_action(actor=agent, action=action)
        else:
            record_outcome(actor=agent, action=action, status=then)

    with pytest.raises(Conflict) as refused:
        attempt()

    assert refused.value.code == "invalid_transition"


def test_an_undeliverable_approval_fails_and_a_late_delivery_does_not_undo_done(agent: Actor) -> None:
    lost = propose(agent, customer=CustomerFactory(), amount="10")
    reported = propose(agent, customer=CustomerFactory(), amount="10")
    record_outcome(actor=agent, action=reported, status="done")

    assert mark_undeliverable(action_id=lost.pk).status == ActionStatus.FAILED  # type: ignore[union-attr]
    assert mark_sent(action_id=reported.pk).status == ActionStatus.DONE  # type: ignore[union-attr]


# Refunds never exceed what was paid


def test_a_second_refund_is_capped_by_what_is_left_on_the_line(agent: Actor, lead: Actor) -> None:
    customer = CustomerFactory()
    order = an_order(customer, lines=[("Boots", 1, "40.00")])
    (boots,) = lines_of(order)
    propose(
        agent,
        customer=customer,
        kind="refund",
        reason="carrier",
        order=order,
        lines=[LineRequest(boots.pk, amount=Decimal("30"))],
    )

    with pytest.raises(ValidationFailed) as refused:
        propose(
            lead,
            customer=customer,
            kind="refund",
            reason="carrier",
            order=order,
            lines=[LineRequest(boots.pk, amount=Decimal("10.01"))],
        )

    assert refused.value.code == "refund_exceeds_paid"
    assert refused.value.detail == f"{boots.name}: at most €10.00 is left to refund"


def test_refunds_waiting_for_approval_hold_their_amount_and_a_cancelled_one_frees_it(
    agent: Actor, lead: Actor
) -> None:
    customer = CustomerFactory()
    order = an_order(customer, lines=[("Sofa", 1, "300.00")], shipping="0")
    waiting = propose(
        agent, customer=customer, kind="refund", reason="our_mistake", order=order, amount="250"
    )
    assert waiting.status == ActionStatus.PROPOSED

    with pytest.raises(ValidationFailed):
        propose(lead, customer=customer, kind="refund", reason="our_mistake", order=order, amount="60")
    cancel_action(actor=agent, action=waiting)

    assert propose(
        lead, customer=customer, kind="refund", reason="our_mistake", order=order, amount="300"
    ).amount == Decimal("300.00")


def test_an_unpaid_order_is_not_refunded(agent: Actor) -> None:
    customer = CustomerFactory()
    order = an_order(customer, status="cancelled")

    with pytest.raises(ValidationFailed) as refused:
        propose(agent, customer=customer, kind="refund", reason="our_mistake", order=order, amount="1")

    assert refused.value.code == "order_not_paid"


# Outsiders: someone else's order, lines and conversation


def test_another_customers_order_is_refused(agent: Actor) -> None:
    someone_else = an_order(CustomerFactory())
    (line,) = lines_of(someone_else)

    with pytest.raises(ValidationFailed) as refused:
        propose(
            agent,
            customer=CustomerFactory(),
            kind="replacement",
            reason="carrier",
            order=someone_else,
            lines=[LineRequest(line.pk)],
        )

    assert refused.value.code == "order_not_customers"
    assert RecoveryAction.objects.count() == 0


def test_a_line_of_another_order_is_refused(agent: Actor) -> None:
    customer = CustomerFactory()
    order = an_order(customer)
    (foreign_line,) = lines_of(an_order(CustomerFactory()))

    with pytest.raises(ValidationFailed) as refused:
        propose(
            agent,
            customer=customer,
            kind="replacement",
            reason="carrier",
            order=order,
            lines=[LineRequest(foreign_line.pk)],
        )

    assert refused.value.code == "line_not_on_order"


def test_more_than_was_ordered_is_refused(agent: Actor) -> None:
    customer = CustomerFactory()
    order = an_order(customer, lines=[("Cup", 2, "5.00")])
    (cups,) = lines_of(order)

    with pytest.raises(ValidationFailed) as refused:
        propose(
            agent,
            customer=customer,
            kind="replacement",
            reason="carrier",
            order=order,
            lines=[LineRequest(cups.pk, quantity=3)],
        )

    assert refused.value.code == "invalid_quantity"


def test_a_conversation_with_another_customer_is_refused(agent: Actor) -> None:
    with pytest.raises(ValidationFailed) as refused:
        propose(agent, customer=CustomerFactory(), conversation=a_conversation(), amount="5")

    assert refused.value.code == "conversation_not_customers"


def test_an_analyst_cannot_propose(analyst: Actor) -> None:
    with pytest.raises(PermissionDenied):
        propose(analyst, customer=CustomerFactory(), amount="5")


# Conversation merges


def test_when_a_conversation_is_merged_its_actions_follow_it_into_the_one_that_remains(agent: Actor) -> None:
    from rapport.desk.services.merge import merge_conversations

    first = a_conversation()
    second = a_conversation(customer=first.customer)
    action = propose(agent, conversation=first, amount="10")

    merge_conversations(actor=agent, source=first, target=second)

    action.refresh_from_db()
    assert action.conversation_id == second.pk
    merged_in = ConversationEvent.objects.get(conversation=second, kind="conversation.merged_in")
    assert merged_in.data["recovery.actions"] == 1
