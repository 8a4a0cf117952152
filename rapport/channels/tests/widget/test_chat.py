"""Live chat through the endpoints: the right customer, replies in the poll, typing both ways, privacy."""

from __future__ import annotations

import time
import uuid

import pytest
import time_machine
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.channels.models import ChatSession
from rapport.channels.tests.widget.factories import HostPage, WidgetFactory
from rapport.channels.widget.identity import sign_identity
from rapport.customers.models import Identity
from rapport.customers.services import IdentityInput, create_customer
from rapport.desk.models import Channel, Conversation, MessageKind, Status
from rapport.desk.services.conversations import add_note, change_status, reply
from rapport.desk.services.presence import touch_viewer

pytestmark = pytest.mark.django_db


def _agent() -> Actor:
    return Actor(user=UserFactory(role=Role.AGENT, full_name="Maria Lopez"))


def test_chat_start_with_an_email_opens_a_chat_conversation_on_that_customer() -> None:
    ada = create_customer(
        actor=None, name="Ada", identities=[IdentityInput(kind="email", value="ada@example.com")]
    )
    page = HostPage(WidgetFactory())

    response = page.chat("My parcel is late", start=True, name="Ada L.", email="ADA@example.com")

    assert response.status_code == 202
    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.customer_id) == (Channel.CHAT, ada.pk)
    message = response.json()["message"]
    assert message == {
        "id": conversation.messages.get().pk,
        "from": "visitor",
        "author": "",
        "text": "My parcel is late",
        "at": message["at"],
        "client_id": message["client_id"],
    }
    assert ChatSession.objects.get().conversation == conversation


def test_an_anonymous_chat_gets_a_customer_of_its_own_and_keeps_it() -> None:
    page = HostPage(WidgetFactory())

    page.chat("Hello", start=True)
    conversation = Conversation.objects.get()
    change_status(actor=_agent(), conversation=conversation, status=Status.RESOLVED)
    change_status(actor=_agent(), conversation=conversation, status=Status.CLOSED)
    page.chat("Me again", start=True)

    first, second = Conversation.objects.order_by("pk")
    assert first.customer.name == "Web visitor"
    assert second.customer_id == first.customer_id
    assert Identity.objects.count() == 0


def test_messages_continue_the_open_chat_and_the_visitor_sees_both_sides_in_the_poll() -> None:
    page = HostPage(WidgetFactory())
    page.chat("Hi", start=True)
    conversation = Conversation.objects.get()
    agent = _agent()

    reply(actor=agent, conversation=conversation, body_text="Hello! How can I help?")
    add_note(actor=agent, conversation=conversation, body_text="Internal: VIP customer")
    page.chat("Where is order R-1?")
    polled = page.poll()

    assert [(m["from"], m["author"], m["text"]) for m in polled["messages"]] == [
        ("visitor", "", "Hi"),
        ("agent", "Maria", "Hello! How can I help?"),
        ("visitor", "", "Where is order R-1?"),
    ]
    assert polled["cursor"] == polled["messages"][-1]["id"]
    assert polled["chat_open"] is True
    assert page.poll(after=polled["cursor"])["messages"] == []
    assert conversation.messages.count() == 4


def test_an_agent_reply_reaches_the_poll_and_is_then_shown_seen_on_the_thread() -> None:
    page = HostPage(WidgetFactory())
    page.chat("Hi", start=True)
    cursor = page.poll()["cursor"]
    conversation = Conversation.objects.get()

    answer = reply(actor=_agent(), conversation=conversation, body_text="On its way!")
    from rapport.desk.outbound import delivery_states

    waiting = delivery_states([answer])[answer.pk].label
    polled = page.poll(after=cursor)
    seen = delivery_states([answer])[answer.pk].label

    assert [m["text"] for m in polled["messages"]] == ["On its way!"]
    assert (waiting, seen) == ("Waiting for the visitor", "Seen by the visitor")


def test_the_visitor_sees_the_agent_typing_until_the_reply_arrives() -> None:
    page = HostPage(WidgetFactory())
    page.chat("Hi", start=True)
    conversation = Conversation.objects.get()
    agent = _agent()

    before = page.poll()["agent_typing"]
    touch_viewer(actor=agent, conversation=conversation, typing=True)
    typing = page.poll()["agent_typing"]
    time.sleep(0.01)
    reply(actor=agent, conversation=conversation, body_text="Here you go")
    after = page.poll()["agent_typing"]

    assert (before, typing, after) == (None, "Maria", None)


def test_the_agent_sees_the_visitor_typing_and_it_stops_when_the_message_is_sent() -> None:
    from rapport.desk.live import customer_typing

    page = HostPage(WidgetFactory())
    page.chat("Hi", start=True)
    conversation = Conversation.objects.get()

    assert customer_typing(conversation) is False
    assert page.post("chat_typing", {"typing": True}).status_code == 204
    assert customer_typing(conversation) is True
    page.chat("second thought")
    assert customer_typing(conversation) is False
    page.post("chat_typing", {"typing": True})
    page.post("chat_typing", {"typing": False})
    assert customer_typing(conversation) is False
    page.post("chat_typing", {"typing": True})
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=9)):
        assert customer_typing(conversation) is False


