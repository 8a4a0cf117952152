"""Admins configure the mailboxes Rapport answers for, and how mail hosted elsewhere is fetched."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from rapport.accounts.audit import record_audit
from rapport.accounts.models import Team
from rapport.accounts.permissions import Actor, Perm
from rapport.channels.email.addresses import mailbox_key
from rapport.channels.models import Mailbox
from rapport.core.errors import Conflict, ValidationFailed
from rapport.core.normalise import normalise_email
from rapport.core.sealed import seal

# Changing any of these points the poller at another folder: its UIDs mean nothing there.
_IMAP_LOCATION = ("imap_host", "imap_port", "imap_username", "imap_folder")


@dataclass(frozen=True)
class MailboxInput:
    address: str
    name: str
    team: Team | None = None
    is_active: bool = True
    imap_host: str = ""
    imap_port: int = 993
    imap_use_tls: bool = True
    imap_username: str = ""
    # None keeps the stored password; "" clears it.
    imap_password: str | None = None
    imap_folder: str = "INBOX"


def _audited(mailbox: Mailbox) -> dict[str, object]:
    return {
        "address": mailbox.address,
        "name": mailbox.name,
        "team": mailbox.team_id,
        "is_active": mailbox.is_active,
        "imap_host": mailbox.imap_host,
        "imap_port": mailbox.imap_port,
        "imap_use_tls": mailbox.imap_use_tls,
        "imap_username": mailbox.imap_username,
        "imap_folder": mailbox.imap_folder,
    }


def _clean(data: MailboxInput) -> tuple[str, dict[str, str]]:
    errors: dict[str, str] = {}
    try:
        address = normalise_email(data.address)
    except ValidationFailed as error:
        errors["address"] = error.detail
        address = ""
    if address and mailbox_key(address) != address:
        errors["address"] = "a mailbox address has no +suffix: support+… addresses reach support@ already"
    if not data.name.strip():
        errors["name"] = "name the mailbox, e.g. Support"
    if bool(data.imap_host.strip()) != bool(data.imap_username.strip()):
        errors["imap_host" if not data.imap_host.strip() else "imap_username"] = (
            "IMAP needs both a server and a user name"
        )
    if not 1 <= data.imap_port <= 65535:
        errors["imap_port"] = "a port is between 1 and 65535"
    if data.imap_host.strip() and not data.imap_folder.strip():
        errors["imap_folder"] = "name the folder to read, e.g. INBOX"
    return address, errors


def save_mailbox(*, actor: Actor, mailbox: Mailbox | None, data: MailboxInput) -> Mailbox:
    actor.require(Perm.CHANNELS_MANAGE)
    address, errors = _clean(data)
    if errors:
        raise ValidationFailed("the mailbox was not saved", code="invalid_mailbox", errors=errors)
    before = _audited(mailbox) if mailbox is not None else None
    target = mailbox or Mailbox()
    moved = mailbox is not None and any(
        getattr(mailbox, field) != value
        for field, value in zip(
            _IMAP_LOCATION,
            (data.imap_host.strip(), data.imap_port, data.imap_username.strip(), data.imap_folder.strip()),
            strict=True,
        )
    )
    target.address = address
    target.name = data.name.strip()
    target.team = data.team
    target.is_active = data.is_active
    target.imap_host = data.imap_host.strip()
    target.imap_port = data.imap_port
    target.imap_use_tls = data.imap_use_tls
    target.imap_username = data.imap_username.strip()
    target.imap_folder = data.imap_folder.strip() or "INBOX"
    if data.imap_password is not None:
        target.imap_password_sealed = seal(data.imap_password) if data.imap_password else ""
    if moved:
        target.imap_uid_validity = None
        target.imap_last_uid = 0
        target.imap_error = ""
    try:
        with transaction.atomic():
            target.save()
            record_audit(
                actor=actor,
                action="channels.mailbox.update" if before else "channels.mailbox.create",
                target=target,
                before=before,
                after=_audited(target),
            )
    except IntegrityError:
        raise Conflict(
            f"{address} is already a mailbox", code="mailbox_exists", errors={"address": "already a mailbox"}
        ) from None
    return target
