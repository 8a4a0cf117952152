"""The periodic task that polls the mailboxes hosted elsewhere over IMAP (run by db_worker)."""

from __future__ import annotations

from django_tasks import task

from rapport.channels.services import imap_polling


@task()
def poll_imap_mailboxes() -> dict[str, int]:
    """Idempotent: a mailbox another poll holds is skipped, and each message is stored once."""
    return imap_polling.poll_all_mailboxes()