def test_sending_after_the_chat_was_closed_asks_to_start_a_new_one() -> None:
    page = HostPage(WidgetFactory())
    page.chat("Hi", start=True)
    conversation = Conversation.objects.get()
    agent = _agent()
    change_status(actor=agent, conversation=conversation, status=Status.RESOLVED)
    change_status(actor=agent, conversation=conversation, status=Status.CLOSED)

    refused = page.chat("Hello?")
    polled = page.poll()
    restarted = page.chat("Hello again", start=True)

    assert refused.status_code == 409
    assert refused.json()["error"] == "no_chat"
    assert polled["chat_open"] is False
    assert restarted.status_code == 202
    assert Conversation.objects.count() == 2
    assert [m["text"] for m in page.poll()["messages"]] == ["Hi", "Hello again"]


def test_a_resolved_chat_reopens_when_the_visitor_writes_again() -> None:
    page = HostPage(WidgetFactory())
    page.chat("Hi", start=True)
    conversation = Conversation.objects.get()
    change_status(actor=_agent(), conversation=conversation, status=Status.RESOLVED)

    page.chat("One more thing")

    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert conversation.messages.filter(kind=MessageKind.INBOUND).count() == 2


def test_a_visitor_never_reads_another_visitors_chat_by_token_or_by_id() -> None:
    widget = WidgetFactory()
    ada, eve = HostPage(widget), HostPage(widget, remote_addr="198.51.100.66")
    ada.chat("My address is 1 Secret Lane", start=True, email="ada@example.com")
    conversation = Conversation.objects.get()
    reply(actor=_agent(), conversation=conversation, body_text="Thanks Ada, noted.")

    eve.chat("Hi, I'm ada@example.com too", start=True, email="ada@example.com")
    eve_view = eve.poll()
    guessed_token = eve.post("chat_poll", {"after": 0}, token=ada.token[:-1] + "x")
    by_id = eve.post("chat_poll", {"after": 0, "conversation": conversation.pk, "visitor": 1})

    assert [m["text"] for m in eve_view["messages"]] == ["Hi, I'm ada@example.com too"]
    assert guessed_token.status_code == 401
    assert [m["text"] for m in by_id.json()["messages"]] == ["Hi, I'm ada@example.com too"]
    # Both chats are on the customer the address names, as an email from it would be.
    assert {c.customer_id for c in Conversation.objects.all()} == {conversation.customer_id}


def test_a_token_of_one_widget_means_nothing_to_another() -> None:
    shop = HostPage(WidgetFactory())
    shop.chat("Hi", start=True)
    other = HostPage(WidgetFactory(name="Other"))

    response = other.post("chat_poll", {"after": 0}, token=shop.token)

    assert response.status_code == 401


def test_the_session_tells_a_returning_visitor_whether_a_chat_is_open() -> None:
    page = HostPage(WidgetFactory())
    first = page.start_session()
    page.chat("Hi", start=True)

    again = page.post("session").json()

    assert first["visitor"]["chat_open"] is False
    assert again == {
        "visitor": {"name": "", "email": "", "verified": False, "chat_open": True},
        "identity": "none",
    }


def test_a_signed_identity_files_the_chat_on_that_customer_whatever_is_typed() -> None:
    widget = WidgetFactory()
    grace = create_customer(
        actor=None, name="Grace", identities=[IdentityInput(kind="email", value="grace@example.com")]
    )
    expires = int(time.time()) + 3600
    identity = {
        "email": "grace@example.com",
        "expires": expires,
        "signature": sign_identity(secret=widget.identity_secret, email="grace@example.com", expires=expires),
    }
    page = HostPage(widget)

    session = page.start_session(identity)
    page.chat("Hello", start=True, email="mallory@example.com")

    assert session["identity"] == "verified"
    assert session["visitor"]["verified"] is True
    assert Conversation.objects.get().customer == grace
    assert not Identity.objects.filter(value="mallory@example.com").exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"signature": "0" * 64}, "forged"),
        ({"email": "someone.else@example.com"}, "forged"),
        ({"expires": "past"}, "expired"),
        ({"expires": "far"}, "lifetime_too_long"),
        ({"signature": "short"}, "malformed"),
    ],
)
def test_a_forged_or_expired_identity_is_not_believed(change: dict[str, str], expected: str) -> None:
    widget = WidgetFactory()
    now = int(time.time())
    expires = {"past": now - 1, "far": now + 40 * 86400}.get(change.get("expires", ""), now + 3600)
    identity: dict[str, object] = {
        "email": "grace@example.com",
        "expires": expires,
        "signature": sign_identity(secret=widget.identity_secret, email="grace@example.com", expires=expires),
    }
    identity.update({key: value for key, value in change.items() if key != "expires"})
    page = HostPage(widget)

    session = page.start_session(identity)
    page.chat("Hello", start=True)

    assert session["identity"] == expected
    assert session["visitor"]["verified"] is False
    assert Conversation.objects.get().customer.name == "Web visitor"
    assert not Identity.objects.exists()


def test_a_chat_opens_on_the_widgets_team() -> None:
    from rapport.accounts.tests.factories import TeamFactory

    team = TeamFactory(name="Webshop")
    page = HostPage(WidgetFactory(team=team))

    page.chat("Hi", start=True)

    assert Conversation.objects.get().team == team


def test_poll_refuses_a_cursor_that_is_not_a_message_id() -> None:
    page = HostPage(WidgetFactory())
    page.start_session()

    response = page.post("chat_poll", {"after": "x"})

    assert response.status_code == 400
    assert response.json()["field"] == "after"


def test_the_widget_message_id_format_is_the_client_uuid() -> None:
    page = HostPage(WidgetFactory())
    page.start_session()
    client_id = str(uuid.uuid4())

    page.post("chat_start", {"id": client_id, "text": "hi"})

    assert page.poll()["messages"][0]["client_id"] == client_id
