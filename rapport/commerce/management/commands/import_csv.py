"""manage.py import_csv {customers|products|orders} FILE [--dry-run] [--as EMAIL]."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from rapport.accounts.models import User
from rapport.accounts.permissions import Actor
from rapport.commerce.importing import KINDS, count_lines, import_csv
from rapport.core.errors import RapportError

# Exit statuses: 0 every row imported, 1 nothing imported (bad file, header or user), 2 some rows failed.
SOME_ROWS_FAILED = 2


class Command(BaseCommand):
    help = (
        "Import customers, products or orders from a CSV file (columns: docs/import.md). "
        "Re-importing a file changes nothing; failed rows are listed as 'line N: reason'."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count everything, then write nothing"
        )
        parser.add_argument(
            "--as",
            dest="as_email",
            metavar="EMAIL",
            help="the staff user the changes are made as (audited); default: the system",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options["as_email"])
        path = options["file"]
        try:
            total = max(count_lines(path) - 1, 0)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        # disable=None draws the bar only on a terminal, so logs and pipes get the summary alone.
        with tqdm(total=total, unit="row", desc=options["kind"], file=sys.stderr, disable=None) as bar:
            try:
                report = import_csv(
                    options["kind"], path, actor=actor, dry_run=options["dry_run"], progress=bar.update
                )
            except RapportError as exc:
                raise CommandError(f"{exc.detail} (nothing was imported)") from exc
            bar.update(bar.total - bar.n)
        for warning in report.warnings:
            self.stdout.write(f"warning: {warning}")
        summary = report.summary + (" (dry run: nothing was written)" if report.dry_run else "")
        self.stdout.write(self.style.SUCCESS(summary) if not report.failed else summary)
        for error in report.errors:
            self.stdout.write(str(error))
        if report.failed:
            raise CommandError(f"{report.failed} record(s) failed", returncode=SOME_ROWS_FAILED)

    def _actor(self, email: str | None) -> Actor | None:
        if not email:
            return None
        user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
        if user is None:
            raise CommandError(f"no active staff user {email}")
        return Actor(user=user, via="import")
