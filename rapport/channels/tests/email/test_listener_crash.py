"""Fault test: the SMTP listener is killed (SIGKILL) and restarted while 500 messages arrive.

A sending server retries until it reads 250, as real ones do. Afterwards every message that got a 250
is stored exactly once: nothing acknowledged is lost, and a retry after a kill that fell between the
commit and the 250 is not stored twice. The listener runs as its own process (`manage.py smtp`) on a
fresh SQLite database in a temporary folder, as `make run` starts it.
"""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from rapport.channels.tests.factories import an_email

MESSAGES = 500
KILLS = 6
MAILBOX = "support@shop.test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ListenerProcess:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.port = port
        self.env = {**os.environ, "RAPPORT_DATA_DIR": str(data_dir), "RAPPORT_SMTP_PORT": str(port)}
        # The listener must use the test's own SQLite file, whichever database the suite runs on.
        self.env.pop("DATABASE_URL", None)
        self.process: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=300,
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "smtp"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the SMTP listener did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[ListenerProcess]:
    process = ListenerProcess(tmp_path, _free_port())
    process.manage("migrate", "--no-input")
    process.manage(
        "shell",
        "-c",
        "from rapport.channels.models import Mailbox; "
        f"Mailbox.objects.create(address='{MAILBOX}', name='Support')",
    )
    process.start()
    yield process
    if process.process is not None and process.process.poll() is None:
        process.kill()


def _send_until_accepted(port: int, raw: bytes, stop: threading.Event) -> None:
    """Like a sending MTA: any failure (refused connection, reset, 4xx) means try again shortly."""
    while not stop.is_set():
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
                client.sendmail("ada@example.com", [MAILBOX], raw)
            return
        except (OSError, smtplib.SMTPException):
            time.sleep(0.02)
    raise RuntimeError("gave up")


def test_every_accepted_message_is_stored_exactly_once_across_kills(
    listener: ListenerProcess, tmp_path: Path
) -> None:
    accepted: list[str] = []
    stop = threading.Event()

    def sender() -> None:
        for number in range(MESSAGES):
            message_id = f"fault-{number}@example.com"
            _send_until_accepted(
                listener.port, an_email(message_id=f"<{message_id}>", body=f"number {number}"), stop
            )
            accepted.append(message_id)

    thread = threading.Thread(target=sender)
    thread.start()
    kills = 0
    while thread.is_alive() and kills < KILLS:
        time.sleep(0.3)
        listener.kill()
        kills += 1
        listener.start()
    thread.join(timeout=300)
    stop.set()

    with sqlite3.connect(tmp_path / "rapport.sqlite3") as database:
        stored = database.execute(
            "SELECT external_id, count(*) FROM channels_inbounddelivery GROUP BY external_id"
        ).fetchall()
    counts = dict(stored)
    assert kills == KILLS
    assert len(accepted) == MESSAGES
    assert all(counts.get(message_id) == 1 for message_id in accepted)
    assert len(counts) == MESSAGES
