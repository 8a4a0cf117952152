"""The agent's side of a chat: the conversation page's ping shows the visitor typing and new messages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import Role
from rapport.accounts.tests.factories import UserFactory
from rapport.channels.tests.widget.factories import HostPage, WidgetFactory
from rapport.desk.models import Conversation

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def test_the_agent_page_shows_the_visitor_typing_and_their_new_message() -> None:
    visitor = HostPage(WidgetFactory())
    visitor.chat("Hi there", start=True, name="Ada", email="ada@example.com")
    conversation = Conversation.objects.get()
    agent = Client()
    agent.force_login(UserFactory(role=Role.AGENT))
    ping = reverse("desk:conversation_presence", args=[conversation.pk])
    page = agent.get(reverse("desk:conversation", args=[conversation.pk])).text

    visitor.post("chat_typing", {"typing": True})
    typing = agent.post(ping, {"shown": "1"}, **HX).text
    visitor.chat("I need help with a return")
    after = agent.post(ping, {"shown": "1"}, **HX).text

    assert 'hx-trigger="load, every 1s"' in page
    assert "Ada is typing…" in typing
    assert "is typing…" not in after
    assert "I need help with a return" in after
    assert 'data-message-count="2"' in after
