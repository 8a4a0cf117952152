"""Recovery actions (refunds, replacements, credits...) and the empowerment policies that decide them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ActionKind(models.TextChoices):
    REFUND = "refund", "Refund"
    REPLACEMENT = "replacement", "Replacement"
    EXCHANGE = "exchange", "Exchange"
    FREE_SHIPPING = "free_shipping", "Free shipping on the next order"
    GOODWILL_CREDIT = "goodwill_credit", "Goodwill credit or coupon"
    RETURN_LABEL = "return_label", "Return label"


class Reason(models.TextChoices):
    OUR_MISTAKE = "our_mistake", "Our mistake"
    CARRIER = "carrier", "Carrier"
    LOST_OR_STOLEN = "lost_or_stolen", "Lost or stolen"
    PRODUCT_DEFECT = "product_defect", "Product defect"
    CUSTOMER_MISTAKE = "customer_mistake", "Customer's mistake"
    GOODWILL = "goodwill", "Goodwill"


class ActionStatus(models.TextChoices):
    PROPOSED = "proposed", "Waiting for approval"
    APPROVED = "approved", "Approved"
    SENT = "sent", "Sent to the store"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# What counts as granted (for the limits and the repeated-recoveries count): approved and after, short of
# failure. A proposal is not granted yet; a failed or cancelled action never was.
GRANTED_STATUSES = (ActionStatus.APPROVED, ActionStatus.SENT, ActionStatus.DONE)
# What holds money on an order line (refunds can never exceed what was paid): everything not undone,
# proposals included, so two proposals waiting for approval cannot together exceed it either.
RESERVING_STATUSES = (ActionStatus.PROPOSED, *GRANTED_STATUSES)


class RecoveryAction(models.Model):
    """Something done for a customer to put a problem right, with who asked, who approved and why."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="recovery_actions", db_index=False
    )
    conversation = models.ForeignKey(
        "desk.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recovery_actions",
    )
    order = models.ForeignKey(
        "commerce.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="recovery_actions"
    )
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    # The value granted: for a replacement the replaced lines plus any shipping charge waived.
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="EUR")
    waive_shipping = models.BooleanField(default=False)
    expedited = models.BooleanField(default=False)
    # A goodwill credit given as a coupon carries its code; blank for a credit on the account.
    coupon_code = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.PROPOSED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Null when approved automatically within the policy, or not approved (yet).
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_automatically = models.BooleanField(default=False)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    # Why the policy sent it to the approvals queue, in words ("over the €50.00 per-action limit...").
    approval_reasons = models.JSONField(default=list, blank=True)
    # The policy in force when it was approved (its version and limits), exactly as it was then.
    policy_snapshot = models.JSONField(null=True, blank=True)
    # The customer's value tier when the policy was applied.
    customer_tier = models.CharField(max_length=16, blank=True)
    # The store's id for what it did (a refund id, the replacement's order number), from its outcome.
    store_reference = models.CharField(max_length=200, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Limits read what a customer was granted within a window, and the 360 lists theirs.
            models.Index(fields=["customer", "decided_at"], name="recovery_customer_idx"),
            # The per-person daily limit.
            models.Index(fields=["requested_by", "decided_at"], name="recovery_requester_idx"),
            # The approvals queue: the few proposals, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(status="proposed"),
                name="recovery_waiting_idx",
            ),
            models.Index(fields=["decided_at"], name="recovery_decided_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="recovery_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        """Still to be decided or carried out: it can be cancelled."""
        return self.status in (ActionStatus.PROPOSED, ActionStatus.APPROVED)


class RecoveryLine(models.Model):
    """An order line an action covers: how many of it, and the amount for them."""

    action = models.ForeignKey(RecoveryAction, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("commerce.OrderLine", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["action", "order_line"], name="recovery_line_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="recovery_line_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id}"


class PolicyRole(models.TextChoices):
    AGENT = "agent", "Agents"
    LEAD = "lead", "Leads"


DEFAULT_TIER_MULTIPLIERS = {"standard": "1", "silver": "1.25", "gold": "1.5", "platinum": "2"}


def default_tier_multipliers() -> dict[str, str]:
    return dict(DEFAULT_TIER_MULTIPLIERS)


class EmpowermentPolicy(models.Model):
    """What one role (optionally in one team) may grant alone; a team's policy wins over the role's."""

    role = models.CharField(max_length=10, choices=PolicyRole.choices)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="recovery_policies"
    )
    currency = models.CharField(max_length=3, default="EUR")
    per_action_limit = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    per_customer_limit = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    per_customer_window_days = models.PositiveIntegerField(default=30)
    per_agent_daily_limit = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    kinds_needing_approval = models.JSONField(default=list, blank=True)
    # Value tier -> multiplier of the per-action and per-customer limits, as decimal strings.
    tier_multipliers = models.JSONField(default=default_tier_multipliers, blank=True)
    # Raised on every change; each version is kept in EmpowermentPolicyVersion.
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["role", "team__name", "id"]
        verbose_name_plural = "empowerment policies"
        constraints = [
            models.UniqueConstraint(
                fields=["role", "team"], condition=Q(team__isnull=False), name="policy_one_per_role_team"
            ),
            models.UniqueConstraint(
                fields=["role"], condition=Q(team__isnull=True), name="policy_one_per_role"
            ),
        ]

    def __str__(self) -> str:
        scope = f" in {self.team}" if self.team_id else ""
        return f"{self.get_role_display()}{scope}"

    def as_snapshot(self) -> dict[str, Any]:
        """The policy as stored with each version and on each approved action."""
        return {
            "policy_id": self.pk,
            "version": self.version,
            "role": self.role,
            "team_id": self.team_id,
            "currency": self.currency,
            "per_action_limit": str(self.per_action_limit),
            "per_customer_limit": str(self.per_customer_limit),
            "per_customer_window_days": self.per_customer_window_days,
            "per_agent_daily_limit": str(self.per_agent_daily_limit),
            "kinds_needing_approval": sorted(self.kinds_needing_approval),
            "tier_multipliers": {tier: str(value) for tier, value in sorted(self.tier_multipliers.items())},
        }


class EmpowermentPolicyVersion(models.Model):
    """Every version a policy had, so an action's snapshot can always be matched to what was in force."""

    policy = models.ForeignKey(EmpowermentPolicy, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    data = models.JSONField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["policy", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "version"], name="policy_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} v{self.version}"
