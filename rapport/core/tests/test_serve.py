"""`manage.py serve` starts web server, two task workers, clock and SMTP listener; Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from rapport.core.management.commands.serve import TASK_WORKER_NICENESS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in out.stdout.split()]


def _niceness(pid: int) -> int:
    # /proc/<pid>/stat: the 19th field is the nice value; the command name (2nd) may hold spaces.
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _is_task_worker(pid: int) -> bool:
    return b"db_worker" in Path(f"/proc/{pid}/cmdline").read_bytes()


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "") != "", reason="runs the embedded SQLite mode only")
def test_serve_answers_http_and_smtp_and_ctrl_c_stops_all_five(tmp_path: Path) -> None:
    smtp_port = _free_port()
    env = {**os.environ, "RAPPORT_DATA_DIR": str(tmp_path), "RAPPORT_SMTP_PORT": str(smtp_port)}
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    subprocess.run([sys.executable, manage, "migrate", "-v0"], env=env, check=True)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, manage, "serve", "--port", str(port), "--web-workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # Its own process group, so a failed test can stop the children too.
        start_new_session=True,
    )
    try:
        status = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=5
                ) as response:
                    status = response.status
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                # Still booting (slowly, on a busy machine): try again.
                time.sleep(0.2)
        smtp_greeting: tuple[int, bytes] = (0, b"")
        for _ in range(100):
            try:
                with smtplib.SMTP(timeout=5) as client:
                    smtp_greeting = client.connect("127.0.0.1", smtp_port)
                break
            except OSError:
                time.sleep(0.2)
        children = _children(server.pid)
        nicer = {pid: _niceness(pid) - _niceness(server.pid) for pid in children}
        workers = {pid for pid in children if _is_task_worker(pid)}

        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=30)[0].decode()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)

    assert status == 200
    assert smtp_greeting[0] == 220
    assert b"Rapport" in smtp_greeting[1]
    assert len(children) == 5  # web server, two task workers, clock, SMTP listener
    # The workers give way to the processes people wait on; the parent's own niceness is kept.
    assert len(workers) == 2
    assert {pid: nicer[pid] for pid in workers} == dict.fromkeys(workers, TASK_WORKER_NICENESS)
    assert all(nicer[pid] == 0 for pid in children if pid not in workers)
    assert f"Rapport is running on http://127.0.0.1:{port}/" in output
    assert "Rapport stopped." in output
    assert server.returncode == 0
    for pid in children:
        assert (
            not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
        )
