"""Factories for outbound webhooks, and a real HTTP receiver on loopback for end-to-end tests."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import factory

from rapport.core.standard_webhooks import new_secret
from rapport.webhooks.models import Endpoint, Subscription


class EndpointFactory(factory.django.DjangoModelFactory):
    """An endpoint row as registration would leave it (URL checks are the service's, not this)."""

    class Meta:
        model = Endpoint

    url = "https://store.example.com/hooks/rapport"
    description = factory.Sequence(lambda n: f"Store app {n}")
    secret = factory.LazyFunction(new_secret)
    is_active = True


def subscribe(endpoint: Endpoint, *event_types: str) -> Endpoint:
    Subscription.objects.bulk_create(Subscription(endpoint=endpoint, event_type=name) for name in event_types)
    return endpoint


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A store's webhook receiver: answers with `status` (and `location` for redirects), keeps requests.

    stop() closes the listening socket, so attempts meet "connection refused" until start() again on
    the same port.
    """

    status: int = 200
    location: str = ""
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append(
                    Received(
                        path=self.path, headers={k.lower(): v for k, v in self.headers.items()}, body=body
                    )
                )
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                reply = b"ok" if receiver.status < 300 else b"try later"
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
