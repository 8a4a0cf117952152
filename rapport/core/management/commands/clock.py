"""Enqueue every registered periodic job when it falls due (snoozes ending, SLA flags, auto-close...)."""

from __future__ import annotations

import signal
import time
from datetime import datetime
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from rapport.core.schedule import due_jobs

TICK_SECONDS = 5.0


class Command(BaseCommand):
    help = "Enqueue periodic jobs for the task worker; runs until stopped (or once with --once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue every job once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        last_run: dict[str, datetime] = {}
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        if not options["once"]:
            signal.signal(signal.SIGINT, stop)
            signal.signal(signal.SIGTERM, stop)
        while not stopping:
            now = timezone.now()
            for job in due_jobs(last_run, now):
                job.task.enqueue()
                last_run[job.name] = now
                if options["once"]:
                    self.stdout.write(f"enqueued {job.name}")
            if options["once"]:
                return
            time.sleep(TICK_SECONDS)
