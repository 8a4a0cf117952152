"""Benchmark inbound email end to end: SMTP to a stored, threaded desk message, on SQLite.

Starts the real listener (`manage.py smtp`) and two task workers (`manage.py db_worker`, niced) as
`make run` does, on a fresh SQLite database under bench/out/inbound/. Sender threads deliver --messages emails
over SMTP (a mix of first contacts and replies that thread by In-Reply-To, a fifth with an attachment);
the clock stops when every delivery is processed. Also prints the rate of SMTP acceptance alone and
the bare parse rate of the same messages with the standard library (email.message_from_bytes with
policy.default, then get_body), and the ratio. Run by hand or with `make bench-inbound`:

    nice .venv/bin/python bench/inbound_email.py --messages 2000
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import smtplib
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
MAILBOX = "support@bench.test"
WORDS = [
    "order",
    "parcel",
    "delivery",
    "refund",
    "size",
    "return",
    "package",
    "address",
    "tracking",
    "week",
    "payment",
    "invoice",
    "dress",
    "shoes",
    "jacket",
    "colour",
    "broken",
    "damaged",
    "wrong",
    "missing",
    "late",
    "arrived",
    "exchange",
    "replacement",
    "voucher",
]


def build_messages(count: int, seed: int, domain: str = "example.com") -> list[bytes]:
    """First contacts from count/2 customers, then replies; replies quote the mail they answer."""
    rng = random.Random(seed)
    messages: list[bytes] = []
    sent: list[tuple[str, str, str]] = []  # (sender, message id, subject)
    for number in range(count):
        message = EmailMessage()
        if sent and rng.random() < 0.5:
            sender, answered, subject = rng.choice(sent)
            message["In-Reply-To"] = answered
            message["References"] = answered
            subject = f"Re: {subject}"
        else:
            sender = f"customer{number}@{domain}"
            subject = " ".join(rng.choices(WORDS, k=5)).capitalize()
        message_id = make_msgid(domain=domain)
        message["From"] = f"Customer {number} <{sender}>"
        message["To"] = MAILBOX
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = message_id
        # Lines wrapped as mail clients do: SMTP allows at most 1000 characters a line (RFC 5321).
        text = textwrap.fill(" ".join(rng.choices(WORDS, k=rng.randint(40, 200))), 76)
        quoted = textwrap.indent(textwrap.fill(" ".join(rng.choices(WORDS, k=60)), 74), "> ")
        message.set_content(f"{text}\n\nOn Monday you wrote:\n{quoted}\n")
        message.add_alternative(f"<p>{text}</p>\n<blockquote>earlier mail</blockquote>\n", subtype="html")
        if rng.random() < 0.2:
            message.add_attachment(
                rng.randbytes(20_000), maintype="image", subtype="jpeg", filename="photo.jpg"
            )
        messages.append(message.as_bytes(policy=policy.SMTP))
        sent.append((sender, message_id, subject))
    return messages


def parse_rate(messages: list[bytes]) -> float:
    started = time.perf_counter()
    for raw in messages:
        parsed = message_from_bytes(raw, policy=policy.default)
        body = parsed.get_body(preferencelist=("plain", "html"))
        if body is not None:
            body.get_content()
    return len(messages) / (time.perf_counter() - started)


def rapport_parse_rate(messages: list[bytes]) -> float:
    sys.path.insert(0, str(ROOT))
    from rapport.channels.email.parsing import parse_email

    started = time.perf_counter()
    for raw in messages:
        parse_email(raw)
    return len(messages) / (time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# `manage.py serve` runs its task workers this much nicer (serve.TASK_WORKER_NICENESS); so does the bench.
TASK_WORKER_NICENESS = 5


def manage(env: dict[str, str], *args: str, background: bool = False) -> subprocess.Popen[bytes]:
    argv = [sys.executable, str(ROOT / "manage.py"), *args]
    if background:
        niceness = TASK_WORKER_NICENESS if "db_worker" in args else 0
        return subprocess.Popen(
            argv,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=(lambda: os.nice(niceness)) if niceness else None,
        )
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return subprocess.Popen(["true"])


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the SMTP listener did not start")


def send_all(port: int, messages: list[bytes], senders: int, bar: tqdm) -> None:
    failures: list[BaseException] = []

    def send(share: list[bytes]) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                for raw in share:
                    client.sendmail("bench@example.com", [MAILBOX], raw)
                    bar.update(1)
        except (OSError, smtplib.SMTPException) as error:
            failures.append(error)

    # Replies must come after what they answer, so each sender keeps the order of its share, and the
    # shares interleave as mail from many customers would.
    threads = [threading.Thread(target=send, args=(messages[i::senders],)) for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"sending failed: {failures[0]!r}")


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """User plus system CPU time of a running child, from /proc (Linux)."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_scored(database: Path, count: int) -> None:
    """Until `count` deliveries are processed and every desk message has its listening signal."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with sqlite3.connect(database, timeout=30) as connection:
            processed = connection.execute(
                "SELECT count(*) FROM channels_inbounddelivery WHERE status != 'received'"
            ).fetchone()[0]
            unscored = connection.execute(
                "SELECT count(*) FROM desk_message m LEFT JOIN listening_messagesignal s"
                " ON s.message_id = m.id WHERE s.id IS NULL"
            ).fetchone()[0]
        if processed >= count and not unscored:
            return
        time.sleep(0.2)
    raise SystemExit("the warm-up was not processed and scored in 5 minutes")


def count_status(database: Path) -> dict[str, int]:
    with sqlite3.connect(database, timeout=30) as connection:
        return dict(
            connection.execute("SELECT status, count(*) FROM channels_inbounddelivery GROUP BY status")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=4, help="concurrent SMTP connections")
    parser.add_argument("--workers", type=int, default=2, help="db_worker processes (make run starts 2)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--warmup",
        type=int,
        default=300,
        help="messages sent (from other senders) and processed and scored before the clock starts",
    )
    args = parser.parse_args()

    data_dir = ROOT / "bench" / "out" / "inbound"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    port = free_port()
    env = {**os.environ, "RAPPORT_DATA_DIR": str(data_dir), "RAPPORT_SMTP_PORT": str(port)}
    env.pop("DATABASE_URL", None)
    database = data_dir / "rapport.sqlite3"

    messages = build_messages(args.messages, args.seed)
    size = sum(map(len, messages)) / len(messages)
    print(f"{len(messages):,} messages, {size / 1024:.1f} KiB on average; SQLite at {database}")
    bare = parse_rate(messages)
    ours = rapport_parse_rate(messages)

    manage(env, "migrate", "--no-input")
    manage(
        env,
        "shell",
        "-c",
        f"from rapport.channels.models import Mailbox; Mailbox.objects.create(address='{MAILBOX}', name='Bench')",
    )
    listener = manage(env, "smtp", background=True)
    workers = [
        manage(env, "db_worker", "--queue-name", "*", "--no-reload", "--interval", "0.25", background=True)
        for _ in range(args.workers)
    ]
    try:
        wait_for_port(port)
        if args.warmup and args.workers:
            # A running server has its models loaded and its caches warm; a fresh worker spends seconds
            # loading the listening models on its first scoring task.
            warmup = build_messages(args.warmup, args.seed + 1, domain="warmup.example")
            with tqdm(total=len(warmup), desc="warm-up", unit="msg") as bar:
                send_all(port, warmup, args.senders, bar)
            wait_until_scored(database, len(warmup))
        baseline = sum(count_status(database).values())
        time.sleep(1.0)
        listener_cpu_before = cpu_seconds(listener)
        workers_cpu_before = sum(cpu_seconds(worker) for worker in workers)
        senders_cpu_before = time.process_time()
        started = time.perf_counter()
        with tqdm(total=len(messages), desc="sent (250)", unit="msg") as bar:
            send_all(port, messages, args.senders, bar)
        accepted_after = time.perf_counter() - started
        with tqdm(total=len(messages), desc="processed", unit="msg") as bar:
            # --workers 0 measures the listener alone: nothing is processed.
            done = 0 if args.workers else len(messages)
            while done < len(messages):
                time.sleep(0.2)
                counts = count_status(database)
                now_done = sum(counts.values()) - counts.get("received", 0) - baseline
                bar.update(now_done - done)
                done = now_done
        total = time.perf_counter() - started
        listener_cpu = cpu_seconds(listener) - listener_cpu_before
        worker_cpu = sum(cpu_seconds(worker) for worker in workers) - workers_cpu_before
        senders_cpu = time.process_time() - senders_cpu_before
    finally:
        for process in [listener, *workers]:
            process.terminate()
        for process in [listener, *workers]:
            process.wait()

    counts = count_status(database)
    with sqlite3.connect(database) as connection:
        conversations = connection.execute(
            "SELECT count(*) FROM desk_conversation c JOIN customers_identity i ON i.customer_id = c.customer_id"
            " WHERE i.value LIKE '%@example.com'"
        ).fetchone()[0]
        desk_messages = connection.execute(
            "SELECT count(*) FROM desk_message WHERE sender LIKE '%@example.com'"
        ).fetchone()[0]
    end_to_end = len(messages) / total
    print()
    print(f"deliveries by status: {counts}")
    print(f"desk: {conversations:,} conversations, {desk_messages:,} messages")
    print(f"SMTP accepted (stored and committed):  {len(messages) / accepted_after:8.1f} msg/s")
    print(f"end to end (SMTP to threaded message): {end_to_end:8.1f} msg/s   target >= 200")
    print(f"bare parse, stdlib email:              {bare:8.1f} msg/s")
    print(f"parse_email (Rapport's parser):        {ours:8.1f} msg/s")
    print(f"end to end / bare parse:               {end_to_end / bare:8.3f}")
    per_message = 1000 / len(messages)
    print(
        f"CPU per message: listener {listener_cpu * per_message:.2f} ms, worker {worker_cpu * per_message:.2f} ms,"
        f" senders and the bench's polling {senders_cpu * per_message:.2f} ms"
    )


if __name__ == "__main__":
    main()
