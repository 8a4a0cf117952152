"""Background work of the dashboard: mention scoring and spike checks, themes, alert mail."""

from __future__ import annotations

from django_tasks import task

from rapport.listening.services import alert_mail, mentions, themes


@task()
def check_mentions_task() -> dict[str, int]:
    """Every few minutes: score new mentions, then look for a spike in their volume (idempotent)."""
    scored = mentions.score_new_mentions()
    raised = mentions.check_mention_spikes()
    return {"scored": scored, "spikes": len(raised)}


@task()
def refresh_themes_task() -> int:
    """Daily, and when a lead asks: a new run of themes; returns how many themes it found."""
    return len(themes.refresh_themes())


@task()
def send_alert_mail_task(alert_id: int) -> str:
    return alert_mail.send_alert_mail(alert_id)
