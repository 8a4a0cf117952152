"""Mail read from a mail store rather than received by SMTP: an IMAP folder, an mbox, a folder of .eml.

Such mail has no SMTP envelope, so the From header stands for the sender in the dedupe key; the rest
is the channel's usual path (store the bytes, then process). `import_mail` migrates old mail this way:
a second import of the same file finds every message stored and stores nothing new.
"""

from __future__ import annotations

import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rapport.channels.email.headers import header_message_id, header_sender
from rapport.channels.models import ChannelKind, DeliveryStatus, InboundDelivery, Mailbox
from rapport.channels.services.deliveries import process_delivery, store_delivery

_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)


class MailImportError(Exception):
    """The path cannot be imported at all (missing, or neither an mbox nor a folder)."""


def store_mail(*, mailbox_address: str, raw: bytes, enqueue: bool = True) -> tuple[InboundDelivery, bool]:
    """Store one message taken from a mail store for this mailbox; returns it and whether it is new."""
    return store_delivery(
        kind=ChannelKind.EMAIL,
        source=mailbox_address,
        raw=raw,
        sender=header_sender(raw),
        external_id=header_message_id(raw),
        enqueue=enqueue,
    )


@dataclass(frozen=True)
class RawMail:
    """One message of an import: its bytes, or why its file could not be read."""

    label: str
    raw: bytes | None
    error: str = ""


@dataclass(frozen=True)
class MailSource:
    """The messages under a path, counted before they are read so that progress can be shown."""

    total: int
    messages: Iterator[RawMail]


def open_mail(path: Path) -> MailSource:
    """A folder's .eml files (recursively, in name order), a single .eml file, or an mbox file."""
    if path.is_dir():
        files = sorted(
            candidate
            for candidate in path.rglob("*")
            if candidate.suffix.lower() == ".eml" and not candidate.is_dir()
        )
        return MailSource(total=len(files), messages=_eml_files(files, path))
    if not path.exists():
        raise MailImportError(f"{path} does not exist")
    if path.suffix.lower() == ".eml":
        return MailSource(total=1, messages=_eml_files([path], path.parent))
    try:
        with path.open("rb") as file:
            start = file.read(5)
    except OSError as error:
        raise MailImportError(f"{path} cannot be read: {error.strerror or error}") from error
    if start != b"From ":
        raise MailImportError(
            f'{path} is not an mbox file (it does not start with a "From " line), an .eml file or a folder'
        )
    try:
        box = mailbox.mbox(path, create=False)
        keys = box.keys()
    except OSError as error:
        raise MailImportError(f"{path} cannot be read: {error.strerror or error}") from error
    return MailSource(total=len(keys), messages=_mbox_messages(box, keys, path))


def _eml_files(files: list[Path], root: Path) -> Iterator[RawMail]:
    for file in files:
        label = str(file.relative_to(root)) if file.is_relative_to(root) else str(file)
        try:
            raw = file.read_bytes()
        except OSError as error:
            yield RawMail(label=label, raw=None, error=error.strerror or str(error))
            continue
        if not raw.strip():
            yield RawMail(label=label, raw=None, error="the file is empty")
            continue
        yield RawMail(label=label, raw=raw)


def unquote_from_lines(raw: bytes) -> bytes:
    """Undo the mbox quoting of body lines that start with "From " (mboxrd: one ">" less).

    Writers put ">" before such lines so that readers do not take them for separators; left in place
    it would reach the agent as ">From …", which the reply parser also reads as quoted history.
    """
    return _QUOTED_FROM.sub(rb"\1", raw)


def _mbox_messages(box: mailbox.mbox, keys: list[str], path: Path) -> Iterator[RawMail]:
    try:
        for number, key in enumerate(keys, start=1):
            label = f"{path.name} message {number}"
            try:
                # get_bytes leaves out the "From " separator line, which is mbox framing, not mail.
                raw = box.get_bytes(key)
            except (OSError, KeyError) as error:
                yield RawMail(label=label, raw=None, error=str(error))
                continue
            yield RawMail(label=label, raw=unquote_from_lines(raw))
    finally:
        box.close()


@dataclass
class ImportTally:
    read: int = 0
    new: int = 0
    already: int = 0
    processed: int = 0
    ignored: int = 0
    quarantined: int = 0
    unreadable: int = 0

    def summary(self) -> str:
        return (
            f"read {self.read}, new {self.new}, already there {self.already}, processed {self.processed}, "
            f"ignored {self.ignored}, quarantined {self.quarantined}, unreadable {self.unreadable}"
        )


def import_message(*, mailbox: Mailbox, raw: bytes, process: bool, tally: ImportTally) -> None:
    """Store one old message and, unless the worker is to do it, process it now."""
    tally.read += 1
    # Processed here and now, so no task is queued for it (the sweep still covers a crash in between).
    delivery, created = store_mail(mailbox_address=mailbox.address, raw=raw, enqueue=not process)
    if created:
        tally.new += 1
    else:
        tally.already += 1
    if not process:
        return
    if not created:
        delivery.refresh_from_db(fields=["status"])
        if delivery.status != DeliveryStatus.RECEIVED:
            # Settled by an earlier import or by the worker: nothing done now, nothing counted.
            return
    status = process_delivery(delivery.pk)
    if status == DeliveryStatus.PROCESSED:
        tally.processed += 1
    elif status == DeliveryStatus.IGNORED:
        tally.ignored += 1
    elif status == DeliveryStatus.QUARANTINED:
        tally.quarantined += 1
