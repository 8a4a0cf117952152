"""Rules the clock applies: snoozes end on time, resolved conversations close after a few quiet days."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from rapport.desk.models import Conversation, Status
from rapport.desk.services.conversations import desk_settings, set_status_by_rule

BATCH = 500


def wake_conversation(*, conversation_id: int, now: datetime) -> bool:
    """Reopen one snoozed conversation whose time has come; False when it was woken or changed already."""
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("customer")
            .filter(pk=conversation_id, status=Status.SNOOZED, snoozed_until__lte=now)
            .first()
        )
        if conversation is None:
            return False
        until = conversation.snoozed_until
        set_status_by_rule(
            conversation=conversation,
            status=Status.OPEN,
            reason=f"snooze ended at {until:%Y-%m-%d %H:%M} UTC" if until else "snooze ended",
            at=now,
        )
        conversation.save()
    return True


def wake_snoozed(*, now: datetime) -> int:
    due = Conversation.objects.filter(status=Status.SNOOZED, snoozed_until__lte=now).order_by("snoozed_until")
    return sum(
        wake_conversation(conversation_id=pk, now=now)
        for pk in list(due.values_list("pk", flat=True)[:BATCH])
    )


def close_resolved(*, now: datetime) -> int:
    """Close conversations resolved at least `auto_close_after_days` ago; the customer's next message
    then starts a new conversation instead of reopening an old one."""
    days = desk_settings().auto_close_after_days
    cutoff = now - timedelta(days=days)
    closed = 0
    due = Conversation.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff).order_by("resolved_at")
    for conversation_id in list(due.values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            conversation = (
                Conversation.objects.select_for_update(of=("self",))
                .select_related("customer")
                .filter(pk=conversation_id, status=Status.RESOLVED, resolved_at__lte=cutoff)
                .first()
            )
            if conversation is None:
                continue
            set_status_by_rule(
                conversation=conversation,
                status=Status.CLOSED,
                reason=f"resolved for {days} days",
                at=now,
            )
            conversation.save()
            closed += 1
    return closed
