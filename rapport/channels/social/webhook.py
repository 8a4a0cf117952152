"""The social channel's HTTP endpoint: signed JSON (Standard Webhooks), stored before it is answered."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from rapport.channels.client import client_address
from rapport.channels.models import ChannelKind
from rapport.channels.services.deliveries import store_delivery
from rapport.channels.signatures import WebhookRefused, authenticate_standard_webhook
from rapport.channels.social.ingest import JSON_SOURCE

SECRET_SETTING = "RAPPORT_SOCIAL_WEBHOOK_SECRET"  # noqa: S105 - the setting's name, not a secret


def json_delivery_keys(body: bytes, webhook_id: str) -> tuple[str, str]:
    """(external id, sender) for the dedupe key, read loosely: a body that is not JSON is still stored."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        return webhook_id, ""
    event_id, handle = data.get("event_id"), data.get("handle")
    return (
        event_id if isinstance(event_id, str) and event_id else webhook_id,
        handle if isinstance(handle, str) else "",
    )


@csrf_exempt
@require_POST
def social_webhook(request: HttpRequest) -> HttpResponse:
    try:
        body = authenticate_standard_webhook(request, secret_setting=SECRET_SETTING)
    except WebhookRefused as refused:
        return refused.response()
    external_id, sender = json_delivery_keys(body, request.headers.get("webhook-id", ""))
    store_delivery(
        kind=ChannelKind.SOCIAL,
        source=JSON_SOURCE,
        raw=body,
        external_id=external_id,
        sender=sender,
        remote_addr=client_address(request),
    )
    return HttpResponse(status=204)
