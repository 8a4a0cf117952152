"""Empowerment policies: admins set what each role (optionally in one team) may grant alone.

Each change raises the policy's version and keeps the new version as a row, so the snapshot stored on
an approved action always names a version that can be read back, and is audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from rapport.accounts.audit import changed, record_audit
from rapport.accounts.models import Team
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import Conflict, ValidationFailed
from rapport.recovery.models import (
    ActionKind,
    EmpowermentPolicy,
    EmpowermentPolicyVersion,
    PolicyRole,
)
from rapport.recovery.money import cents
from rapport.recovery.selectors import TIERS

MAX_LIMIT = Decimal("9999999999.99")
MAX_MULTIPLIER = Decimal("10")
MAX_WINDOW_DAYS = 3650


@dataclass(frozen=True)
class PolicyInput:
    role: str
    team: Team | None
    currency: str
    per_action_limit: Decimal
    per_customer_limit: Decimal
    per_customer_window_days: int
    per_agent_daily_limit: Decimal
    kinds_needing_approval: Sequence[str] = ()
    tier_multipliers: Mapping[str, Decimal | str | float] = field(default_factory=dict)


def _clean(data: PolicyInput) -> tuple[dict[str, object], dict[str, str]]:
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    if data.role not in PolicyRole.values:
        errors["role"] = f"the role is agent or lead, not {data.role!r}"
    currency = data.currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = "a three-letter currency code, such as EUR"
    values["currency"] = currency
    for name in ("per_action_limit", "per_customer_limit", "per_agent_daily_limit"):
        try:
            amount = Decimal(str(getattr(data, name)))
        except (InvalidOperation, ValueError):
            errors[name] = "a number"
            continue
        if not amount.is_finite() or amount < 0 or amount > MAX_LIMIT:
            errors[name] = f"between 0 and {MAX_LIMIT}"
            continue
        values[name] = cents(amount)
    window = data.per_customer_window_days
    if not 1 <= window <= MAX_WINDOW_DAYS:
        errors["per_customer_window_days"] = f"between 1 and {MAX_WINDOW_DAYS} days"
    values["per_customer_window_days"] = window
    unknown = sorted(set(data.kinds_needing_approval) - set(ActionKind.values))
    if unknown:
        errors["kinds_needing_approval"] = f"unknown kinds: {', '.join(unknown)}"
    values["kinds_needing_approval"] = sorted(set(data.kinds_needing_approval))
    multipliers: dict[str, str] = {}
    for tier, raw in data.tier_multipliers.items():
        if tier not in TIERS:
            errors["tier_multipliers"] = f"unknown tier {tier!r} (tiers: {', '.join(TIERS)})"
            break
        try:
            value = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            errors["tier_multipliers"] = f"the multiplier for {tier} must be a number"
            break
        if not value.is_finite() or value < 0 or value > MAX_MULTIPLIER:
            errors["tier_multipliers"] = f"the multiplier for {tier} must be between 0 and {MAX_MULTIPLIER}"
            break
        multipliers[tier] = format(value.quantize(Decimal("0.01")).normalize(), "f")
    values["tier_multipliers"] = multipliers
    return values, errors


@transaction.atomic
def save_policy(*, actor: Actor, policy: EmpowermentPolicy | None, data: PolicyInput) -> EmpowermentPolicy:
    """Create a policy, or change one (a new version); the role and team of a policy stay as they are."""
    actor.require(Perm.RECOVERY_CONFIGURE)
    values, errors = _clean(data)
    if errors:
        raise ValidationFailed("the policy was not saved", code="invalid_policy", errors=errors)
    now = timezone.now()
    if policy is None:
        target = EmpowermentPolicy(role=data.role, team=data.team, version=1, created_at=now)
        before = None
    else:
        target = EmpowermentPolicy.objects.select_for_update().get(pk=policy.pk)
        before = target.as_snapshot()
        if (data.role, data.team.pk if data.team else None) != (target.role, target.team_id):
            raise ValidationFailed(
                "a policy's role and team cannot change; make a new policy instead", code="invalid_policy"
            )
    for name, value in values.items():
        setattr(target, name, value)
    if before is not None:
        if not changed(before, target.as_snapshot())[1]:
            return target
        target.version += 1
    target.updated_by = actor.user
    target.updated_at = now
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        who = "this team" if data.team else "everyone"
        raise Conflict(
            f"{PolicyRole(data.role).label} of {who} have a policy already; change that one",
            code="policy_exists",
        ) from None
    snapshot = target.as_snapshot()
    EmpowermentPolicyVersion.objects.create(
        policy=target, version=target.version, data=snapshot, changed_by=actor.user, changed_at=now
    )
    if before is None:
        record_audit(actor=actor, action="recovery.policy.create", target=target, after=snapshot)
    else:
        old, new = changed(before, snapshot)
        record_audit(actor=actor, action="recovery.policy.update", target=target, before=old, after=new)
    return target
