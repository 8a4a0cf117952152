"""The client's address that every channel records and rate-limits: spoofed hops are not believed."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from rapport.channels.client import client_address


def test_without_trusted_proxies_the_socket_address_counts(settings: Any) -> None:
    settings.RAPPORT_PROXY_HOPS = 0
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert client_address(request) == "203.0.113.7"


def test_behind_one_proxy_the_hop_it_appended_counts_not_what_the_client_wrote(settings: Any) -> None:
    settings.RAPPORT_PROXY_HOPS = 1
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")

    assert client_address(request) == "203.0.113.7"
