"""Live conversations (a chat): the page pings every second and gets new messages and the customer typing."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.desk import live
from rapport.desk.models import Conversation, Status
from rapport.desk.services.conversations import change_status, receive_message
from rapport.desk.tests.factories import a_conversation

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def typing_customers(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    """A live "chat" channel whose customers type in the conversations listed in the returned set."""
    typing: set[int] = set()
    monkeypatch.setitem(live._READERS, "chat", lambda conversation: conversation.pk in typing)
    return typing


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ping(client: Client, conversation: Conversation, **data: str) -> str:
    response = client.post(reverse("desk:conversation_presence", args=[conversation.pk]), data, **HX)
    assert response.status_code == 200
    return response.text


def test_a_chat_page_pings_every_second_and_an_email_page_every_ten(typing_customers: set[int]) -> None:
    agent = _signed_in(UserFactory(role=Role.AGENT))
    chat, email = a_conversation(channel="chat"), a_conversation(channel="email")

    chat_page = agent.get(reverse("desk:conversation", args=[chat.pk])).text
    email_page = agent.get(reverse("desk:conversation", args=[email.pk])).text

    assert 'hx-trigger="load, every 1s"' in chat_page
    assert 'hx-trigger="load, every 10s"' in email_page
    assert 'data-message-count="1"' in chat_page


def test_the_ping_says_when_the_customer_is_typing(typing_customers: set[int]) -> None:
    conversation = a_conversation(channel="chat")
    agent = _signed_in(UserFactory(role=Role.AGENT))

    quiet = _ping(agent, conversation, shown="1")
    typing_customers.add(conversation.pk)
    typing = _ping(agent, conversation, shown="1")

    assert "is typing…" not in quiet
    assert f"{conversation.customer} is typing…" in typing


def test_a_new_message_comes_with_the_ping_as_the_thread_and_the_composer_guard(
    typing_customers: set[int],
) -> None:
    conversation = a_conversation(channel="chat", body_text="Hello")
    agent = _signed_in(UserFactory(role=Role.AGENT))

    unchanged = _ping(agent, conversation, shown="1")
    receive_message(conversation=conversation, body_text="Are you there?")
    changed = _ping(agent, conversation, shown="1")

    assert 'id="thread"' not in unchanged
    assert re.search(
        r'<ol class="thread" data-message-count="2" id="thread"[^>]*hx-swap-oob="true">', changed
    )
    assert "Are you there?" in changed
    assert '<div id="composer-guard" hx-swap-oob="true">' in changed


def test_an_analyst_gets_the_thread_without_a_composer_guard(typing_customers: set[int]) -> None:
    conversation = a_conversation(channel="chat")
    receive_message(conversation=conversation, body_text="Are you there?")

    text = _ping(_signed_in(UserFactory(role=Role.ANALYST)), conversation, shown="1")

    assert "Are you there?" in text
    assert "composer-guard" not in text


def test_a_closed_chat_gets_the_thread_without_a_composer_guard(typing_customers: set[int]) -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    conversation = a_conversation(channel="chat")
    change_status(actor=agent, conversation=conversation, status=Status.RESOLVED)
    change_status(actor=agent, conversation=conversation, status=Status.CLOSED)

    text = _ping(_signed_in(agent.user), conversation, shown="0")

    assert 'id="thread"' in text
    assert "composer-guard" not in text


def test_an_email_conversation_never_gets_the_thread_with_its_ping(typing_customers: set[int]) -> None:
    conversation = a_conversation(channel="email")
    receive_message(conversation=conversation, body_text="New mail")

    text = _ping(_signed_in(UserFactory(role=Role.AGENT)), conversation, shown="1")

    assert 'id="thread"' not in text


def test_an_outsider_cannot_ping_a_private_chat(typing_customers: set[int]) -> None:
    from rapport.accounts.tests.factories import TeamFactory
    from rapport.desk.tests.factories import TeamDeskFactory

    team = TeamFactory()
    TeamDeskFactory(team=team, is_private=True)
    conversation = a_conversation(
        actor=Actor(user=UserFactory(role=Role.AGENT, team=team)), team=team, channel="chat"
    )
    outsider = _signed_in(UserFactory(role=Role.AGENT, team=TeamFactory()))

    response = outsider.post(
        reverse("desk:conversation_presence", args=[conversation.pk]), {"shown": "0"}, **HX
    )

    assert response.status_code == 404
