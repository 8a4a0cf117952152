"""Run the embedded mode: web server, task workers, clock and SMTP listener together, stopped by Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from rapport.accounts.safety import DEMO_EMAILS, DEMO_PASSWORD, demo_users_present

SHUTDOWN_GRACE_SECONDS = 10
# Task workers run this much nicer than the processes people wait on (the web server, the SMTP listener
# answering a sending server): on a small machine their parsing and scoring would otherwise delay each
# 250 and each page. They still get every core nobody else wants.
TASK_WORKER_NICENESS = 5
# An idle task worker looks for new tasks this often (one indexed query): mail and chat wait at most this.
TASK_POLL_SECONDS = 0.25


@dataclass
class Service:
    name: str
    argv: list[str]
    niceness: int = 0
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        niceness = self.niceness
        self.process = subprocess.Popen(  # noqa: S603
            self.argv,
            cwd=settings.BASE_DIR,
            # Runs in the child between fork and exec; serve has started no threads.
            preexec_fn=(lambda: os.nice(niceness)) if niceness else None,
        )


class Command(BaseCommand):
    help = (
        "Start the web server (gunicorn), the task workers (db_worker), the clock and the SMTP listener; "
        "Ctrl-C stops them all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=2)
        # Two task workers: while one writes a batch of inbound mail, the other parses the next.
        parser.add_argument("--task-workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        services = [
            Service(
                "web",
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi:application",
                    "--bind",
                    f"{host}:{port}",
                    "--workers",
                    str(options["web_workers"]),
                    "--threads",
                    "4",
                    "--graceful-timeout",
                    str(SHUTDOWN_GRACE_SECONDS),
                ],
            ),
            *(
                Service(
                    f"worker {number}",
                    [
                        *manage,
                        "db_worker",
                        "--queue-name",
                        "*",
                        "--no-reload",
                        "--interval",
                        str(TASK_POLL_SECONDS),
                    ],
                    niceness=TASK_WORKER_NICENESS,
                )
                for number in range(1, max(1, options["task_workers"]) + 1)
            ),
            Service("clock", [*manage, "clock"]),
            Service("smtp", [*manage, "smtp"]),
        ]
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for service in services:
            service.start()
        self._banner(host, port)
        exit_code = 0
        while not stopping:
            for service in services:
                assert service.process is not None
                code = service.process.poll()
                if code is not None:
                    self.stderr.write(f"{service.name} exited with status {code}; stopping everything")
                    exit_code = code or 1
                    stopping = True
            time.sleep(0.5)
        self._stop_all(services)
        self.stdout.write("Rapport stopped.")
        if exit_code:
            sys.exit(exit_code)

    def _stop_all(self, services: list[Service]) -> None:
        for service in services:
            if service.process and service.process.poll() is None:
                service.process.terminate()
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        for service in services:
            if service.process is None:
                continue
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait()

    def _banner(self, host: str, port: int) -> None:
        lines = [
            "",
            f"Rapport is running on http://{host}:{port}/",
            "  web server: gunicorn   task workers: db_worker   periodic jobs: clock",
            f"  inbound mail: SMTP on {settings.RAPPORT_SMTP_HOST}:{settings.RAPPORT_SMTP_PORT}",
        ]
        if demo_users_present():
            lines.append(f"  demo logins (password '{DEMO_PASSWORD}'): " + ", ".join(DEMO_EMAILS))
        lines += ["Press Ctrl-C to stop them all.", ""]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
