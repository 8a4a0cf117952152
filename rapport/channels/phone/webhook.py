"""The phone channel's HTTP endpoints: our documented JSON (Standard Webhooks) and Twilio's callbacks.

Each authenticates the request, commits the raw body with store_delivery, and only then answers 2xx;
reading the body is the processor's job, after the answer, so nothing authenticated is ever lost.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from rapport.channels.client import client_address
from rapport.channels.models import ChannelKind
from rapport.channels.phone.ingest import JSON_SOURCE, TWILIO_SOURCE
from rapport.channels.phone.payloads import twilio_event_id
from rapport.channels.services.deliveries import store_delivery
from rapport.channels.signatures import WebhookRefused, authenticate_twilio
from rapport.channels.webhooks import loose_json_object, receive_standard_webhook

SECRET_SETTING = "RAPPORT_PHONE_WEBHOOK_SECRET"  # noqa: S105 - the setting's name, not a secret
TWILIO_TOKEN_SETTING = "RAPPORT_TWILIO_AUTH_TOKEN"  # noqa: S105 - the setting's name, not a secret


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def json_delivery_keys(body: bytes, webhook_id: str) -> tuple[str, str]:
    """(external id, sender) for the dedupe key, read loosely: a body that is not JSON is still stored.

    The event id is the payload's event_id, else the webhook-id header (the same on a retry).
    """
    data = loose_json_object(body)
    if data is None:
        return webhook_id, ""
    party = data.get("to") if data.get("direction") == "outbound" else data.get("from")
    return _text(data.get("event_id")) or webhook_id, _text(party)


def _remote_addr(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


@csrf_exempt
@require_POST
def phone_webhook(request: HttpRequest) -> HttpResponse:
    return receive_standard_webhook(
        request,
        kind=ChannelKind.PHONE,
        source=JSON_SOURCE,
        secret_setting=SECRET_SETTING,
        keys=json_delivery_keys,
    )


@csrf_exempt
@require_POST
def twilio_voice_status(request: HttpRequest) -> HttpResponse:
    try:
        body = authenticate_twilio(request, token_setting=TWILIO_TOKEN_SETTING)
    except WebhookRefused as refused:
        return refused.response()
    form = {name: request.POST.get(name, "") for name in request.POST}
    party = form.get("From", "") if form.get("Direction") == "inbound" else form.get("To", "")
    store_delivery(
        kind=ChannelKind.PHONE,
        source=TWILIO_SOURCE,
        raw=body,
        external_id=twilio_event_id(form),
        sender=party,
        remote_addr=client_address(request),
    )
    # Twilio reads an empty 2xx to a status callback as received; there is nothing to say to the caller.
    return HttpResponse(status=204)
