"""Forms of the recovery pages: proposing an action from a conversation, deciding, and the policies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from rapport.accounts.models import Team
from rapport.commerce.models import Order
from rapport.recovery.models import ActionKind, EmpowermentPolicy, PolicyRole, Reason
from rapport.recovery.selectors import TIERS
from rapport.recovery.services.actions import ActionRequest, LineRequest
from rapport.recovery.services.policies import PolicyInput


class ActionForm(forms.Form):
    """An action on one of the customer's orders (or none). Lines are checkboxes named "line" with
    "quantity-<id>" and, for partial refunds, "amount-<id>" beside each."""

    kind = forms.ChoiceField(choices=ActionKind.choices)
    reason = forms.ChoiceField(choices=Reason.choices)
    order = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    amount = forms.DecimalField(
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        help_text="Refunds without lines, free shipping, credits, a label's cost",
    )
    waive_shipping = forms.BooleanField(required=False, label="No shipping charge")
    expedited = forms.BooleanField(required=False, label="Expedited")
    coupon_code = forms.CharField(required=False, max_length=64, label="Coupon code")
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data: Any = None, *, orders: list[Order], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.orders = orders
        self.fields["order"].choices = [("", "No order"), *((o.pk, o.number) for o in orders)]  # type: ignore[attr-defined]
        self.line_orders = {line.pk: order.pk for order in orders for line in order.lines.all()}

    def _int(self, name: str) -> int | None:
        raw = (self.data.get(name) or "").strip()
        try:
            return int(raw) if raw else None
        except ValueError:
            self.add_error(None, f"{name}: a whole number")
            return None

    def _decimal(self, name: str) -> Decimal | None:
        raw = (self.data.get(name) or "").strip().replace(",", ".")
        if not raw:
            return None
        try:
            return Decimal(raw)
        except ArithmeticError:
            self.add_error(None, f"{name}: a number")
            return None

    def chosen_line_ids(self) -> set[str]:
        """The line checkboxes ticked, as sent: the form is drawn again with them ticked."""
        getlist = getattr(self.data, "getlist", None)
        return set(getlist("line")) if self.is_bound and getlist is not None else set()

    def chosen_lines(self) -> list[LineRequest]:
        lines: list[LineRequest] = []
        for raw in self.data.getlist("line") if hasattr(self.data, "getlist") else []:
            try:
                line_id = int(raw)
            except ValueError:
                continue
            lines.append(
                LineRequest(
                    order_line_id=line_id,
                    quantity=self._int(f"quantity-{line_id}"),
                    amount=self._decimal(f"amount-{line_id}"),
                )
            )
        return lines

    def to_request(self) -> ActionRequest:
        data = self.cleaned_data
        lines = self.chosen_lines()
        order_id = data.get("order")
        if order_id is None and lines:
            # The lines' checkboxes sit under their order: choosing lines chooses it.
            order_id = self.line_orders.get(lines[0].order_line_id)
        return ActionRequest(
            kind=data["kind"],
            reason=data["reason"],
            order_id=order_id,
            lines=lines,
            amount=data.get("amount"),
            waive_shipping=data.get("waive_shipping", False),
            expedited=data.get("expedited", False),
            coupon_code=data.get("coupon_code", ""),
            note=data.get("note", ""),
        )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    note = forms.CharField(required=False, max_length=2000)


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(choices=[("done", "Done"), ("failed", "Failed")])
    reference = forms.CharField(required=False, max_length=200)


class PolicyForm(forms.Form):
    role = forms.ChoiceField(choices=PolicyRole.choices)
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), required=False, empty_label="Everyone in the role"
    )
    currency = forms.CharField(max_length=3, initial="EUR")
    per_action_limit = forms.DecimalField(min_value=Decimal("0"), max_digits=12, decimal_places=2)
    per_customer_limit = forms.DecimalField(min_value=Decimal("0"), max_digits=12, decimal_places=2)
    per_customer_window_days = forms.IntegerField(min_value=1, max_value=3650, initial=30)
    per_agent_daily_limit = forms.DecimalField(min_value=Decimal("0"), max_digits=12, decimal_places=2)
    kinds_needing_approval = forms.MultipleChoiceField(
        choices=ActionKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, policy: EmpowermentPolicy | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for tier in TIERS:
            self.fields[f"multiplier_{tier}"] = forms.DecimalField(
                label=f"{tier.title()} customers ×",
                min_value=Decimal("0"),
                max_value=Decimal("10"),
                max_digits=5,
                decimal_places=2,
                initial=Decimal("1"),
            )
        if policy is not None:
            # A policy stays with its role and team; another team's gets a policy of its own.
            self.fields["role"].disabled = True
            self.fields["team"].disabled = True

    @property
    def multiplier_fields(self) -> list[forms.BoundField]:
        return [self[f"multiplier_{tier}"] for tier in TIERS]

    @classmethod
    def initial_for(cls, policy: EmpowermentPolicy) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "role": policy.role,
            "team": policy.team_id,
            "currency": policy.currency,
            "per_action_limit": policy.per_action_limit,
            "per_customer_limit": policy.per_customer_limit,
            "per_customer_window_days": policy.per_customer_window_days,
            "per_agent_daily_limit": policy.per_agent_daily_limit,
            "kinds_needing_approval": list(policy.kinds_needing_approval),
        }
        for tier in TIERS:
            initial[f"multiplier_{tier}"] = Decimal(str(policy.tier_multipliers.get(tier, "1")))
        return initial

    def to_input(self) -> PolicyInput:
        data = self.cleaned_data
        return PolicyInput(
            role=data["role"],
            team=data.get("team"),
            currency=data["currency"],
            per_action_limit=data["per_action_limit"],
            per_customer_limit=data["per_customer_limit"],
            per_customer_window_days=data["per_customer_window_days"],
            per_agent_daily_limit=data["per_agent_daily_limit"],
            kinds_needing_approval=data.get("kinds_needing_approval") or [],
            tier_multipliers={tier: data[f"multiplier_{tier}"] for tier in TIERS},
        )
