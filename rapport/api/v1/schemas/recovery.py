"""Schemas of the recovery router: actions, their decisions and outcomes, and empowerment policies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from rapport.api.v1.schemas.common import Id, Money, Text
from rapport.recovery.models import (
    ActionKind,
    ActionStatus,
    EmpowermentPolicy,
    PolicyRole,
    Reason,
    RecoveryAction,
)
from rapport.recovery.services.actions import ActionRequest, LineRequest


class ActionFilters(Schema):
    conversation_id: Id | None = Field(None, description="Only this conversation's actions")
    customer_id: Id | None = Field(None, description="Only this customer's actions")
    status: ActionStatus | None = None
    kind: ActionKind | None = None


class LineIn(Schema):
    order_line_id: Id
    quantity: int | None = Field(None, ge=1, le=1_000_000, description="Defaults to the whole line")
    amount: Money | None = Field(
        None, description="Refunds only: part of the line's value (defaults to the value of the quantity)"
    )


class ActionIn(Schema):
    conversation_id: Id | None = Field(None, description="The conversation it puts right (its customer's)")
    customer_id: Id | None = Field(None, description="Needed only without a conversation")
    kind: ActionKind
    reason: Reason
    order_id: Id | None = Field(None, description="Needed for refunds, replacements, exchanges and labels")
    lines: list[LineIn] = Field(default_factory=list, max_length=200)
    amount: Money | None = Field(
        None,
        description="Refund without lines, free shipping and credits: the value granted; a label: its cost",
    )
    currency: Text = Field("", max_length=3, description="Only without an order; defaults to the policy's")
    waive_shipping: bool = False
    expedited: bool = False
    coupon_code: Text = Field("", max_length=64)
    note: Text = Field("", max_length=2000)

    def to_request(self) -> ActionRequest:
        return ActionRequest(
            kind=self.kind,
            reason=self.reason,
            order_id=self.order_id,
            lines=[
                LineRequest(order_line_id=line.order_line_id, quantity=line.quantity, amount=line.amount)
                for line in self.lines
            ],
            amount=self.amount,
            currency=self.currency,
            waive_shipping=self.waive_shipping,
            expedited=self.expedited,
            coupon_code=self.coupon_code,
            note=self.note,
        )


class DecisionIn(Schema):
    note: Text = Field("", max_length=2000)


class OutcomeIn(Schema):
    status: Literal["done", "failed"]
    reference: Text = Field("", max_length=200, description="The store's id of what it did")
    detail: Text = Field("", max_length=300, description="Why it failed, in words")


class LineOut(Schema):
    order_line_id: int
    sku: str
    name: str
    quantity: int
    amount: Money

    @staticmethod
    def resolve_sku(obj: Any) -> str:
        return str(obj.order_line.sku)

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.order_line.name)


class ActionOut(Schema):
    id: int
    customer_id: int
    conversation_id: int | None
    order_id: int | None
    order_number: str | None
    kind: ActionKind
    reason: Reason
    amount: Money
    currency: str
    lines: list[LineOut]
    waive_shipping: bool
    expedited: bool
    coupon_code: str
    note: str
    status: ActionStatus
    requested_by_id: int | None
    approved_by_id: int | None
    approved_automatically: bool
    declined_by_id: int | None
    decided_at: datetime | None
    decision_note: str
    approval_reasons: list[str] = Field(description="Why the policy left it to a lead, in words")
    customer_tier: str
    policy_snapshot: dict[str, Any] | None = Field(description="The policy in force when it was approved")
    store_reference: str
    failure_reason: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_order_number(obj: RecoveryAction) -> str | None:
        return obj.order.number if obj.order_id and obj.order is not None else None

    @staticmethod
    def resolve_lines(obj: RecoveryAction) -> list[Any]:
        return list(obj.lines.all())


class ActionPage(Schema):
    count: int
    items: list[ActionOut]


class PolicyOut(Schema):
    id: int
    role: PolicyRole
    team_id: int | None
    currency: str
    per_action_limit: Money
    per_customer_limit: Money
    per_customer_window_days: int
    per_agent_daily_limit: Money
    kinds_needing_approval: list[str]
    tier_multipliers: dict[str, str] = Field(
        description="Value tier (standard, silver, gold, platinum) -> multiplier of the limits, as a decimal"
    )
    version: int
    updated_by_id: int | None
    updated_at: datetime

    @staticmethod
    def resolve_tier_multipliers(obj: EmpowermentPolicy) -> dict[str, str]:
        return {tier: str(value) for tier, value in obj.tier_multipliers.items()}


class PolicyPage(Schema):
    count: int
    items: list[PolicyOut]
