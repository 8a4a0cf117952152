"""Benchmark outbound webhooks: signed deliveries per second to a local receiver, on SQLite.

On a fresh SQLite database under bench/out/webhooks/, with a receiver process on loopback (a threaded
http.server that answers 204, allow-listed through RAPPORT_WEBHOOK_ALLOWED_HOSTS):

1. the outbox's cost: --events customers created through the real service with an endpoint
   subscribed (timeline row + outbox event + delivery in one transaction), against the same with
   nobody subscribed (the listener's one indexed query);
2. the sweep (`deliver_due`, what the clock runs): claim, check the URL (SSRF rules), sign, POST,
   record the attempt, one delivery after another;
3. --workers threads making attempts at once, as several db_worker threads would;
4. the bare rate of the same POSTs with http.client and nothing else, for the ratio.

Every request the receiver gets is checked: its signature verifies and its webhook-id is an event's.
Run by hand or with `make bench-webhooks`:

    nice .venv/bin/python bench/webhooks_outbound.py --events 2000 --workers 4
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent


def serve(port: int, secret: str) -> None:
    """The receiver (run in its own process): verifies every signature, answers 204, counts."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    state = {"received": 0, "bad": 0, "ids": set()}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/bare":
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            msg_id = self.headers.get("webhook-id", "")
            signed = f"{msg_id}.{self.headers.get('webhook-timestamp', '')}.".encode() + body
            expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
            offered = [
                v[3:] for v in self.headers.get("webhook-signature", "").split() if v.startswith("v1,")
            ]
            good = any(hmac.compare_digest(expected, value) for value in offered)
            with lock:
                state["received"] += 1
                state["bad"] += 0 if good else 1
                if msg_id:
                    state["ids"].add(msg_id)
            self.send_response(204 if good else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            with lock:
                reply = json.dumps(
                    {"received": state["received"], "bad": state["bad"], "ids": sorted(state["ids"])}
                ).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    ThreadingHTTPServer.request_queue_size = 256
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the receiver did not start")


def receiver_state(port: int) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/")
    state: dict[str, Any] = json.loads(connection.getresponse().read())
    connection.close()
    return state


def setup_django(data_dir: Path) -> None:
    os.environ["RAPPORT_DATA_DIR"] = str(data_dir)
    os.environ["RAPPORT_WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    # Nothing is sent on commit: the phases below send, so each is timed on its own.
    os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)


def create_customers(count: int, label: str) -> float:
    from rapport.accounts.models import Role, User
    from rapport.accounts.permissions import Actor
    from rapport.customers.services import create_customer

    admin = Actor(User.objects.get_or_create(email="bench@example.com", defaults={"role": Role.ADMIN})[0])
    started = time.perf_counter()
    for number in tqdm(range(count), desc=label, unit="customer"):
        create_customer(actor=admin, name=f"{label} {number}")
    return time.perf_counter() - started


def due_ids() -> list[int]:
    from rapport.webhooks.models import Delivery, DeliveryStatus

    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING).order_by("id").values_list("pk", flat=True)
    )


def sweep(total: int) -> float:
    from rapport.webhooks.services.delivery import deliver_due

    started = time.perf_counter()
    with tqdm(total=total, desc="sweep", unit="delivery") as bar:
        while True:
            made = deliver_due(limit=200, budget_seconds=3600)
            bar.update(made)
            if not made:
                break
    return time.perf_counter() - started


def threaded(ids: list[int], workers: int) -> float:
    from django.db import connection

    from rapport.webhooks.services.delivery import attempt_delivery

    queue = list(reversed(ids))
    lock = threading.Lock()
    failures: list[BaseException] = []
    bar = tqdm(total=len(ids), desc=f"{workers} workers", unit="delivery")

    def work() -> None:
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    delivery_id = queue.pop()
                attempt_delivery(delivery_id)
                bar.update(1)
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    bar.close()
    if failures:
        raise SystemExit(f"a worker failed: {failures[0]!r}")
    return elapsed


def bare_posts(port: int, count: int, body: bytes) -> float:
    started = time.perf_counter()
    for _ in tqdm(range(count), desc="bare POST", unit="request"):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("POST", "/bare", body=body, headers={"Content-Type": "application/json"})
        connection.getresponse().read()
        connection.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="events per delivery phase")
    parser.add_argument("--workers", type=int, default=4, help="threads in the concurrent phase")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--secret", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.secret)
        return

    data_dir = ROOT / "bench" / "out" / "webhooks"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    setup_django(data_dir)
    from django.db import connection

    from rapport.core.standard_webhooks import new_secret
    from rapport.webhooks.models import (
        Delivery,
        DeliveryAttempt,
        DeliveryStatus,
        Endpoint,
        OutboxEvent,
        Subscription,
    )
    from rapport.webhooks.services.delivery import event_body

    port = free_port()
    endpoint = Endpoint.objects.create(url=f"http://127.0.0.1:{port}/hooks", secret=new_secret())
    receiver = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), "--secret", endpoint.secret],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        print(f"SQLite at {connection.settings_dict['NAME']}; receiver on 127.0.0.1:{port}")

        quiet = create_customers(args.events, "nobody subscribed")
        Subscription.objects.create(endpoint=endpoint, event_type="customer.created")
        outboxed = create_customers(args.events, "outbox")
        assert OutboxEvent.objects.count() == args.events

        swept = sweep(args.events)
        create_customers(args.events, "outbox, second batch")
        workers = threaded(due_ids(), args.workers)
        sample = event_body(OutboxEvent.objects.first())  # type: ignore[arg-type]
        bare = bare_posts(port, args.events, sample)

        state = receiver_state(port)
        events = set(OutboxEvent.objects.values_list("event_id", flat=True))
        statuses = {
            status: Delivery.objects.filter(status=status).count() for status in DeliveryStatus.values
        }
        attempts = DeliveryAttempt.objects.count()
    finally:
        receiver.terminate()
        receiver.wait()

    n = args.events
    print()
    print(f"deliveries by status: {statuses}; attempts logged: {attempts:,}")
    print(
        f"receiver: {state['received']:,} requests, {state['bad']} with a bad signature, "
        f"{len(set(state['ids']) & events):,} of {len(events):,} event ids seen"
    )
    print(f"create_customer, nobody subscribed:     {n / quiet:8.1f} /s  ({quiet / n * 1000:6.2f} ms each)")
    print(
        f"create_customer + outbox event:         {n / outboxed:8.1f} /s  ({outboxed / n * 1000:6.2f} ms each)"
    )
    print(f"outbox cost per event:                  {(outboxed - quiet) / n * 1000:8.2f} ms")
    print(f"deliveries, sweep (one after another):  {n / swept:8.1f} /s  ({swept / n * 1000:6.2f} ms each)")
    print(f"deliveries, {args.workers} worker threads:          {n / workers:8.1f} /s")
    print(f"bare POST, http.client, same body:      {n / bare:8.1f} /s")
    print(f"sweep / bare POST:                      {bare / swept:8.3f}")


if __name__ == "__main__":
    main()
