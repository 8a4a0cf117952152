"""The social channel's HTTP endpoint: signed JSON (Standard Webhooks), stored before it is answered."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from rapport.channels.models import ChannelKind
from rapport.channels.social.ingest import JSON_SOURCE
from rapport.channels.webhooks import loose_json_object, receive_standard_webhook

SECRET_SETTING = "RAPPORT_SOCIAL_WEBHOOK_SECRET"  # noqa: S105 - the setting's name, not a secret


def json_delivery_keys(body: bytes, webhook_id: str) -> tuple[str, str]:
    """(external id, sender) for the dedupe key, read loosely: a body that is not JSON is still stored."""
    data = loose_json_object(body)
    if data is None:
        return webhook_id, ""
    event_id, handle = data.get("event_id"), data.get("handle")
    return (
        event_id if isinstance(event_id, str) and event_id else webhook_id,
        handle if isinstance(handle, str) else "",
    )


@csrf_exempt
@require_POST
def social_webhook(request: HttpRequest) -> HttpResponse:
    return receive_standard_webhook(
        request,
        kind=ChannelKind.SOCIAL,
        source=JSON_SOURCE,
        secret_setting=SECRET_SETTING,
        keys=json_delivery_keys,
    )
