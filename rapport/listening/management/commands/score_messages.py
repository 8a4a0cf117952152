"""manage.py score_messages [--rescore] [--batch N]: score the inbound messages waiting (or all, again)."""

from __future__ import annotations

import sys
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from rapport.listening.services import scoring


class Command(BaseCommand):
    help = (
        "Score the inbound messages not scored yet (the backlog after installing), or with --rescore every "
        "inbound message again with the engine in use (after switching engine or rebuilding the model). "
        "Alerts already raised are not raised again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--rescore", action="store_true", help="replace the scores of every message")
        parser.add_argument("--batch", type=int, default=scoring.BATCH, help="messages per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        batch = max(1, options["batch"])
        if options["rescore"]:
            total = scoring.start_rescoring()
            step = scoring.rescore_messages
        else:
            total = scoring.unscored_count()
            step = scoring.score_new_messages
        scored = alerts = 0
        with tqdm(total=total, unit="msg", file=sys.stderr, disable=None) as bar:
            while True:
                result = step(limit=batch)
                if result.busy:
                    # A worker is scoring the same messages; wait for its turn to end.
                    time.sleep(1)
                    continue
                scored += result.scored
                alerts += result.alerts
                bar.update(result.scored)
                if result.scored < batch:
                    break
        self.stdout.write(f"scored {scored:,} messages, raised {alerts:,} alerts")
