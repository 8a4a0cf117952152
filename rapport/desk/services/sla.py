"""SLA clocks: which policy applies, when targets fall due, pausing, and flagging breaches.

Due and warning times are stored on the conversation so the inbox filters on an index. While the
clock stands still (pending on the customer, or resolved until the customer writes again) nothing
falls due; on resuming, every moment still ahead is moved on by the business time that passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rapport.core.memo import remember
from rapport.customers.tiers import STANDARD, registered_tier, tier_rank
from rapport.desk.business_hours import Calendar, add_business_time, around_the_clock, business_time_between
from rapport.desk.events import record_conversation_event
from rapport.desk.models import Conversation, DeskSettings, SlaPolicy, SlaState, Status

# While a conversation waits on the customer, or is resolved, the desk owes nothing.
PAUSED_STATUSES = frozenset({Status.PENDING, Status.RESOLVED})
FINISHED_STATUSES = frozenset({Status.CLOSED})


def select_policy(conversation: Conversation) -> SlaPolicy | None:
    """The first active policy, by position, whose priority and customer tag match (blank matches all)."""
    policies = remember(
        "desk.sla_policies",
        lambda: list(
            SlaPolicy.objects.filter(is_active=True).select_related("calendar").order_by("position", "id")
        ),
    )
    customer_tag_ids: set[int] | None = None
    for policy in policies:
        if policy.priority and policy.priority != conversation.priority:
            continue
        if policy.customer_tier and tier_rank(registered_tier(conversation.customer) or STANDARD) < tier_rank(
            policy.customer_tier
        ):
            continue
        if policy.customer_tag_id is not None:
            if customer_tag_ids is None:
                customer_tag_ids = set(conversation.customer.tags.values_list("pk", flat=True))
            if policy.customer_tag_id not in customer_tag_ids:
                continue
        return policy
    return None


def _calendar(policy: SlaPolicy) -> Calendar:
    return policy.calendar.as_calendar() if policy.calendar is not None else around_the_clock()


def _near_share() -> float:
    settings = remember("desk.settings.near", lambda: DeskSettings.objects.filter(pk=1).first())
    percent = settings.near_breach_percent if settings else 80
    return min(max(percent, 1), 100) / 100


def _targets(conversation: Conversation, policy: SlaPolicy, calendar: Calendar) -> None:
    """Due and warning moments from the start, counting business time the clock stood still."""
    paused = timedelta(seconds=conversation.sla_paused_seconds)
    share = _near_share()
    start = conversation.created_at
    conversation.first_response_due_at = conversation.first_response_warn_at = None
    conversation.resolution_due_at = conversation.resolution_warn_at = None
    if policy.first_response_minutes:
        target = timedelta(minutes=policy.first_response_minutes)
        conversation.first_response_due_at = add_business_time(calendar, start, target + paused)
        conversation.first_response_warn_at = add_business_time(calendar, start, target * share + paused)
    if policy.resolution_minutes:
        target = timedelta(minutes=policy.resolution_minutes)
        conversation.resolution_due_at = add_business_time(calendar, start, target + paused)
        conversation.resolution_warn_at = add_business_time(calendar, start, target * share + paused)


def _has_clock(conversation: Conversation) -> bool:
    # A policy's targets, or a first response promised for a moment (set_first_response_due) with no
    # policy behind it: without a policy, due times are set by nothing else.
    return (
        conversation.sla_policy_id is not None
        or conversation.first_response_due_at is not None
        or conversation.resolution_due_at is not None
    )


def _summarise(conversation: Conversation) -> None:
    """The earliest running target and its warning moment: what inbox views and the ticker read."""
    running: list[tuple[datetime, datetime | None]] = []
    stopped = conversation.sla_paused_at is not None or conversation.status in FINISHED_STATUSES
    if _has_clock(conversation) and not stopped:
        # A missed target is flagged once and stops counting; the next one takes its place.
        if (
            conversation.first_response_at is None
            and conversation.first_response_due_at is not None
            and not conversation.first_response_breached
        ):
            running.append((conversation.first_response_due_at, conversation.first_response_warn_at))
        if (
            conversation.resolution_due_at is not None
            and conversation.resolved_at is None
            and not conversation.resolution_breached
        ):
            running.append((conversation.resolution_due_at, conversation.resolution_warn_at))
    if running:
        conversation.sla_due_at = min(due for due, _ in running)
        warnings = [warn for _, warn in running if warn is not None]
        conversation.sla_warn_at = min(warnings) if warnings else None
    else:
        conversation.sla_due_at = conversation.sla_warn_at = None
    if not _has_clock(conversation):
        conversation.sla_state = SlaState.NONE
    elif conversation.sla_paused_at is not None:
        conversation.sla_state = SlaState.PAUSED
    elif conversation.first_response_breached or conversation.resolution_breached:
        conversation.sla_state = SlaState.BREACHED
    elif not running:
        conversation.sla_state = SlaState.MET
    elif conversation.sla_state not in (SlaState.NEAR, SlaState.BREACHED):
        conversation.sla_state = SlaState.OK


def start_clock(*, conversation: Conversation, at: datetime) -> None:
    """Choose the policy for a new conversation and set its due times (the caller saves)."""
    policy = select_policy(conversation)
    conversation.sla_policy = policy
    if policy is not None:
        _targets(conversation, policy, _calendar(policy))
    _summarise(conversation)


def reapply_policy(*, conversation: Conversation, at: datetime) -> None:
    """After a change of priority (or customer tags) a different policy may apply; targets follow it."""
    policy = select_policy(conversation)
    if policy is None and conversation.sla_policy_id is None:
        # No policy before or after: nothing changes (a promised due time stays).
        return
    if policy is None:
        conversation.sla_policy = None
        conversation.first_response_due_at = conversation.first_response_warn_at = None
        conversation.resolution_due_at = conversation.resolution_warn_at = None
        _summarise(conversation)
        return
    if policy.pk == conversation.sla_policy_id:
        return
    conversation.sla_policy = policy
    _targets(conversation, policy, _calendar(policy))
    if conversation.sla_state in (SlaState.NEAR, SlaState.BREACHED) and not (
        conversation.first_response_breached or conversation.resolution_breached
    ):
        conversation.sla_state = SlaState.OK
    _summarise(conversation)


@transaction.atomic
def set_first_response_due(
    *, conversation: Conversation, due_at: datetime, warn_at: datetime | None = None
) -> Conversation:
    """Promise the first response by a given moment (a call-back inside the window a customer chose).

    It replaces the policy's first-response target on this conversation, with or without a policy; a
    later change of policy (a new priority) computes the policy's targets again. Without warn_at the
    conversation turns "near breach" at the desk's near-breach share of the time left.
    """
    locked = Conversation.objects.select_for_update(of=("self",)).get(pk=conversation.pk)
    now = timezone.now()
    if warn_at is None or warn_at > due_at:
        warn_at = now + (due_at - now) * _near_share() if due_at > now else due_at
    locked.first_response_due_at = due_at
    locked.first_response_warn_at = warn_at
    if locked.sla_state in (SlaState.NEAR, SlaState.BREACHED) and not (
        locked.first_response_breached or locked.resolution_breached
    ):
        locked.sla_state = SlaState.OK
    _summarise(locked)
    record_conversation_event(
        conversation=locked,
        kind="sla.first_response_due_set",
        summary=f"First response promised by {due_at:%Y-%m-%d %H:%M} UTC",
        data={"due_at": due_at.isoformat(), "warn_at": warn_at.isoformat()},
    )
    locked.save(
        update_fields=[
            "first_response_due_at",
            "first_response_warn_at",
            "sla_due_at",
            "sla_warn_at",
            "sla_state",
        ]
    )
    return locked


def _shifted(
    moment: datetime | None, paused_at: datetime, calendar: Calendar, paused: timedelta
) -> datetime | None:
    # A moment already passed when the clock stopped stays where it was; later ones move on.
    if moment is None or moment < paused_at:
        return moment
    return add_business_time(calendar, moment, paused)


def on_status_change(*, conversation: Conversation, previous: str, at: datetime) -> None:
    """Stop the clock when the desk waits on the customer; restart it, shifted, when they are back."""
    policy = conversation.sla_policy
    now_paused = conversation.status in PAUSED_STATUSES
    if policy is not None and conversation.sla_paused_at is not None and not now_paused:
        calendar = _calendar(policy)
        paused_at = conversation.sla_paused_at
        paused = business_time_between(calendar, paused_at, at)
        for field in (
            "first_response_due_at",
            "first_response_warn_at",
            "resolution_due_at",
            "resolution_warn_at",
        ):
            setattr(conversation, field, _shifted(getattr(conversation, field), paused_at, calendar, paused))
        conversation.sla_paused_seconds += int(paused.total_seconds())
        conversation.sla_paused_at = None
    elif policy is not None and now_paused and conversation.sla_paused_at is None:
        conversation.sla_paused_at = at
    if conversation.status == Status.RESOLVED and policy is not None:
        _flag_if_late(conversation, "resolution", conversation.resolution_due_at, at)
    _summarise(conversation)


def record_first_response(*, conversation: Conversation, at: datetime) -> None:
    _flag_if_late(conversation, "first_response", conversation.first_response_due_at, at)
    _summarise(conversation)


def _flag_if_late(conversation: Conversation, target: str, due: datetime | None, at: datetime) -> None:
    field = f"{target}_breached"
    if due is None or at <= due or getattr(conversation, field):
        return
    setattr(conversation, field, True)
    conversation.sla_state = SlaState.BREACHED
    label = target.replace("_", " ")
    record_conversation_event(
        conversation=conversation,
        kind="sla.breached",
        summary=f"SLA {label} target missed (due {due:%Y-%m-%d %H:%M} UTC)",
        data={"target": target, "due_at": due.isoformat()},
    )


def flag_sla_changes(*, now: datetime, batch: int = 500) -> int:
    """Raise near-breach and breach events for running clocks that crossed a line; returns how many."""
    flagged = 0
    candidates = (
        # A warning moment never comes after its due time, so the indexed warn range holds every
        # candidate; within it, only those not yet flagged near or already due need a look.
        Conversation.objects.filter(
            Q(sla_state=SlaState.OK) | Q(sla_due_at__lte=now),
            sla_warn_at__lte=now,
            sla_paused_at__isnull=True,
        )
        .order_by("sla_warn_at")
        .values_list("pk", flat=True)[:batch]
    )
    for conversation_id in list(candidates):
        with transaction.atomic():
            conversation = (
                Conversation.objects.select_for_update(of=("self",))
                .select_related("customer")
                .get(pk=conversation_id)
            )
            flagged += _flag_one(conversation, now)
    return flagged


def _flag_one(conversation: Conversation, now: datetime) -> int:
    changed = 0
    if conversation.sla_paused_at is not None or conversation.sla_due_at is None:
        return 0
    for target in ("first_response", "resolution"):
        due = getattr(conversation, f"{target}_due_at")
        running = conversation.first_response_at is None if target == "first_response" else True
        if running and due is not None and due <= now and not getattr(conversation, f"{target}_breached"):
            _flag_if_late(conversation, target, due, now)
            changed = 1
    if (
        not changed
        and conversation.sla_state == SlaState.OK
        and conversation.sla_warn_at is not None
        and conversation.sla_warn_at <= now
    ):
        conversation.sla_state = SlaState.NEAR
        record_conversation_event(
            conversation=conversation,
            kind="sla.near_breach",
            summary=f"SLA target due soon ({conversation.sla_due_at:%Y-%m-%d %H:%M} UTC)",
            data={"due_at": conversation.sla_due_at.isoformat()},
        )
        changed = 1
    _summarise(conversation)
    conversation.save()
    return changed
