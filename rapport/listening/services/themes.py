"""Themes: what customers wrote about in the last 30 days, against the 30 days before, stored per run.

The texts are the customers' inbound messages (the newest ``MAX_MESSAGES`` of the two periods, so a
busy desk neither runs out of memory nor waits long); ``numerics.themes`` finds the topics and tests each
topic's share of the later period against its share of the earlier one. A run writes a new set of rows
with one ``run_at``; pages show the latest run, so a run that fails halfway leaves the previous one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from rapport.accounts.permissions import Actor, Perm
from rapport.desk.models import Message, MessageKind
from rapport.listening.models import Theme
from rapport.listening.numerics.themes import find_themes

PERIOD = timedelta(days=30)
MAX_MESSAGES = 20_000
THEMES = 8
# Examples kept per theme: more than a page shows, so some remain after hiding what a viewer may not see.
EXAMPLES = 10
# Runs kept; older ones are deleted, so the table stays small.
RUNS_KEPT = 30
# The trend of a theme when the earlier period holds no message at all.
NO_HISTORY = "unknown"


def refresh_themes(*, now: datetime | None = None, k: int = THEMES, limit: int = MAX_MESSAGES) -> list[Theme]:
    """Find this period's themes and store them as one run; no messages, no run (an empty list)."""
    now = now or timezone.now()
    period_start = now - PERIOD
    earlier_start = period_start - PERIOD
    rows = list(
        Message.objects.filter(kind=MessageKind.INBOUND, created_at__gte=earlier_start, created_at__lte=now)
        .exclude(body_text="")
        .order_by("-created_at", "-id")
        .values_list("id", "body_text", "created_at")[:limit]
    )
    if not rows:
        return []
    periods = [1 if created_at >= period_start else 0 for _, _, created_at in rows]
    # With no message at all in the earlier period there is nothing to compare with: not "steady".
    comparable = 0 in periods
    found = find_themes([text[:5000] for _, text, _ in rows], k=k, examples=EXAMPLES, periods=periods, seed=0)
    themes = [
        Theme(
            run_at=now,
            period_start=period_start,
            period_end=now,
            position=position,
            label=", ".join(term for term, _ in theme.terms[:3])[:200],
            top_terms=[term for term, _ in theme.terms],
            example_message_ids=[rows[index][0] for index in theme.examples],
            message_count=theme.later,
            previous_count=theme.earlier,
            trend=theme.trend if comparable else NO_HISTORY,
        )
        for position, theme in enumerate(found)
    ]
    with transaction.atomic():
        Theme.objects.bulk_create(themes)
        old_runs = list(
            Theme.objects.order_by("-run_at").values_list("run_at", flat=True).distinct()[RUNS_KEPT:]
        )
        if old_runs:
            Theme.objects.filter(run_at__lte=old_runs[0]).delete()
    return themes


def refresh_themes_now(*, actor: Actor) -> None:
    """A lead asks for fresh themes: queued, since a run over many messages takes a while."""
    actor.require(Perm.LISTENING_MANAGE)
    from rapport.listening.tasks.dashboard import refresh_themes_task

    transaction.on_commit(refresh_themes_task.enqueue)
