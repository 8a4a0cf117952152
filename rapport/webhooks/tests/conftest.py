"""Webhook tests never ask a real DNS server: names resolve from this table, anything else fails."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from rapport.webhooks import network
from rapport.webhooks.tests.factories import Receiver

NAMES = {
    "store.example.com": ["93.184.216.34"],
    "shop.example.org": ["2606:2800:220:1:248:1893:25c8:1946"],
    "localhost": ["127.0.0.1"],
    "store.internal": ["10.0.0.5"],
    "metadata.example.com": ["169.254.169.254"],
    "mixed.example.com": ["93.184.216.34", "192.168.1.10"],
}


def fake_resolver(host: str, port: int) -> list[str]:
    if host in NAMES:
        return list(NAMES[host])
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.fixture(autouse=True)
def _names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network, "resolve", fake_resolver)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()
