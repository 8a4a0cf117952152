"""Widgets, and a test client that talks to one as a host page on an allowed origin would."""

from __future__ import annotations

import json
import uuid
from typing import Any

import factory
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from rapport.channels.models import Widget

ORIGIN = "https://shop.example"


class WidgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Widget

    name = "Shop help"
    allowed_origins = factory.LazyFunction(lambda: [ORIGIN])
    phone_number = "+442079460018"


class HostPage:
    """A visitor's browser on a host page: sends the Origin header and keeps its visitor token."""

    def __init__(self, widget: Widget, *, origin: str = ORIGIN, remote_addr: str = "203.0.113.7") -> None:
        self.widget = widget
        self.origin = origin
        self.client = Client(REMOTE_ADDR=remote_addr)
        self.token = ""

    def url(self, name: str) -> str:
        return reverse(f"channels:widget_{name}", args=[self.widget.key])

    def get(self, name: str) -> HttpResponse:
        return self.client.get(self.url(name), HTTP_ORIGIN=self.origin)

    def post(
        self, name: str, body: Any = None, *, raw: bytes | None = None, token: str | None = None
    ) -> HttpResponse:
        headers = {"HTTP_ORIGIN": self.origin}
        visitor = self.token if token is None else token
        if visitor:
            headers["HTTP_X_RAPPORT_VISITOR"] = visitor
        data = raw if raw is not None else json.dumps(body if body is not None else {}).encode()
        return self.client.post(self.url(name), data=data, content_type="application/json", **headers)

    def start_session(self, identity: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post("session", {"identity": identity} if identity else {})
        assert response.status_code in (200, 201), response.content
        payload: dict[str, Any] = response.json()
        self.token = payload.get("token", self.token)
        return payload

    def chat(self, text: str, *, start: bool = False, **fields: Any) -> HttpResponse:
        if not self.token:
            self.start_session()
        body = {"id": str(uuid.uuid4()), "text": text, **fields}
        return self.post("chat_start" if start else "chat_send", body)

    def poll(self, after: int = 0) -> dict[str, Any]:
        response = self.post("chat_poll", {"after": after})
        assert response.status_code == 200, response.content
        payload: dict[str, Any] = response.json()
        return payload
