"""SLA policies: targets, the order they are tried in, and what they match."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Max

from rapport.accounts.audit import record_audit, snapshot
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import Conflict, ValidationFailed
from rapport.customers.models import Tag
from rapport.customers.tiers import TIERS
from rapport.desk.models import (
    BusinessCalendar,
    Conversation,
    Priority,
    SlaPolicy,
)
from rapport.desk.services.config._common import (
    MAX_TARGET_MINUTES,
    POLICY_FIELDS,
    audit_save,
    clean_name,
    invalid,
)


def _clean_target(minutes: int | None, key: str, errors: dict[str, str]) -> int | None:
    if minutes is None:
        return None
    if not 1 <= minutes <= MAX_TARGET_MINUTES:
        errors[key] = f"between 1 minute and {MAX_TARGET_MINUTES // (24 * 60)} days of business time"
    return minutes


@transaction.atomic
def save_sla_policy(
    *,
    actor: Actor,
    policy: SlaPolicy | None = None,
    name: str,
    priority: str = "",
    customer_tag: Tag | None = None,
    customer_tier: str = "",
    calendar: BusinessCalendar | None = None,
    first_response_minutes: int | None,
    resolution_minutes: int | None,
    is_active: bool = True,
) -> SlaPolicy:
    """Create or change a policy; targets are minutes of business time on the calendar (none: 24/7).

    A new policy goes last, so it never takes over conversations an earlier policy already matches.
    Changes apply to conversations opened afterwards and to those whose priority changes.
    """
    actor.require(Perm.DESK_CONFIGURE)
    errors: dict[str, str] = {}
    others = SlaPolicy.objects.filter(name__iexact=name.strip())
    if policy is not None:
        policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
        others = others.exclude(pk=policy.pk)
    name = clean_name(name, errors, what="policy", taken=others.exists())
    if priority not in ("", *Priority.values):
        errors["priority"] = f"unknown priority “{priority}”"
    if customer_tier not in ("", *TIERS):
        errors["customer_tier"] = f"unknown value tier “{customer_tier}”"
    first = _clean_target(first_response_minutes, "first_response_minutes", errors)
    resolution = _clean_target(resolution_minutes, "resolution_minutes", errors)
    if first is None and resolution is None:
        errors["first_response_minutes"] = "set a first-response target, a resolution target, or both"
    elif first is not None and resolution is not None and first > resolution and not errors:
        errors["resolution_minutes"] = "the resolution target cannot come before the first-response target"
    if errors:
        raise invalid(errors, "invalid_sla_policy")
    target = policy or SlaPolicy(
        position=(SlaPolicy.objects.aggregate(last=Max("position"))["last"] or 0) + 1
    )
    before = snapshot(target, POLICY_FIELDS) if policy is not None else None
    target.name, target.priority, target.is_active = name, priority, is_active
    target.customer_tag, target.customer_tier, target.calendar = customer_tag, customer_tier, calendar
    target.first_response_minutes, target.resolution_minutes = first, resolution
    target.save()
    audit_save(actor, "desk.sla_policy", target, before, POLICY_FIELDS)
    return target


@transaction.atomic
def delete_sla_policy(*, actor: Actor, policy: SlaPolicy) -> None:
    """Delete a policy no conversation ran on; one that has served conversations is deactivated instead.

    Deleting a used policy would erase, on every conversation it timed, which targets applied.
    """
    actor.require(Perm.DESK_CONFIGURE)
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    used = Conversation.objects.filter(sla_policy=policy).count()
    if used:
        raise Conflict(
            f"“{policy.name}” has timed {used} conversation{'s' if used != 1 else ''}; "
            "deactivate it instead, so it no longer applies to new ones",
            code="sla_policy_in_use",
        )
    record_audit(
        actor=actor, action="desk.sla_policy.delete", target=policy, before=snapshot(policy, POLICY_FIELDS)
    )
    policy.delete()


def _apply_order(actor: Actor, ordered: list[SlaPolicy]) -> list[SlaPolicy]:
    for position, policy in enumerate(ordered, start=1):
        if policy.position != position:
            record_audit(
                actor=actor,
                action="desk.sla_policy.reorder",
                target=policy,
                before={"position": policy.position},
                after={"position": position},
            )
            policy.position = position
            policy.save(update_fields=["position"])
    return ordered


@transaction.atomic
def reorder_sla_policies(*, actor: Actor, policy_ids: Sequence[int]) -> list[SlaPolicy]:
    """Put every policy in the given order; the first that matches a conversation applies."""
    actor.require(Perm.DESK_CONFIGURE)
    policies = {
        policy.pk: policy for policy in SlaPolicy.objects.select_for_update().order_by("position", "id")
    }
    if sorted(policy_ids) != sorted(policies):
        raise ValidationFailed(
            "give every policy exactly once; the list changed while you were editing it",
            code="invalid_order",
        )
    return _apply_order(actor, [policies[pk] for pk in policy_ids])


@transaction.atomic
def move_sla_policy(*, actor: Actor, policy: SlaPolicy, by: int) -> list[SlaPolicy]:
    """Move a policy up (negative) or down (positive) the order, stopping at either end."""
    actor.require(Perm.DESK_CONFIGURE)
    ordered = list(SlaPolicy.objects.select_for_update().order_by("position", "id"))
    index = next((i for i, item in enumerate(ordered) if item.pk == policy.pk), None)
    if index is None:
        raise ValidationFailed("that policy no longer exists", code="invalid_order")
    moving = ordered.pop(index)
    ordered.insert(max(0, min(len(ordered), index + by)), moving)
    return _apply_order(actor, ordered)
