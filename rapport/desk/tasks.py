"""Background tasks of the desk (run by db_worker): snoozes ending, and the minute-by-minute clock."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend, task

from rapport.desk.services import lifecycle, sla


@task()
def wake_snoozed_conversation(conversation_id: int) -> bool:
    return lifecycle.wake_conversation(conversation_id=conversation_id, now=timezone.now())


def schedule_wake_up(conversation_id: int, at: datetime) -> None:
    """Wake the conversation at its time; the clock's sweep catches it too if the worker was down."""
    if not default_task_backend.supports_defer:
        return
    transaction.on_commit(lambda: wake_snoozed_conversation.using(run_after=at).enqueue(conversation_id))


@task()
def run_desk_clock() -> dict[str, int]:
    """Idempotent sweep: wake snoozed conversations, close long-resolved ones, flag SLA crossings."""
    now = timezone.now()
    return {
        "woken": lifecycle.wake_snoozed(now=now),
        "closed": lifecycle.close_resolved(now=now),
        "sla_flagged": sla.flag_sla_changes(now=now),
    }
