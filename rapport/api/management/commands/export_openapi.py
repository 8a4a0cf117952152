"""Write the API's OpenAPI document to docs/openapi.json, or with --check fail when it is stale."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rapport.api.openapi import committed_path, render_document


class Command(BaseCommand):
    help = "Write docs/openapi.json from the API; --check exits 1 when the committed copy differs."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Compare with the committed copy instead of writing it"
        )

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        from rapport.api.urls import api

        document = render_document(api)
        path = committed_path()
        if check:
            committed = path.read_text(encoding="utf-8") if path.exists() else ""
            if committed != document:
                raise CommandError(
                    f"{path} is out of date with the API; run `python manage.py export_openapi` and commit it"
                )
            self.stdout.write(f"{path} is up to date")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document, encoding="utf-8")
        self.stdout.write(f"wrote {path}")
