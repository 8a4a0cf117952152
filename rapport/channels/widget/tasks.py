"""The widget's periodic sweep (run by db_worker when the clock enqueues it): idempotent, any time."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from rapport.channels.widget.outbound import email_unseen_replies
from rapport.channels.widget.ratelimit import delete_old_counters
from rapport.channels.widget.visitors import delete_idle_visitors


@task()
def sweep_widget_task() -> dict[str, int]:
    """Replies a departed visitor never received go by email; rate counters past use are deleted."""
    now = timezone.now()
    return {
        "emailed": email_unseen_replies(now=now),
        "counters_deleted": delete_old_counters(now=now),
    }


@task()
def forget_idle_visitors_task() -> dict[str, int]:
    """Hourly: visitors who never chatted are deleted a month after their last visit."""
    return {"visitors_deleted": delete_idle_visitors(now=timezone.now())}
