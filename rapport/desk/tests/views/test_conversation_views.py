"""The conversation page: thread, composer, macros, header controls, presence, downloads, merge and split."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.commerce.tests.factories import OrderFactory, ShipmentFactory
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import (
    Attachment,
    Conversation,
    DeskSettings,
    Macro,
    Message,
    MessageKind,
    Status,
    Viewer,
)
from rapport.desk.services.conversations import AttachmentInput, add_note, receive_message, reply
from rapport.desk.services.presence import touch_viewer
from rapport.desk.tests.factories import MacroFactory, TeamDeskFactory, a_conversation

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(conversation: Conversation) -> str:
    return reverse("desk:conversation", args=[conversation.pk])


def _url(name: str, conversation: Conversation, *args: object) -> str:
    return reverse(f"desk:{name}", args=[conversation.pk, *args])


def _seen_marker(html: str) -> str:
    found = re.search(r'name="seen_inbound_at" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _private_conversation() -> tuple[Conversation, Client]:
    """A conversation of a private team, and a signed-in agent of another team (the outsider)."""
    team = TeamFactory()
    TeamDeskFactory(team=team, is_private=True)
    member = Actor(user=UserFactory(role=Role.AGENT, team=team))
    conversation = a_conversation(actor=member, team=team)
    return conversation, _signed_in(UserFactory(role=Role.AGENT, team=TeamFactory()))


def _blob_files() -> list[Path]:
    return [path for path in Path(settings.RAPPORT_ATTACHMENTS_DIR).rglob("*") if path.is_file()]


# Who may see what


def test_signed_out_visitor_is_sent_to_sign_in() -> None:
    conversation = a_conversation()

    response = Client().get(_page(conversation))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_agent_of_another_team_finds_nothing_of_a_private_teams_conversation() -> None:
    conversation, outsider = _private_conversation()
    message = conversation.messages.get()
    attachment = Attachment.objects.create(
        message=message, filename="x.txt", content_type="text/plain", size=1, sha256="0" * 64
    )

    assert outsider.get(_page(conversation)).status_code == 404
    assert outsider.post(_url("conversation_presence", conversation)).status_code == 404
    assert outsider.get(reverse("desk:attachment", args=[attachment.pk])).status_code == 404
    assert (
        outsider.post(_url("conversation_send", conversation), {"kind": "outbound", "body": "hi"}).status_code
        == 404
    )
    assert outsider.post(_url("conversation_status", conversation), {"status": "resolved"}).status_code == 404
    assert not Viewer.objects.exists()
    assert conversation.messages.count() == 1


def test_an_analyst_reads_the_page_without_composer_or_controls() -> None:
    conversation = a_conversation(body_text="My order never came")
    analyst = _signed_in(UserFactory(role=Role.ANALYST))

    response = analyst.get(_page(conversation))

    assert response.status_code == 200
    assert "My order never came" in response.text
    assert 'id="composer"' not in response.text
    assert 'id="status-select"' not in response.text
    assert "You can read this conversation" in response.text


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("conversation_send", {"kind": "outbound", "body": "Hello"}),
        ("conversation_status", {"status": "resolved"}),
        ("conversation_priority", {"priority": "high"}),
        ("conversation_assign", {"assignee": "me"}),
        ("conversation_add_tag", {"name": "vip"}),
    ],
)
def test_an_analyst_cannot_write(name: str, data: dict[str, str]) -> None:
    conversation = a_conversation()
    analyst = _signed_in(UserFactory(role=Role.ANALYST))

    response = analyst.post(_url(name, conversation), data)

    assert response.status_code == 403
    conversation.refresh_from_db()
    assert (conversation.status, conversation.priority, conversation.assignee_id) == ("new", "normal", None)
    assert conversation.messages.count() == 1
    assert conversation.tags.count() == 0


# The thread


def test_thread_shows_inbound_replies_and_notes_apart_with_attachments() -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT, full_name="Maria Lopez"))
    conversation = a_conversation(actor=agent, body_text="Where is my parcel?")
    reply(
        actor=agent,
        conversation=conversation,
        body_text="It left yesterday.",
        attachments=[
            AttachmentInput(filename="label.pdf", content_type="application/pdf", data=b"%PDF" * 512)
        ],
    )
    add_note(actor=agent, conversation=conversation, body_text="Carrier confirmed by phone")

    response = _signed_in(agent.user).get(_page(conversation))

    html = response.text
    assert re.search(r'class="msg inbound".*Where is my parcel\?', html, re.S)
    assert re.search(r'class="msg outbound".*It left yesterday\.', html, re.S)
    assert re.search(r'class="msg note".*Internal note.*Carrier confirmed by phone', html, re.S)
    attachment = Attachment.objects.get()
    assert f'href="{reverse("desk:attachment", args=[attachment.pk])}"' in html
    assert "label.pdf" in html
    assert "2.0\xa0KB" in html


def test_each_message_says_who_wrote_it_and_when_and_only_customer_messages_can_be_split() -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT, full_name="Maria Lopez"))
    conversation = a_conversation(actor=agent, body_text="Where is my parcel?")
    answer = reply(actor=agent, conversation=conversation, body_text="It left yesterday.")
    question = conversation.messages.get(kind=MessageKind.INBOUND)
    Message.objects.filter(pk=question.pk).update(created_at=datetime(2026, 3, 1, 9, 5, 30, tzinfo=UTC))

    html = _signed_in(agent.user).get(_page(conversation)).text

    inbound = html.split(f'id="message-{question.pk}"')[1].split("</li>")[0]
    outbound = html.split(f'id="message-{answer.pk}"')[1].split("</li>")[0]
    assert '<time datetime="2026-03-01T09:05:30+00:00" class="muted small">2026-03-01 09:05</time>' in inbound
    assert f'action="{reverse("desk:message_split", args=[question.pk])}"' in inbound
    assert '<strong>Maria Lopez</strong> <span class="msg-kind">replied</span>' in outbound
    assert "Split into new conversation" not in outbound


def test_script_and_event_handlers_in_a_customers_html_are_shown_inert() -> None:
    conversation = a_conversation()
    receive_message(
        conversation=conversation,
        body_html='<p>Hello <b>there</b></p><script>alert("x")</script>'
        '<img src="/x.png" onerror="alert(1)"><a href="javascript:alert(2)">link</a>',
    )

    response = _signed_in(UserFactory(role=Role.AGENT)).get(_page(conversation))

    html = response.text
    assert "<p>Hello <b>there</b></p>" in html
    assert "onerror" not in html
    assert "alert(" not in html
    assert "javascript:" not in html
    assert "Content-Security-Policy" in response.headers


def test_markup_typed_as_plain_text_is_shown_as_text() -> None:
    conversation = a_conversation(body_text="I typed <script>alert(1)</script>\nsecond line")

    response = _signed_in(UserFactory(role=Role.AGENT)).get(_page(conversation))

    assert "I typed &lt;script&gt;alert(1)&lt;/script&gt;<br>second line" in response.text


def test_status_and_assignment_events_appear_in_the_thread() -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    conversation = a_conversation(actor=agent)
    reply(actor=agent, conversation=conversation, body_text="On it", then_status=Status.PENDING)

    response = _signed_in(agent.user).get(_page(conversation))

    assert "Status: new → pending on customer" in response.text


def test_page_queries_do_not_grow_with_the_thread() -> None:
    def count_for(messages: int) -> int:
        agent = Actor(user=UserFactory(role=Role.AGENT))
        customer = CustomerFactory()
        for _ in range(3):
            ShipmentFactory(order=OrderFactory(customer=customer))
        a_conversation(actor=agent, customer=customer)
        conversation = a_conversation(actor=agent, customer=customer)
        for n in range(messages - 1):
            attachment = AttachmentInput(
                filename=f"f{n}.txt", content_type="text/plain", data=f"{n}".encode()
            )
            if n % 2:
                reply(
                    actor=agent, conversation=conversation, body_text=f"reply {n}", attachments=[attachment]
                )
            else:
                receive_message(conversation=conversation, body_text=f"inbound {n}", attachments=[attachment])
        MacroFactory()
        client = _signed_in(agent.user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_page(conversation))
        assert response.status_code == 200
        return len(queries)

    few, many = count_for(3), count_for(30)

    assert few == many
    assert many <= 25


def test_a_closed_conversation_has_no_composer() -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    conversation = a_conversation(actor=agent)
    client = _signed_in(agent.user)
    client.post(_url("conversation_status", conversation), {"status": "resolved"})
    client.post(_url("conversation_status", conversation), {"status": "closed"})

    response = client.get(_page(conversation))

    assert 'id="composer"' not in response.text
    assert "This conversation is closed." in response.text


def test_a_merged_away_conversation_sends_you_to_the_survivor() -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    customer = CustomerFactory()
    source = a_conversation(actor=agent, customer=customer)
    target = a_conversation(actor=agent, customer=customer)
    client = _signed_in(agent.user)
    client.post(_url("conversation_merge", source), {"target": target.pk})

    response = client.get(_page(source))

    assert response.status_code == 302
    assert response["Location"] == _page(target)


# The composer


def test_an_agent_replies_and_resolves_in_one_step() -> None:
    agent = UserFactory(role=Role.AGENT)
    conversation = a_conversation()
    client = _signed_in(agent)
    seen = _seen_marker(client.get(_page(conversation)).text)

    response = client.post(
        _url("conversation_send", conversation),
        {"kind": "outbound", "body": "Refund sent.", "then_status": "resolved", "seen_inbound_at": seen},
    )

    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == Status.RESOLVED
    sent = conversation.messages.get(kind=MessageKind.OUTBOUND)
    assert (sent.body_text, sent.author) == ("Refund sent.", agent)
    assert "Reply sent." in client.get(_page(conversation)).text


def test_a_reply_by_htmx_comes_back_as_a_fresh_composer_with_the_thread_and_header() -> None:
    conversation = a_conversation()
    client = _signed_in(UserFactory(role=Role.AGENT))
    seen = _seen_marker(client.get(_page(conversation)).text)

    response = client.post(
        _url("conversation_send", conversation),
        {"kind": "outbound", "body": "Parcel found!", "then_status": "pending", "seen_inbound_at": seen},
        **HX,
    )

    assert response.status_code == 200
    html = response.text
    assert "<html" not in html
    assert 'id="thread" aria-label="Conversation" hx-swap-oob="true"' in html
    assert "Parcel found!" in html
    assert 'id="conv-header" hx-swap-oob="true"' in html
    assert "Pending on customer" in html
    assert re.search(r'<textarea[^>]*id="composer-body"[^>]*>\s*</textarea>', html)


def test_an_internal_note_is_not_a_reply() -> None:
    conversation = a_conversation()
    client = _signed_in(UserFactory(role=Role.AGENT))

    response = client.post(_url("conversation_send", conversation), {"kind": "note", "body": "VIP, be nice"})

    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.messages.get(kind=MessageKind.NOTE).body_text == "VIP, be nice"
    assert conversation.first_response_at is None


def test_a_note_with_a_status_button_is_refused() -> None:
    conversation = a_conversation()
    client = _signed_in(UserFactory(role=Role.AGENT))

    response = client.post(
        _url("conversation_send", conversation), {"kind": "note", "body": "x", "then_status": "resolved"}
    )

    assert response.status_code == 422
    assert "A note does not change the status" in response.text
    assert conversation.messages.count() == 1


def test_an_empty_reply_keeps_nothing_and_says_why() -> None:
    conversation = a_conversation()

    response = _signed_in(UserFactory(role=Role.AGENT)).post(
        _url("conversation_send", conversation), {"kind": "outbound", "body": "   "}
    )

    assert response.status_code == 422
    assert "The reply is empty." in response.text
    assert conversation.messages.count() == 1


def test_attachments_are_uploaded_with_the_reply() -> None:
    conversation = a_conversation()
    client = _signed_in(UserFactory(role=Role.AGENT))

    client.post(
        _url("conversation_send", conversation),
        {
            "kind": "outbound",
            "body": "Here are the documents",
            "attachments": [
                SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 invoice", content_type="application/pdf"),
                SimpleUploadedFile("photo.png", b"\x89PNG fake", content_type="image/png"),
            ],
        },
    )

    sent = conversation.messages.get(kind=MessageKind.OUTBOUND)
    assert sorted((a.filename, a.size) for a in sent.attachments.all()) == [
        ("invoice.pdf", 16),
        ("photo.png", 9),
    ]


def test_an_oversized_attachment_is_refused_with_nothing_written() -> None:
    DeskSettings.objects.update_or_create(pk=1, defaults={"max_attachment_bytes": 1024})
    conversation = a_conversation()
    client = _signed_in(UserFactory(role=Role.AGENT))

    response = client.post(
        _url("conversation_send", conversation),
        {
            "kind": "outbound",
            "body": "My carefully written draft",
            "attachments": [
                SimpleUploadedFile("small.txt", b"ok", content_type="text/plain"),
                SimpleUploadedFile("huge.bin", b"x" * 5000, content_type="application/octet-stream"),
            ],
        },
    )

    assert response.status_code == 422
    assert (
        "Too large to attach: huge.bin (4.9 KB). Files may be at most 1.0 KB. Nothing was sent."
        in response.text
    )
    assert "My carefully written draft</textarea>" in response.text
    assert conversation.messages.count() == 1
    assert not Attachment.objects.exists()
    assert _blob_files() == []


def test_an_oversized_attachment_by_htmx_keeps_the_composer_and_shows_the_notice() -> None:
    DeskSettings.objects.update_or_create(pk=1, defaults={"max_attachment_bytes": 10})
    conversation = a_conversation()

    response = _signed_in(UserFactory(role=Role.AGENT)).post(
        _url("conversation_send", conversation),
        {"kind": "outbound", "body": "draft", "attachments": [SimpleUploadedFile("a.bin", b"x" * 50)]},
        **HX,
    )

    assert response.status_code == 422
    assert response["HX-Reswap"] == "none"
    assert '<div id="composer-guard" hx-swap-oob="true">' in response.text
    assert "Too large to attach" in response.text
    assert 'id="composer"' not in response.text


def test_a_reply_over_a_newer_customer_message_asks_first_and_keeps_the_draft() -> None:
    conversation = a_conversation(body_text="Where is my parcel?")
    client = _signed_in(UserFactory(role=Role.AGENT))
    seen = _seen_marker(client.get(_page(conversation)).text)
    receive_message(conversation=conversation, body_text="Never mind, it just arrived!")

    response = client.post(
        _url("conversation_send", conversation),
        {
            "kind": "outbound",
            "body": "We are looking into it",
            "then_status": "pending",
            "seen_inbound_at": seen,
        },
    )

    assert response.status_code == 409
    html = response.text
    assert "Never mind, it just arrived!" in html
    assert "The customer wrote again while you were writing" in html
    assert "We are looking into it</textarea>" in html
    assert re.search(
        r'<button type="submit" name="then_status" value="pending"[^>]*>Send anyway</button>', html
    )
    assert not conversation.messages.filter(kind=MessageKind.OUTBOUND).exists()

    # "Send anyway" sends the same form, now marked as having seen the new message.
    again = client.post(
        _url("conversation_send", conversation),
        {
            "kind": "outbound",
            "body": "We are looking into it",
            "then_status": "pending",
            "seen_inbound_at": _seen_marker(html),
        },
    )

    assert again.status_code == 302
    conversation.refresh_from_db()
    assert conversation.messages.get(kind=MessageKind.OUTBOUND).body_text == "We are looking into it"
    assert conversation.status == Status.PENDING


def test_the_newer_message_conflict_by_htmx_swaps_only_the_thread_and_the_notice() -> None:
    conversation = a_conversation()
    client = _signed_in(UserFactory(role=Role.AGENT))
    seen = _seen_marker(client.get(_page(conversation)).text)
    receive_message(conversation=conversation, body_text="Hello again")

    response = client.post(
        _url("conversation_send", conversation),
        {"kind": "outbound", "body": "draft", "seen_inbound_at": seen},
        **HX,
    )

    assert response.status_code == 409
    assert response["HX-Reswap"] == "none"
    html = response.text
    assert 'id="thread" aria-label="Conversation" hx-swap-oob="true"' in html
    assert "Hello again" in html
    assert "Send anyway" in html
    assert _seen_marker(html) != seen
    # The form itself (the draft and the chosen files) is left alone in the browser.
    assert 'id="composer"' not in html


def test_the_first_customer_message_on_a_conversation_the_agent_opened_also_asks_first() -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    conversation = a_conversation(actor=agent, first_message=MessageKind.OUTBOUND, body_text="We noticed…")
    client = _signed_in(agent.user)
    seen = _seen_marker(client.get(_page(conversation)).text)
    receive_message(conversation=conversation, body_text="Oh, thanks")

    response = client.post(
        _url("conversation_send", conversation), {"kind": "outbound", "body": "x", "seen_inbound_at": seen}
    )

    assert response.status_code == 409


# Macros


def test_picking_a_macro_without_javascript_fills_the_composer() -> None:
    agent = UserFactory(role=Role.AGENT, full_name="Maria Lopez")
    conversation = a_conversation(customer=CustomerFactory(name="Dorothy Vaughan"))
    macro = MacroFactory(
        name="Greeting",
        body="Hi {{ customer.first_name }}, {{ agent.first_name }} here.",
        actions={"status": "pending"},
    )

    response = _signed_in(agent).get(_page(conversation), {"macro": macro.pk})

    assert "Hi Dorothy, Maria here.</textarea>" in response.text
    assert f'<input type="hidden" name="macro" value="{macro.pk}">' in response.text
    assert "when sent it will set status to pending on customer" in response.text


def test_the_macro_endpoint_returns_the_rendered_text_for_the_draft() -> None:
    conversation = a_conversation(customer=CustomerFactory(name="Dorothy Vaughan"))
    macro = MacroFactory(body="Hi {{ customer.first_name }} {{ order.number }}")

    response = _signed_in(UserFactory(role=Role.AGENT)).get(
        _url("conversation_macro", conversation, macro.pk), **HX
    )

    assert response.status_code == 200
    assert "data-macro-text>Hi Dorothy {{ order.number }}</textarea>" in response.text
    assert "Fill in by hand before sending: <code>{{ order.number }}</code>" in response.text


def test_another_teams_macro_cannot_be_used() -> None:
    conversation = a_conversation()
    macro = MacroFactory(team=TeamFactory())

    response = _signed_in(UserFactory(role=Role.AGENT, team=TeamFactory())).get(
        _url("conversation_macro", conversation, macro.pk), **HX
    )

    assert response.status_code == 404


def test_a_macros_actions_run_when_the_reply_is_sent() -> None:
    conversation = a_conversation()
    macro = MacroFactory(body="Refund issued.", actions={"status": "resolved", "add_tags": ["refund"]})
    client = _signed_in(UserFactory(role=Role.AGENT))
    client.get(_page(conversation), {"macro": macro.pk})
    conversation.refresh_from_db()
    assert conversation.status == Status.NEW

    client.post(
        _url("conversation_send", conversation),
        {"kind": "outbound", "body": "Refund issued.", "macro": macro.pk},
    )

    conversation.refresh_from_db()
    assert conversation.status == Status.RESOLVED
    assert [tag.name for tag in conversation.tags.all()] == ["refund"]
    assert Macro.objects.get(pk=macro.pk).usage_count == 1


def test_an_actions_only_macro_applies_at_once() -> None:
    conversation = a_conversation()
    macro = MacroFactory(name="Escalate", body="", actions={"priority": "urgent", "add_tags": ["escalated"]})
    client = _signed_in(UserFactory(role=Role.AGENT))

    response = client.post(_url("conversation_apply_macro", conversation, macro.pk), **HX)

    assert response.status_code == 200
    assert "Urgent priority" in response.text
    conversation.refresh_from_db()
    assert conversation.priority == "urgent"


def test_a_refused_macro_action_shows_why_and_changes_nothing() -> None:
    conversation = a_conversation()
    macro = MacroFactory(body="", actions={"priority": "urgent", "assign": UserFactory(role=Role.AGENT).pk})

    response = _signed_in(UserFactory(role=Role.AGENT)).post(
        _url("conversation_apply_macro", conversation, macro.pk), **HX
    )

    assert response.status_code == 403
    assert "Only a lead can reassign a conversation." in response.text
    conversation.refresh_from_db()
    assert conversation.priority == "normal"


# Header controls


def test_status_changes_in_place() -> None:
    conversation = a_conversation()

    response = _signed_in(UserFactory(role=Role.AGENT)).post(
        _url("conversation_status", conversation), {"status": "pending"}, **HX
    )

    assert response.status_code == 200
    assert '<span class="conv-status pending">Pending on customer</span>' in response.text
    conversation.refresh_from_db()
    assert conversation.status == Status.PENDING


def test_an_invalid_transition_is_explained_and_nothing_changes() -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    conversation = a_conversation(actor=agent)
    client = _signed_in(agent.user)
    client.post(_url("conversation_status", conversation), {"status": "resolved"})
    client.post(_url("conversation_status", conversation), {"status": "closed"})

    response = client.post(_url("conversation_status", conversation), {"status": "pending"}, **HX)

    assert response.status_code == 422
    assert "A closed conversation cannot become pending on customer." in response.text
    conversation.refresh_from_db()
    assert conversation.status == Status.CLOSED


def test_snoozing_needs_a_time_in_the_future() -> None:
    conversation = a_conversation()
    client = _signed_in(UserFactory(role=Role.AGENT))

    refused = client.post(_url("conversation_status", conversation), {"status": "snoozed"}, **HX)
    snoozed = client.post(
        _url("conversation_status", conversation), {"status": "snoozed", "snoozed_until": "2999-01-01T09:00"}
    )

    assert refused.status_code == 422
    assert "Snooze until a time in the future." in refused.text
    assert snoozed.status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == Status.SNOOZED


def test_without_htmx_a_control_redirects_back_with_a_message() -> None:
    conversation = a_conversation()
    client = _signed_in(UserFactory(role=Role.AGENT))

    response = client.post(_url("conversation_priority", conversation), {"priority": "high"}, follow=True)

    assert response.redirect_chain == [(_page(conversation), 302)]
    assert "Priority changed." in response.text
    assert "High priority" in response.text


def test_an_agent_takes_an_unassigned_conversation_but_cannot_give_it_to_someone_else() -> None:
    conversation = a_conversation()
    agent = UserFactory(role=Role.AGENT)
    colleague = UserFactory(role=Role.AGENT)
    client = _signed_in(agent)

    refused = client.post(_url("conversation_assign", conversation), {"assignee": colleague.pk}, **HX)
    taken = client.post(_url("conversation_assign", conversation), {"assignee": "me"}, **HX)

    assert refused.status_code == 403
    assert taken.status_code == 200
    conversation.refresh_from_db()
    assert conversation.assignee == agent


def test_a_lead_assigns_a_colleague() -> None:
    conversation = a_conversation()
    colleague = UserFactory(role=Role.AGENT, full_name="Sam Jones")

    response = _signed_in(UserFactory(role=Role.LEAD)).post(
        _url("conversation_assign", conversation), {"assignee": colleague.pk}, **HX
    )

    assert response.status_code == 200
    assert "Assigned to Sam Jones (assigned by hand)" in response.text
    conversation.refresh_from_db()
    assert conversation.assignee == colleague


def test_a_lead_picks_the_assignee_from_the_staff_with_the_current_one_chosen() -> None:
    colleague = UserFactory(role=Role.AGENT, full_name="Sam <Jones>")
    UserFactory(role=Role.ANALYST, full_name="Ann Alyst")
    conversation = a_conversation()
    Conversation.objects.filter(pk=conversation.pk).update(assignee=colleague)

    html = _signed_in(UserFactory(role=Role.LEAD)).get(_page(conversation)).text

    picker = html.split('id="assignee-select"')[1].split("</select>")[0]
    assert f'<option value="{colleague.pk}" selected>Sam &lt;Jones&gt;</option>' in picker
    assert picker.count(" selected") == 1
    assert "Ann Alyst" not in picker


def test_tags_are_added_and_removed() -> None:
    conversation = a_conversation()
    client = _signed_in(UserFactory(role=Role.AGENT))

    client.post(_url("conversation_add_tag", conversation), {"name": "Refund"}, **HX)
    assert [t.name for t in conversation.tags.all()] == ["refund"]
    response = client.post(_url("conversation_remove_tag", conversation, "refund"), **HX)

    assert response.status_code == 200
    assert conversation.tags.count() == 0


# Presence


def test_the_presence_ping_says_who_else_is_here() -> None:
    conversation = a_conversation()
    maria = Actor(user=UserFactory(role=Role.AGENT, full_name="Maria Lopez"))
    sam = Actor(user=UserFactory(role=Role.AGENT, full_name="Sam Jones"))
    touch_viewer(actor=maria, conversation=conversation, typing=True)
    touch_viewer(actor=sam, conversation=conversation)
    me = UserFactory(role=Role.AGENT)

    response = _signed_in(me).post(_url("conversation_presence", conversation), **HX)

    assert response.status_code == 200
    assert "Maria Lopez is typing a reply" in response.text
    assert "Sam Jones is viewing" in response.text
    assert Viewer.objects.filter(conversation=conversation, user=me).exists()


def test_typing_pings_are_seen_by_others() -> None:
    conversation = a_conversation()
    maria = UserFactory(role=Role.AGENT, full_name="Maria Lopez")
    _signed_in(maria).post(_url("conversation_presence", conversation), {"typing": "1"}, **HX)

    response = _signed_in(UserFactory(role=Role.AGENT)).get(_page(conversation))

    assert "Maria Lopez is typing a reply" in response.text


def test_leaving_takes_you_off_the_warning() -> None:
    conversation = a_conversation()
    maria = UserFactory(role=Role.AGENT)
    client = _signed_in(maria)
    client.post(_url("conversation_presence", conversation))

    response = client.post(_url("conversation_leave", conversation))

    assert response.status_code == 204
    assert not Viewer.objects.exists()


# Attachment downloads


@pytest.mark.parametrize(
    ("declared", "served"),
    [
        ("application/pdf", "application/pdf"),
        ("image/png", "image/png"),
        ("text/plain; charset=utf-8", "text/plain"),
        ("text/html", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),
        ("application/xhtml+xml", "application/octet-stream"),
        ("text/xml", "application/octet-stream"),
        ("application/javascript", "application/octet-stream"),
        ("TEXT/HTML", "application/octet-stream"),
        ("", "application/octet-stream"),
    ],
)
def test_attachments_download_as_files_with_a_safe_type(declared: str, served: str) -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    conversation = a_conversation(actor=agent)
    receive_message(
        conversation=conversation,
        body_text="see attached",
        attachments=[AttachmentInput(filename="file.dat", content_type=declared, data=b"<script>x</script>")],
    )
    attachment = Attachment.objects.get()

    response = _signed_in(agent.user).get(reverse("desk:attachment", args=[attachment.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == served
    assert response["Content-Disposition"] == 'attachment; filename="file.dat"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.getvalue() == b"<script>x</script>"


def test_a_download_keeps_a_non_ascii_file_name() -> None:
    conversation = a_conversation(
        attachments=[AttachmentInput(filename="résumé.pdf", content_type="application/pdf", data=b"%PDF")]
    )

    response = _signed_in(UserFactory(role=Role.AGENT)).get(
        reverse("desk:attachment", args=[Attachment.objects.get(message__conversation=conversation).pk])
    )

    assert response["Content-Disposition"] == "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf"


def test_an_analyst_may_download_an_attachment() -> None:
    conversation = a_conversation()
    receive_message(
        conversation=conversation,
        body_text="x",
        attachments=[AttachmentInput(filename="a.txt", content_type="text/plain", data=b"a")],
    )

    response = _signed_in(UserFactory(role=Role.ANALYST)).get(
        reverse("desk:attachment", args=[Attachment.objects.get().pk])
    )

    assert response.status_code == 200


def test_an_attachment_whose_file_is_gone_is_not_found() -> None:
    conversation = a_conversation()
    message = conversation.messages.get()
    attachment = Attachment.objects.create(
        message=message, filename="x.txt", content_type="text/plain", size=1, sha256="a" * 64
    )

    response = _signed_in(UserFactory(role=Role.AGENT)).get(reverse("desk:attachment", args=[attachment.pk]))

    assert response.status_code == 404


# Customer panel, merge and split


def test_the_customer_panel_shows_orders_previous_conversations_and_notes() -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    customer = CustomerFactory(name="Dorothy Vaughan")
    ShipmentFactory(
        order=OrderFactory(customer=customer, number="R-555"), status="in_transit", tracking_number="JD77"
    )
    earlier = a_conversation(actor=agent, customer=customer, subject="Earlier question")
    conversation = a_conversation(actor=agent, customer=customer)
    from rapport.customers.services import add_note as add_customer_note

    add_customer_note(actor=agent, customer=customer, body="Prefers email")

    response = _signed_in(agent.user).get(_page(conversation))

    html = response.text
    assert reverse("customers:detail", args=[customer.pk]) in html
    assert "R-555" in html
    assert "In transit" in html
    assert "JD77" in html
    assert f"#{earlier.pk} Earlier question" in html
    assert f"Merge into #{earlier.pk}…" in html
    assert "Prefers email" in html


def test_merging_into_a_previous_conversation_moves_the_messages_there() -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    customer = CustomerFactory()
    target = a_conversation(actor=agent, customer=customer, body_text="First question")
    source = a_conversation(actor=agent, customer=customer, body_text="Second question")

    response = _signed_in(agent.user).post(_url("conversation_merge", source), {"target": target.pk})

    assert response.status_code == 302
    assert response["Location"] == _page(target)
    assert sorted(target.messages.values_list("body_text", flat=True)) == [
        "First question",
        "Second question",
    ]
    source.refresh_from_db()
    assert source.merged_into == target


def test_merging_into_another_customers_conversation_is_refused() -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    source, other = a_conversation(actor=agent), a_conversation(actor=agent)
    client = _signed_in(agent.user)

    response = client.post(_url("conversation_merge", source), {"target": other.pk}, follow=True)

    assert "Only conversations of the same customer can be merged." in response.text
    source.refresh_from_db()
    assert source.merged_into is None


def test_splitting_a_message_opens_a_new_conversation() -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    conversation = a_conversation(actor=agent, body_text="Where is my parcel?")
    other = receive_message(conversation=conversation, body_text="Also, can I change my address?")
    client = _signed_in(agent.user)
    assert "Split into new conversation" in client.get(_page(conversation)).text

    response = client.post(reverse("desk:message_split", args=[other.pk]))

    other.refresh_from_db()
    assert other.conversation_id != conversation.pk
    assert response["Location"] == reverse("desk:conversation", args=[other.conversation_id])


def test_an_outsider_cannot_split_a_private_teams_message() -> None:
    conversation, outsider = _private_conversation()
    message = receive_message(conversation=conversation, body_text="second")

    response = outsider.post(reverse("desk:message_split", args=[message.pk]))

    assert response.status_code == 404
    assert Message.objects.get(pk=message.pk).conversation_id == conversation.pk
