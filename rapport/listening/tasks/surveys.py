"""Survey tasks: sending due invitations (every minute) and inviting customers to the NPS survey (daily)."""

from __future__ import annotations

from django_tasks import task

from rapport.listening.services import surveys


@task()
def send_due_surveys_task() -> dict[str, int]:
    """Idempotent: sends what is due, retries failed sends, cancels what should no longer go."""
    return surveys.send_due_invitations()


@task()
def invite_nps_task() -> dict[str, int]:
    """Idempotent: customers already asked within the quarter are never asked again."""
    return {"invited": surveys.invite_nps_due()}
