"""Polling mailboxes hosted elsewhere over IMAP: each message is stored once, in UID order.

Per message: fetch (BODY.PEEK[], so a failed store leaves it unread on the server), store the bytes,
set \\Seen, then save the UID as the mailbox's high-water mark. A crash between two of those steps
re-reads at most that one message on the next poll, and the delivery's dedupe key absorbs it.

Two clocks (or a slow poll and the next tick) must not poll one mailbox at once. A poll takes a lease
by compare-and-set on `imap_polled_at`: while a poll runs, that column holds when its lease ends (a
moment in the future), renewed after every message; a poll that finds a lease still running skips the
mailbox, and one that finds its own lease replaced (it was too slow and another took over) stops.
When the poll ends, the column goes back to holding when the mailbox was last polled. A row lock
(select_for_update) could not be held across the network reads without holding one transaction open
for the whole poll, which would delay every store's commit and, on SQLite, the whole database.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from rapport.channels.email.imap import TIMEOUT_SECONDS, ImapAccount, ImapError, ImapFolder
from rapport.channels.models import Mailbox
from rapport.channels.services.mail_import import store_mail
from rapport.core.sealed import SealBroken, unseal

logger = logging.getLogger(__name__)

# How long a poll may go without finishing a message before another poll may take the mailbox over.
LEASE = timedelta(minutes=5)
# Messages one poll reads at most; the next poll (a minute later) carries on from the saved UID, so a
# large first import does not hold a worker for hours.
POLL_LIMIT = 500
# The admin's cue when the keys changed under a sealed password (rapport.core.sealed).
KEYS_CHANGED_ERROR = (
    "the stored IMAP password cannot be opened with this server's keys "
    "(RAPPORT_SEALING_KEYS or SECRET_KEY changed); enter the password again"
)


class _LeaseLost(Exception):
    """Another poll took this mailbox over; this one must write nothing more."""


def _polled() -> QuerySet[Mailbox]:
    """Active mailboxes with IMAP configured (the queryset form of Mailbox.polls_imap)."""
    return Mailbox.objects.filter(is_active=True).exclude(imap_host="").exclude(imap_username="")


def imap_mailbox_ids() -> list[int]:
    return list(_polled().order_by("pk").values_list("pk", flat=True))


def poll_mailbox(mailbox_id: int, *, limit: int = POLL_LIMIT, timeout: float = TIMEOUT_SECONDS) -> int:
    """Read the mailbox's new messages into deliveries; returns how many were stored as new."""
    lease = _claim(mailbox_id)
    if lease is None:
        return 0
    # Read only once the lease is held: a poll that just finished may have moved imap_last_uid on.
    mailbox = Mailbox.objects.get(pk=mailbox_id)
    try:
        account = _account(mailbox)
    except SealBroken:
        _release(mailbox_id, lease, error=KEYS_CHANGED_ERROR)
        return 0
    stored = 0
    try:
        with ImapFolder(account, timeout=timeout) as folder:
            last_uid = mailbox.imap_last_uid
            if folder.uid_validity != mailbox.imap_uid_validity:
                # The server renumbered the folder (RFC 3501 section 2.3.1.1): the old UIDs mean
                # nothing now. Everything is read again; the dedupe key keeps one delivery each.
                last_uid = 0
                lease = _renew(mailbox_id, lease, imap_uid_validity=folder.uid_validity, imap_last_uid=0)
            for uid in folder.uids_after(last_uid)[:limit]:
                raw = folder.fetch(uid)
                if raw is not None:
                    _, created = store_mail(mailbox_address=mailbox.address, raw=raw)
                    stored += int(created)
                    folder.mark_seen(uid)
                lease = _renew(mailbox_id, lease, imap_last_uid=uid)
    except _LeaseLost:
        logger.warning("IMAP poll of %s was taken over by another poll; stopped", mailbox.address)
        return stored
    except ImapError as error:
        logger.warning("IMAP poll of %s failed: %s", mailbox.address, error)
        _release(mailbox_id, lease, error=str(error))
        return stored
    except Exception as error:
        reason = f"poll failed: {type(error).__name__}: {error}"
        if account.password:
            reason = reason.replace(account.password, "********")
        _release(mailbox_id, lease, error=reason)
        raise
    _release(mailbox_id, lease, error="")
    return stored


def poll_all_mailboxes() -> dict[str, int]:
    """Poll every active IMAP mailbox in turn; one mailbox's failure does not stop the others."""
    totals = {"mailboxes": 0, "stored": 0, "failed": 0}
    for mailbox_id in imap_mailbox_ids():
        totals["mailboxes"] += 1
        try:
            totals["stored"] += poll_mailbox(mailbox_id)
        except Exception:
            logger.exception("IMAP poll of mailbox %s failed", mailbox_id)
            totals["failed"] += 1
    return totals


def _account(mailbox: Mailbox) -> ImapAccount:
    return ImapAccount(
        host=mailbox.imap_host,
        port=mailbox.imap_port,
        use_tls=mailbox.imap_use_tls,
        username=mailbox.imap_username,
        password=unseal(mailbox.imap_password_sealed) if mailbox.imap_password_sealed else "",
        folder=mailbox.imap_folder or "INBOX",
    )


def _claim(mailbox_id: int) -> datetime | None:
    """Take the mailbox for this poll, unless it is not polled or another poll's lease still runs."""
    now = timezone.now()
    until = now + LEASE
    taken = (
        _polled()
        .filter(pk=mailbox_id)
        .filter(Q(imap_polled_at__isnull=True) | Q(imap_polled_at__lte=now))
        .update(imap_polled_at=until)
    )
    return until if taken else None


def _renew(mailbox_id: int, lease: datetime, **fields: int) -> datetime:
    """Save progress and extend the lease, only while this poll still holds it."""
    # Strictly later than the old lease, so that the value identifies this renewal alone.
    until = max(timezone.now() + LEASE, lease + timedelta(microseconds=1))
    if not Mailbox.objects.filter(pk=mailbox_id, imap_polled_at=lease).update(imap_polled_at=until, **fields):
        raise _LeaseLost
    return until


def _release(mailbox_id: int, lease: datetime, *, error: str) -> None:
    Mailbox.objects.filter(pk=mailbox_id, imap_polled_at=lease).update(
        imap_polled_at=timezone.now(), imap_error=error[:2000]
    )
