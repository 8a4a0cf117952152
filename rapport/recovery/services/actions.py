"""Recovery actions through their life: proposed, decided by the policy or a lead, sent, done or failed.

Every transition is one transaction that writes the action, an event on the conversation (or, without
one, on the customer's timeline) and an audit entry. Outbound webhooks listen to the timeline, so the
store hears of an approval in the same transaction that makes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.accounts.audit import record_audit
from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor, Perm
from rapport.commerce.models import Order, OrderLine, OrderStatus
from rapport.core.errors import Conflict, PermissionDenied, ValidationFailed
from rapport.customers.events import record_event
from rapport.customers.models import Customer
from rapport.desk.events import record_conversation_event
from rapport.desk.models import Conversation
from rapport.recovery import selectors
from rapport.recovery.models import (
    ActionKind,
    ActionStatus,
    EmpowermentPolicy,
    Reason,
    RecoveryAction,
    RecoveryLine,
)
from rapport.recovery.money import cents, format_money

# Amount columns are DECIMAL(12, 2).
MAX_AMOUNT = Decimal("9999999999.99")
# Kinds that act on an order, and those that act on some of its lines.
NEEDS_ORDER = frozenset(
    {ActionKind.REFUND, ActionKind.REPLACEMENT, ActionKind.EXCHANGE, ActionKind.RETURN_LABEL}
)
NEEDS_LINES = frozenset({ActionKind.REPLACEMENT, ActionKind.EXCHANGE})
# Kinds whose amount the person states (the rest are worked out from the lines and the shipping charge).
STATED_AMOUNT = frozenset({ActionKind.FREE_SHIPPING, ActionKind.GOODWILL_CREDIT})
REFUNDABLE_ORDER_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)
# Which states each state may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    ActionStatus.PROPOSED: frozenset({ActionStatus.APPROVED, ActionStatus.CANCELLED}),
    ActionStatus.APPROVED: frozenset(
        {ActionStatus.SENT, ActionStatus.DONE, ActionStatus.FAILED, ActionStatus.CANCELLED}
    ),
    ActionStatus.SENT: frozenset({ActionStatus.DONE, ActionStatus.FAILED}),
    ActionStatus.DONE: frozenset(),
    ActionStatus.FAILED: frozenset(),
    ActionStatus.CANCELLED: frozenset(),
}


@dataclass(frozen=True)
class LineRequest:
    order_line_id: int
    # None: the whole line's quantity.
    quantity: int | None = None
    # Refunds only: part of the line's value; None: the value of the quantity.
    amount: Decimal | None = None


@dataclass(frozen=True)
class ActionRequest:
    kind: str
    reason: str
    order_id: int | None = None
    lines: Sequence[LineRequest] = field(default_factory=tuple)
    # Refund without lines, free shipping, goodwill credit, return label's cost.
    amount: Decimal | None = None
    # Only where there is no order (an order's actions are in its currency); blank: the policy's.
    currency: str = ""
    waive_shipping: bool = False
    expedited: bool = False
    coupon_code: str = ""
    note: str = ""


def _invalid(detail: str, code: str, field_name: str | None = None) -> ValidationFailed:
    return ValidationFailed(detail, code=code, errors={field_name: detail} if field_name else None)


def _amount(value: Decimal | None, field_name: str = "amount") -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise _invalid("the amount must be a number", "invalid_amount", field_name) from exc
    if not amount.is_finite() or amount < 0:
        raise _invalid("the amount must be zero or more", "invalid_amount", field_name)
    amount = cents(amount)
    if amount > MAX_AMOUNT:
        raise _invalid(f"the amount must be at most {MAX_AMOUNT}", "amount_too_large", field_name)
    return amount


def _currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise _invalid(f"{value!r} is not a three-letter currency code", "invalid_currency", "currency")
    return code


def _actor_label(user: User | None) -> str:
    return user.display_name if user is not None else "the system"


def describe(action: RecoveryAction) -> str:
    """ "a €30.00 replacement for order R-1001 (lost or stolen)": how events and queues name an action."""
    kind = ActionKind(action.kind).label.lower()
    money = format_money(action.amount, action.currency)
    on_order = f" for order {action.order.number}" if action.order_id and action.order else ""
    return f"{money} {kind}{on_order} ({Reason(action.reason).label.lower()})"


def _record(
    action: RecoveryAction,
    verb: str,
    summary: str,
    *,
    actor: Actor | None,
    data: dict[str, Any] | None = None,
) -> None:
    """The transition as an event on the conversation (and so the timeline), or on the timeline alone."""
    payload = {"action_id": action.pk, "status": action.status, **(data or {})}
    kind = f"recovery.action.{verb}"
    if action.conversation_id is not None and action.conversation is not None:
        record_conversation_event(
            conversation=action.conversation, kind=kind, summary=summary, actor=actor, data=payload
        )
    else:
        record_event(
            customer=action.customer, kind=kind, summary=summary, actor=actor, subject=action, data=payload
        )


AUDITED = ["status", "amount", "currency", "approved_by", "declined_by", "decision_note", "store_reference"]


def _audit(action: RecoveryAction, verb: str, *, actor: Actor | None, before: str | None) -> None:
    after = {name: getattr(action, name) for name in AUDITED}
    record_audit(
        actor=actor,
        action=f"recovery.action.{verb}",
        target=action,
        before={"status": before} if before is not None else None,
        after=after,
        target_label=describe(action),
    )


# Proposing


def _lock_order(order_id: int, customer: Customer) -> tuple[Order, list[OrderLine]]:
    """The order and its lines, locked until the transaction ends: two agents refunding the same lines at
    once queue here, and the second sees what the first reserved."""
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise _invalid(f"there is no order {order_id}", "order_not_found", "order")
    if order.customer_id != customer.pk:
        raise _invalid(f"order {order.number} is not this customer's", "order_not_customers", "order")
    lines = list(OrderLine.objects.select_for_update().filter(order=order).order_by("pk"))
    return order, lines


@dataclass(frozen=True)
class _Priced:
    amount: Decimal
    # (order line, quantity, amount)
    lines: list[tuple[OrderLine, int, Decimal]]


def _chosen_lines(
    request: ActionRequest, order: Order, lines: list[OrderLine]
) -> list[tuple[OrderLine, int, LineRequest]]:
    by_id = {line.pk: line for line in lines}
    chosen: list[tuple[OrderLine, int, LineRequest]] = []
    seen: set[int] = set()
    for wanted in request.lines:
        line = by_id.get(wanted.order_line_id)
        if line is None:
            raise _invalid(
                f"line {wanted.order_line_id} is not on order {order.number}", "line_not_on_order", "lines"
            )
        if line.pk in seen:
            raise _invalid(f"{line.name} is chosen twice", "line_repeated", "lines")
        seen.add(line.pk)
        quantity = line.quantity if wanted.quantity is None else wanted.quantity
        if quantity < 1 or quantity > line.quantity:
            raise _invalid(f"{line.name}: choose between 1 and {line.quantity}", "invalid_quantity", "lines")
        chosen.append((line, quantity, wanted))
    return chosen


def _value_of(line: OrderLine, quantity: int) -> Decimal:
    if quantity == line.quantity:
        return cents(line.line_total)
    return cents(line.line_total * quantity / line.quantity) if line.quantity else Decimal("0.00")


def _order_left(remaining: Decimal, order: Order) -> str:
    return f"at most {format_money(remaining, order.currency)} of order {order.number} is left to refund"


def _price_refund(
    request: ActionRequest, order: Order, lines: list[OrderLine], stated: Decimal | None
) -> _Priced:
    if order.status not in REFUNDABLE_ORDER_STATUSES:
        raise _invalid(
            f"order {order.number} is {OrderStatus(order.status).label.lower()}: "
            "only paid orders are refunded",
            "order_not_paid",
            "order",
        )
    left = selectors.refundable(order, lines)
    chosen = _chosen_lines(request, order, lines)
    money = order.currency
    if not chosen:
        if stated is None or stated <= 0:
            raise _invalid("say how much to refund, or choose the lines", "amount_required", "amount")
        if stated > left.order_remaining:
            raise _invalid(_order_left(left.order_remaining, order), "refund_exceeds_paid", "amount")
        return _Priced(amount=stated, lines=[])
    priced: list[tuple[OrderLine, int, Decimal]] = []
    for line, quantity, wanted in chosen:
        amount = _amount(wanted.amount, "lines") if wanted.amount is not None else _value_of(line, quantity)
        assert amount is not None
        remaining = left.lines[line.pk]
        if amount > remaining:
            raise _invalid(
                f"{line.name}: at most {format_money(remaining, money)} is left to refund",
                "refund_exceeds_paid",
                "lines",
            )
        priced.append((line, quantity, amount))
    total = cents(sum((amount for *_, amount in priced), Decimal(0)))
    if total <= 0:
        raise _invalid("a refund must be worth something", "amount_required", "amount")
    if total > left.order_remaining:
        raise _invalid(_order_left(left.order_remaining, order), "refund_exceeds_paid", "amount")
    return _Priced(amount=total, lines=priced)


def _price(
    request: ActionRequest, order: Order | None, lines: list[OrderLine], stated: Decimal | None
) -> _Priced:
    kind = request.kind
    if kind == ActionKind.REFUND:
        assert order is not None
        return _price_refund(request, order, lines, stated)
    if kind in STATED_AMOUNT:
        if stated is None or stated <= 0:
            raise _invalid("say what it is worth", "amount_required", "amount")
        return _Priced(amount=stated, lines=[])
    assert order is not None
    chosen = _chosen_lines(request, order, lines)
    if kind in NEEDS_LINES and not chosen:
        raise _invalid("choose the order lines it covers", "lines_required", "lines")
    shipping = cents(order.shipping_total) if request.waive_shipping else Decimal("0.00")
    if kind == ActionKind.REPLACEMENT:
        priced = [(line, quantity, _value_of(line, quantity)) for line, quantity, _ in chosen]
        return _Priced(amount=cents(sum((a for *_, a in priced), shipping)), lines=priced)
    if kind == ActionKind.EXCHANGE:
        # The goods go back and forth; what the company gives is the shipping it does not charge.
        priced = [(line, quantity, _value_of(line, quantity)) for line, quantity, _ in chosen]
        return _Priced(amount=shipping, lines=priced)
    # A return label: what the label costs, when known.
    return _Priced(
        amount=stated or Decimal("0.00"),
        lines=[(line, quantity, Decimal("0.00")) for line, quantity, _ in chosen],
    )


def _check_request(request: ActionRequest) -> None:
    if request.kind not in ActionKind.values:
        raise _invalid(f"unknown kind {request.kind!r}", "invalid_kind", "kind")
    if request.reason not in Reason.values:
        raise _invalid(f"unknown reason {request.reason!r}", "invalid_reason", "reason")
    if request.kind in NEEDS_ORDER and request.order_id is None:
        raise _invalid(
            f"a {ActionKind(request.kind).label.lower()} needs an order", "order_required", "order"
        )
    if request.lines and request.order_id is None:
        raise _invalid("order lines need their order", "order_required", "order")
    if request.coupon_code and request.kind != ActionKind.GOODWILL_CREDIT:
        raise _invalid("only a goodwill credit has a coupon code", "invalid_coupon", "coupon_code")
    if len(request.coupon_code.strip()) > 64:
        raise _invalid("a coupon code has at most 64 characters", "invalid_coupon", "coupon_code")
    if len(request.note) > 2000:
        raise _invalid("the note has at most 2,000 characters", "note_too_long", "note")


def _lock_people(customer: Customer, user: User) -> None:
    # Limits count what the customer and the person were granted: one decision at a time for each, so
    # two at once cannot both fit under a limit that only one fits under. Always customer, then person,
    # then order, so two transactions never wait on each other in a circle.
    Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk", flat=True).first()
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


@transaction.atomic
def propose_action(
    *, actor: Actor, customer: Customer, conversation: Conversation | None, request: ActionRequest
) -> RecoveryAction:
    """Propose an action; the policy approves it at once when it is within the limits, else it waits."""
    actor.require(Perm.RECOVERY_ACT)
    _check_request(request)
    if customer.is_merged:
        raise Conflict("this customer was merged into another", code="customer_merged")
    if conversation is not None:
        if conversation.customer_id != customer.pk:
            raise _invalid("the conversation is with another customer", "conversation_not_customers")
        if conversation.is_merged:
            raise Conflict("this conversation was merged into another", code="conversation_merged")
    stated = _amount(request.amount)
    _lock_people(customer, actor.user)
    order: Order | None = None
    lines: list[OrderLine] = []
    if request.order_id is not None:
        order, lines = _lock_order(request.order_id, customer)
    if order is not None:
        if request.currency and _currency(request.currency) != order.currency:
            raise _invalid(f"order {order.number} is in {order.currency}", "currency_mismatch", "currency")
        currency = order.currency
    elif request.currency:
        currency = _currency(request.currency)
    else:
        policy = selectors.policy_for(actor.user)
        currency = policy.currency if policy is not None else "EUR"
    priced = _price(request, order, lines, stated)
    now = timezone.now()
    action = RecoveryAction.objects.create(
        customer=customer,
        conversation=conversation,
        order=order,
        kind=request.kind,
        reason=request.reason,
        amount=priced.amount,
        currency=currency,
        waive_shipping=request.waive_shipping,
        expedited=request.expedited,
        coupon_code=request.coupon_code.strip(),
        note=request.note.strip(),
        requested_by=actor.user,
        created_at=now,
        updated_at=now,
    )
    RecoveryLine.objects.bulk_create(
        RecoveryLine(action=action, order_line=line, quantity=quantity, amount=amount)
        for line, quantity, amount in priced.lines
    )
    evaluation = selectors.evaluate(
        user=actor.user, customer=customer, kind=action.kind, amount=action.amount, currency=currency, now=now
    )
    decision = evaluation.decision
    action.customer_tier = decision.tier
    action.approval_reasons = list(decision.reasons)
    action.save(update_fields=["customer_tier", "approval_reasons"])
    waits = "" if decision.auto_approve else f"; waits for a lead's approval: {'; '.join(decision.reasons)}"
    _record(
        action,
        "proposed",
        f"{actor.user.display_name} proposed a {describe(action)}{waits}",
        actor=actor,
        data={"reasons": list(decision.reasons)},
    )
    _audit(action, "propose", actor=actor, before=None)
    if decision.auto_approve:
        _approve(action, actor=actor, by=None, policy=evaluation.policy, note="", at=now)
    return action


# Deciding


def _snapshot(policy: EmpowermentPolicy | None, *, tier: str) -> dict[str, Any] | None:
    if policy is None:
        return None
    return {**policy.as_snapshot(), "customer_tier": tier}


def _approve(
    action: RecoveryAction,
    *,
    actor: Actor,
    by: User | None,
    policy: EmpowermentPolicy | None,
    note: str,
    at: Any,
) -> None:
    before = action.status
    action.status = ActionStatus.APPROVED
    action.approved_by = by
    action.approved_automatically = by is None
    action.decided_at = at
    action.decision_note = note
    action.policy_snapshot = _snapshot(policy, tier=action.customer_tier)
    action.updated_at = at
    action.save()
    how = "within the policy" if by is None else f"by {by.display_name}"
    _record(
        action,
        "approved",
        f"Approved {how}: {describe(action)}" + (f" — {note}" if note else ""),
        actor=actor,
        data={"automatically": by is None},
    )
    _audit(action, "approve", actor=actor, before=before)


def _lock(action: RecoveryAction) -> RecoveryAction:
    return (
        RecoveryAction.objects.select_for_update(of=("self",))
        .select_related("customer", "conversation", "order", "requested_by")
        .get(pk=action.pk)
    )


def _check_transition(action: RecoveryAction, status: str) -> None:
    if status not in TRANSITIONS[ActionStatus(action.status)]:
        raise Conflict(
            f"this action is {ActionStatus(action.status).label.lower()}; it cannot become "
            f"{ActionStatus(status).label.lower()}",
            code="invalid_transition",
        )


@transaction.atomic
def approve_action(*, actor: Actor, action: RecoveryAction, note: str = "") -> RecoveryAction:
    """A lead approves an action the policy left waiting. Nobody but an admin approves their own."""
    actor.require(Perm.RECOVERY_APPROVE)
    action = _lock(action)
    if action.status != ActionStatus.PROPOSED:
        raise Conflict("this action is not waiting for approval", code="not_waiting")
    if action.requested_by_id == actor.user.pk and actor.user.role != Role.ADMIN:
        raise PermissionDenied("you cannot approve your own request; another lead must", code="own_request")
    requester = action.requested_by or actor.user
    _approve(
        action,
        actor=actor,
        by=actor.user,
        policy=selectors.policy_for(requester),
        note=note.strip()[:2000],
        at=timezone.now(),
    )
    return action


@transaction.atomic
def decline_action(*, actor: Actor, action: RecoveryAction, note: str = "") -> RecoveryAction:
    actor.require(Perm.RECOVERY_APPROVE)
    action = _lock(action)
    if action.status != ActionStatus.PROPOSED:
        raise Conflict("this action is not waiting for approval", code="not_waiting")
    if action.requested_by_id == actor.user.pk and actor.user.role != Role.ADMIN:
        raise PermissionDenied("you cannot decide on your own request; cancel it instead", code="own_request")
    before = action.status
    now = timezone.now()
    action.status = ActionStatus.CANCELLED
    action.declined_by = actor.user
    action.decided_at = now
    action.decision_note = note.strip()[:2000]
    action.updated_at = now
    action.save()
    _record(
        action,
        "declined",
        f"Declined by {actor.user.display_name}: {describe(action)}"
        + (f" — {action.decision_note}" if action.decision_note else ""),
        actor=actor,
    )
    _audit(action, "decline", actor=actor, before=before)
    return action


@transaction.atomic
def cancel_action(*, actor: Actor, action: RecoveryAction, note: str = "") -> RecoveryAction:
    """The person who asked (or a lead) cancels an action not yet carried out."""
    actor.require(Perm.RECOVERY_ACT)
    action = _lock(action)
    if action.requested_by_id != actor.user.pk and not actor.can(Perm.RECOVERY_APPROVE):
        raise PermissionDenied("only who asked for it, or a lead, can cancel this action", code="not_yours")
    _check_transition(action, ActionStatus.CANCELLED)
    before = action.status
    action.status = ActionStatus.CANCELLED
    action.decision_note = note.strip()[:2000] or action.decision_note
    action.updated_at = timezone.now()
    action.save()
    _record(
        action,
        "cancelled",
        f"{actor.user.display_name} cancelled the {describe(action)}",
        actor=actor,
        data={"was": before},
    )
    _audit(action, "cancel", actor=actor, before=before)
    return action


# Carrying out: the store's side


OUTCOMES = (ActionStatus.DONE, ActionStatus.FAILED)


@transaction.atomic
def record_outcome(
    *, actor: Actor, action: RecoveryAction, status: str, reference: str = "", detail: str = ""
) -> RecoveryAction:
    """The store (or a person, by hand) says the action was carried out, or could not be.

    Saying the same outcome again changes nothing, so a store that retries its call is safe.
    """
    actor.require(Perm.RECOVERY_ACT)
    if status not in OUTCOMES:
        raise _invalid("the outcome is done or failed", "invalid_outcome", "status")
    if len(reference) > 200 or len(detail) > 300:
        raise _invalid("the reference has at most 200 characters", "invalid_reference", "reference")
    action = _lock(action)
    if action.status == status:
        return action
    _check_transition(action, status)
    before = action.status
    action.status = status
    action.store_reference = reference.strip() or action.store_reference
    action.failure_reason = detail.strip() if status == ActionStatus.FAILED else ""
    action.updated_at = timezone.now()
    action.save()
    said = f" ({action.store_reference})" if action.store_reference else ""
    if status == ActionStatus.DONE:
        summary = f"The store carried out the {describe(action)}{said}"
    else:
        why = f": {action.failure_reason}" if action.failure_reason else ""
        summary = f"The store could not carry out the {describe(action)}{said}{why}"
    _record(action, status, summary, actor=actor, data={"reference": action.store_reference})
    _audit(action, status, actor=actor, before=before)
    return action


@transaction.atomic
def mark_sent(*, action_id: int) -> RecoveryAction | None:
    """The approval reached the store (its webhook was delivered). Later news wins: a store that already
    reported done or failed is not moved back."""
    action = RecoveryAction.objects.filter(pk=action_id).first()
    if action is None:
        return None
    action = _lock(action)
    if action.status != ActionStatus.APPROVED:
        return action
    action.status = ActionStatus.SENT
    action.updated_at = timezone.now()
    action.save()
    _record(action, "sent", f"Sent to the store: {describe(action)}", actor=None)
    _audit(action, "sent", actor=None, before=ActionStatus.APPROVED)
    return action


@transaction.atomic
def mark_undeliverable(*, action_id: int) -> RecoveryAction | None:
    """The approval could not be delivered to the store, after every retry: the action failed."""
    action = RecoveryAction.objects.filter(pk=action_id).first()
    if action is None:
        return None
    action = _lock(action)
    if action.status != ActionStatus.APPROVED:
        return action
    action.status = ActionStatus.FAILED
    action.failure_reason = "the store could not be reached"
    action.updated_at = timezone.now()
    action.save()
    _record(
        action,
        "failed",
        f"The store could not be reached about the {describe(action)}",
        actor=None,
        data={"reference": ""},
    )
    _audit(action, "failed", actor=None, before=ActionStatus.APPROVED)
    return action


def move_conversation_actions(source: Conversation, target: Conversation) -> dict[str, int]:
    """Conversation merge step: the actions follow the messages into the conversation that remains."""
    return {"actions": RecoveryAction.objects.filter(conversation=source).update(conversation=target)}


def move_recovery_records(source: Customer, target: Customer) -> dict[str, int]:
    """Customer merge step: the merged-away customer's recovery actions now belong to the survivor."""
    return {"actions": RecoveryAction.objects.filter(customer=source).update(customer=target)}
