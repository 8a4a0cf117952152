"""Run the SMTP listener for inbound mail; `serve` starts it, and it runs alone on other machines."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from rapport.channels.email.listener import serve_smtp


class Command(BaseCommand):
    help = "Accept mail for Rapport's mailboxes over SMTP; each message is stored before it is accepted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=None, help="default: RAPPORT_SMTP_HOST (127.0.0.1)")
        parser.add_argument("--port", type=int, default=None, help="default: RAPPORT_SMTP_PORT (2525)")

    def handle(self, *args: Any, **options: Any) -> None:
        host = options["host"] or settings.RAPPORT_SMTP_HOST
        port = options["port"] or settings.RAPPORT_SMTP_PORT

        def ready() -> None:
            self.stdout.write(f"SMTP listener on {host}:{port}", ending="\n")
            self.stdout.flush()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(
                serve_smtp(host=host, port=port, max_bytes=settings.RAPPORT_SMTP_MAX_BYTES, ready=ready)
            )
