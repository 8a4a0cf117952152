"""Benchmark chat latency agent -> visitor: from the reply service returning to the visitor's poll having it.

Starts gunicorn as `make run` does (2 workers, 4 threads) on a fresh SQLite database under
bench/out/widget/. A visitor thread talks to it over HTTP exactly as the widget does: it opens a
chat, then polls /chat/poll/ every --poll-ms (500 ms while the chat is on screen, as widget.js does).
The agent, in this process, answers with the desk's reply service --messages times, each after a
random pause so replies land at every phase of the poll cycle. For each reply the clock runs from
reply() returning (committed) to the poll response that carries it being read. Prints p50, p95 and
the worst, and the round trip of a poll on its own. Run by hand:

    nice .venv/bin/python bench/widget_chat.py --messages 200

Until rapport/channels/apps.py and urls.py carry the widget's lines, the server wires the widget
itself (this module is also the WSGI application and, then, the URL conf gunicorn loads).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "http://bench.example"
OUT = ROOT / "bench" / "out" / "widget"


# ---- the server side: what gunicorn loads as widget_chat:application ----------------------------


def _wire() -> None:
    from rapport.channels.models import ChannelKind
    from rapport.channels.protocol import register_processor
    from rapport.channels.widget.ingest import process_widget
    from rapport.channels.widget.outbound import chat_states, record_chat_reply, visitor_typing
    from rapport.desk.live import register_live
    from rapport.desk.models import Channel
    from rapport.desk.outbound import register_outbound

    register_processor(ChannelKind.WIDGET, process_widget)
    register_outbound(Channel.CHAT, dispatch=record_chat_reply, states=chat_states)
    register_live(Channel.CHAT, customer_typing=visitor_typing)


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    _wire()
    from django.conf import settings
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("channels:widget_config", args=["key"])
    except NoReverseMatch:
        settings.ROOT_URLCONF = __name__


def __getattr__(name: str) -> Any:
    # Loaded as a URL conf (see _setup_django): the project's URLs with the widget's under "channels".
    if name == "urlpatterns":
        from django.urls import URLResolver, include, path

        from config.urls import urlpatterns as project
        from rapport.channels import urls as channels_urls

        widget = [*channels_urls.urlpatterns, path("", include("rapport.channels.widget.urls"))]
        return [
            *(p for p in project if not (isinstance(p, URLResolver) and p.namespace == "channels")),
            path("channels/", include((widget, "channels"))),
        ]
    if name == "application":
        _setup_django()
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()
    raise AttributeError(name)


# ---- the bench ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("gunicorn did not start")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Visitor(threading.Thread):
    """The widget on a host page: one chat, polling every poll_ms, noting when each reply arrived."""

    def __init__(self, base: str, key: str, poll_ms: int) -> None:
        super().__init__(daemon=True)
        import requests

        self.http = requests.Session()
        self.url = f"{base}/channels/widget/{key}/"
        self.headers = {"Origin": ORIGIN, "Content-Type": "application/json"}
        self.poll_s = poll_ms / 1000
        self.arrived: dict[str, float] = {}
        self.round_trips: list[float] = []
        self.cursor = 0
        self.stopping = threading.Event()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(self.url + path, json=body, headers=self.headers, timeout=10)
        response.raise_for_status()
        return response.json()

    def start_chat(self) -> None:
        self.headers["X-Rapport-Visitor"] = self.post("session/", {})["token"]
        self.post(
            "chat/start/",
            {"id": str(uuid.uuid4()), "text": "Hello, is anyone there?", "email": "ada@example.com"},
        )

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.perf_counter()
            answer = self.post("chat/poll/", {"after": self.cursor})
            now = time.perf_counter()
            self.round_trips.append(now - started)
            for message in answer["messages"]:
                if message["from"] == "agent":
                    self.arrived.setdefault(message["text"], now)
            self.cursor = answer["cursor"]
            self.stopping.wait(self.poll_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--poll-ms", type=int, default=500, help="the widget polls this often while open")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    port = free_port()
    env = {
        **os.environ,
        "RAPPORT_DATA_DIR": str(OUT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DATABASE_URL", None)
    os.environ.update({k: env[k] for k in ("RAPPORT_DATA_DIR", "DJANGO_SETTINGS_MODULE")})
    os.environ.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--no-input", "-v0"], env=env, check=True
    )

    _setup_django()
    from rapport.accounts.models import Role, User
    from rapport.accounts.permissions import Actor
    from rapport.channels.models import Widget
    from rapport.desk.models import Conversation
    from rapport.desk.services.conversations import reply

    widget = Widget.objects.create(name="Bench", allowed_origins=[ORIGIN], phone_number="+442079460018")
    agent = Actor(
        user=User.objects.create_user(
            email="agent@bench.test", password="x", role=Role.AGENT, full_name="Maria Lopez"
        )
    )

    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "widget_chat:application",
            "--pythonpath", str(ROOT / "bench"), "--chdir", str(ROOT),
            "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--log-level", "warning",
        ],
        env=env,
    )  # fmt: skip
    try:
        wait_for_port(port)
        visitor = Visitor(f"http://127.0.0.1:{port}", widget.key, args.poll_ms)
        visitor.start_chat()
        conversation = Conversation.objects.get()
        visitor.start()
        rng = random.Random(args.seed)
        latencies: list[float] = []
        for number in range(args.messages):
            text = f"Reply {number}"
            reply(actor=agent, conversation=conversation, body_text=text)
            returned = time.perf_counter()
            deadline = returned + 10
            while text not in visitor.arrived and time.perf_counter() < deadline:
                time.sleep(0.002)
            if text not in visitor.arrived:
                raise SystemExit(f"{text!r} did not reach the visitor within 10 s")
            latencies.append(visitor.arrived[text] - returned)
            # Land the next reply at a random phase of the poll cycle.
            time.sleep(rng.uniform(0, args.poll_ms / 1000))
        visitor.stopping.set()
        visitor.join()
    finally:
        server.terminate()
        server.wait()

    ms = [value * 1000 for value in latencies]
    trips = [value * 1000 for value in visitor.round_trips]
    print(f"{len(ms)} replies, visitor polling every {args.poll_ms} ms, gunicorn 2x4 on SQLite ({OUT})")
    print(f"agent -> visitor latency: p50 {percentile(ms, 0.5):6.0f} ms   p95 {percentile(ms, 0.95):6.0f} ms   "
          f"max {max(ms):6.0f} ms   mean {statistics.fmean(ms):6.0f} ms   target p95 < 1000 ms")  # fmt: skip
    print(f"poll round trip:          p50 {percentile(trips, 0.5):6.1f} ms   p95 {percentile(trips, 0.95):6.1f} ms   "
          f"({len(trips)} polls)")  # fmt: skip


if __name__ == "__main__":
    main()
