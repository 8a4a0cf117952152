"""Migrate old mail into a mailbox from an mbox file or a folder of .eml files; safe to run twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from tqdm import tqdm

from rapport.channels.email.addresses import mailbox_key
from rapport.channels.models import Mailbox
from rapport.channels.services.mail_import import ImportTally, MailImportError, import_message, open_mail


class _Stream:
    """A file-like view of a command's stderr for tqdm, which writes without line ends."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, ending="")

    def flush(self) -> None:
        self._wrapper.flush()

    def __getattr__(self, name: str) -> Any:
        # isatty, fileno and encoding: tqdm sizes the bar to the terminal behind the stream.
        return getattr(self._wrapper, name)


class Command(BaseCommand):
    help = (
        "Import old mail into a mailbox: PATH is an mbox file, an .eml file or a folder of .eml files "
        "(searched recursively). Messages already stored are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="an mbox file, an .eml file or a folder of .eml files")
        parser.add_argument("--mailbox", required=True, help="the address of an existing mailbox")
        parser.add_argument(
            "--no-process",
            action="store_true",
            help="only store the messages; the task worker turns them into conversations",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mailbox = Mailbox.objects.filter(address__iexact=mailbox_key(options["mailbox"])).first()
        if mailbox is None:
            raise CommandError(f"no mailbox {options['mailbox']!r}; create the mailbox first")
        try:
            source = open_mail(options["path"])
        except MailImportError as error:
            raise CommandError(str(error)) from error
        process = not options["no_process"]
        tally = ImportTally()
        stream = _Stream(self.stderr)
        with tqdm(total=source.total, unit="msg", file=stream, dynamic_ncols=True) as bar:
            for mail in source.messages:
                if mail.raw is None:
                    tally.unreadable += 1
                    bar.write(f"skipped {mail.label}: {mail.error}", file=stream)
                else:
                    import_message(mailbox=mailbox, raw=mail.raw, process=process, tally=tally)
                bar.update(1)
        self.stdout.write(tally.summary())
