"""Call events as a provider sends them: documented JSON signed the Standard Webhooks way, Twilio forms."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from django.test import Client
from django.urls import reverse

SECRET = "whsec_" + base64.b64encode(b"phone-test-secret-32-bytes-long!").decode()
TWILIO_TOKEN = "twilio-test-auth-token"


def signed_headers(
    body: bytes, *, secret: str = SECRET, msg_id: str | None = None, at: int | None = None
) -> dict[str, str]:
    """Headers as a Standard Webhooks sender writes them, computed here from the specification."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if at is None else at
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def call_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event_id": f"evt_{uuid.uuid4().hex}",
        "call_id": "call-1",
        "direction": "inbound",
        "from": "+442079460018",
        "to": "+442079460999",
        "started_at": "2026-11-20T10:00:00Z",
        "ended_at": "2026-11-20T10:04:12Z",
        "duration_seconds": 252,
        "status": "answered",
        "recording_url": None,
        "agent_email": None,
    }
    payload.update(overrides)
    return payload


def post_call(client: Client, payload: dict[str, Any] | bytes, **header_options: Any) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = signed_headers(body, **header_options)
    return client.post(
        reverse("channels:phone_webhook"), body, content_type="application/json", headers=headers
    )


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's published algorithm, written out here so the test does not trust the code under test:
    the full URL, then each POST parameter's name and value in name order, HMAC-SHA1, base64."""
    data = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def twilio_form(**overrides: str) -> dict[str, str]:
    form = {
        "AccountSid": "AC0000000000000000000000000000000a",
        "CallSid": "CA11111111111111111111111111111111",
        "From": "+442079460018",
        "To": "+442079460999",
        "Direction": "inbound",
        "CallStatus": "completed",
        "CallDuration": "65",
        "Timestamp": "Fri, 20 Nov 2026 10:01:05 +0000",
        "SequenceNumber": "3",
        "ApiVersion": "2010-04-01",
    }
    form.update(overrides)
    return form


def post_twilio(
    client: Client, form: dict[str, str], *, token: str = TWILIO_TOKEN, signature: str | None = None
) -> Any:
    path = reverse("channels:twilio_voice_status")
    url = f"http://testserver{path}"
    return client.post(
        path,
        urlencode(form),
        content_type="application/x-www-form-urlencoded",
        headers={
            "X-Twilio-Signature": signature if signature is not None else twilio_signature(token, url, form)
        },
    )
