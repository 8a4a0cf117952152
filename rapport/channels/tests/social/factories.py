"""Social events as a provider sends them (documented JSON, Standard Webhooks signatures), and mentions."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import factory
from django.test import Client
from django.urls import reverse

from rapport.channels.models import SocialMention
from rapport.channels.tests.phone.factories import signed_headers

SECRET = "whsec_" + base64.b64encode(b"social-test-secret-32-bytes-long").decode()


def social_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event_id": f"evt_{uuid.uuid4().hex}",
        "kind": "mention",
        "platform": "twitter",
        "handle": "@Ada",
        "author_name": "Ada Lovelace",
        "text": "Loving my new teapot from @shop",
        "url": "https://twitter.example/ada/status/1790",
        "posted_at": "2026-11-20T10:00:00Z",
        "external_id": "1790",
        "reach": 1200,
    }
    payload.update(overrides)
    return payload


def post_social(client: Client, payload: dict[str, Any] | bytes, **header_options: Any) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = signed_headers(body, secret=header_options.pop("secret", SECRET), **header_options)
    return client.post(
        reverse("channels:social_webhook"), body, content_type="application/json", headers=headers
    )


class SocialMentionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialMention

    platform = "twitter"
    handle = factory.Sequence(lambda n: f"fan{n}")
    text = factory.Sequence(lambda n: f"Mention number {n} of @shop")
    url = factory.Sequence(lambda n: f"https://twitter.example/status/{n}")
    posted_at = factory.Sequence(lambda n: datetime(2026, 11, 1, tzinfo=UTC).replace(hour=n % 24))
    external_id = factory.Sequence(lambda n: f"post-{n}")
    reach = 100
