"""Receiving a signed JSON webhook: authenticate, commit the raw body, and only then answer 204.

Reading the body is the channel's processor's job, after the answer, so nothing authenticated is
ever lost; the view reads it only loosely, for the dedupe key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from rapport.channels.client import client_address
from rapport.channels.services.deliveries import store_delivery
from rapport.channels.signatures import WebhookRefused, authenticate_standard_webhook

# (body, webhook-id header) -> (external id, sender) for the dedupe key.
DeliveryKeys = Callable[[bytes, str], tuple[str, str]]


def loose_json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None: a body that is not one is still stored (and quarantined)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def receive_standard_webhook(
    request: HttpRequest, *, kind: str, source: str, secret_setting: str, keys: DeliveryKeys
) -> HttpResponse:
    try:
        body = authenticate_standard_webhook(request, secret_setting=secret_setting)
    except WebhookRefused as refused:
        return refused.response()
    external_id, sender = keys(body, request.headers.get("webhook-id", ""))
    store_delivery(
        kind=kind,
        source=source,
        raw=body,
        external_id=external_id,
        sender=sender,
        remote_addr=client_address(request),
    )
    return HttpResponse(status=204)
