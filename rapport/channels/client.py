"""Who sent a request: the client's address, as every channel's endpoints record and rate-limit it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address; behind RAPPORT_PROXY_HOPS trusted proxies, read from X-Forwarded-For.

    Only the hops our own proxies appended are trusted: anything further left is what the client
    wrote, and a rate limit keyed on that would be one the client chooses.
    """
    hops = int(getattr(settings, "RAPPORT_PROXY_HOPS", 0) or 0)
    forwarded = [
        part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()
    ]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops][:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]
