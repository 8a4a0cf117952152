"""Desk API: conversations, messages, notes, status, assignment, tags, attachments, events, merge, search."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.api.tests.conftest import ApiClient, ApiFor, assert_problem
from rapport.commerce.tests.factories import OrderFactory
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk import blobs
from rapport.desk.models import (
    Attachment,
    Conversation,
    ConversationEvent,
    DeskSettings,
    Message,
    MessageKind,
    Status,
)
from rapport.desk.services import conversations as services
from rapport.desk.tests.factories import CustomFieldFactory, MacroFactory, TeamDeskFactory, a_conversation

pytestmark = pytest.mark.django_db


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _attachment(data: bytes = b"%PDF-1.4 receipt", **overrides: Any) -> dict[str, Any]:
    return {
        "filename": "receipt.pdf",
        "content_type": "application/pdf",
        "content_base64": _b64(data),
        **overrides,
    }


def _with_attachment(conversation: Conversation, *, filename: str, content_type: str, data: bytes) -> int:
    message = services.add_note(
        actor=Actor(user=UserFactory(role=Role.AGENT)),
        conversation=conversation,
        body_text="see attached",
        attachments=[services.AttachmentInput(filename=filename, content_type=content_type, data=data)],
    )
    return Attachment.objects.get(message=message).pk


def _state(conversation: Conversation) -> tuple[Any, ...]:
    """What a write could change: a refused write leaves every part of it as it was."""
    conversation.refresh_from_db()
    return (
        conversation.status,
        conversation.priority,
        conversation.subject,
        conversation.assignee_id,
        sorted(conversation.tags.values_list("name", flat=True)),
        Message.objects.filter(conversation=conversation).count(),
        ConversationEvent.objects.filter(conversation=conversation).count(),
        Attachment.objects.count(),
    )


@pytest.fixture
def private_conversation() -> Conversation:
    """A conversation of a private team, assigned to one of its members."""
    team = TeamFactory(name="VIP care")
    TeamDeskFactory(team=team, is_private=True)
    UserFactory(role=Role.AGENT, team=team)
    return a_conversation(team=team, subject="VIP parcel", body_text="my private parcel")


@pytest.fixture
def outsider_api(api_for: ApiFor) -> ApiClient:
    """A lead of another team: every desk scope, but not a member of the private team."""
    return api_for(UserFactory(role=Role.LEAD, team=TeamFactory(name="General")))


# Who may call what


WRITES = [
    ("post", "/conversations/{id}/status", {"status": "open"}),
    ("post", "/conversations/{id}/assignment", {"assignee_id": None}),
    ("post", "/conversations/{id}/tags", {"add": ["vip"]}),
    ("patch", "/conversations/{id}", {"subject": "Changed"}),
    ("post", "/conversations/{id}/replies", {"body_text": "On its way"}),
    ("post", "/conversations/{id}/notes", {"body_text": "Checked the depot"}),
    ("post", "/conversations/{id}/inbound", {"body_text": "Any news?"}),
    ("post", "/conversations/{id}/merge", {"target_id": "{other}"}),
    ("post", "/messages/{message}/split", {}),
    ("post", "/conversations/{id}/macros/{macro}", {}),
]
READS = [
    "/conversations",
    "/conversations/{id}",
    "/conversations/{id}/messages",
    "/conversations/{id}/events",
    "/attachments/{attachment}/download",
    "/desk/events",
    "/search?q=parcel",
    "/macros",
]


def _fill(template: Any, **ids: int) -> Any:
    if isinstance(template, str):
        filled = template.format(**ids)
        return int(filled) if template.startswith("{") and filled.isdigit() else filled
    if isinstance(template, dict):
        return {key: _fill(value, **ids) for key, value in template.items()}
    return template


def _ids(conversation: Conversation) -> dict[str, int]:
    other = a_conversation(customer=conversation.customer, body_text="second thread")
    services.receive_message(conversation=conversation, body_text="one more thing")
    message = Message.objects.filter(conversation=conversation).order_by("-id").first()
    assert message is not None
    attachment = _with_attachment(conversation, filename="a.txt", content_type="text/plain", data=b"hi")
    macro = MacroFactory(actions={"status": "pending", "add_tags": ["macro"]})
    return {
        "id": conversation.pk,
        "other": other.pk,
        "message": message.pk,
        "attachment": attachment,
        "macro": macro.pk,
    }


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_every_desk_write_refuses_a_request_without_credentials(
    anonymous: ApiClient, method: str, path: str, body: dict[str, Any]
) -> None:
    conversation = a_conversation()
    ids = _ids(conversation)
    before = _state(conversation)

    response = anonymous.call(method, _fill(path, **ids), _fill(body, **ids))

    assert_problem(response, 401, "not_authenticated")
    assert _state(conversation) == before


@pytest.mark.parametrize("path", READS)
def test_every_desk_read_refuses_a_request_without_credentials(anonymous: ApiClient, path: str) -> None:
    ids = _ids(a_conversation())

    assert_problem(anonymous.get(_fill(path, **ids)), 401, "not_authenticated")


def test_opening_a_conversation_refuses_a_request_without_credentials(anonymous: ApiClient) -> None:
    customer = CustomerFactory()

    response = anonymous.post("/conversations", {"customer_id": customer.pk, "body_text": "Hello"})

    assert_problem(response, 401, "not_authenticated")
    assert Conversation.objects.count() == 0


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_every_desk_write_needs_the_desk_write_scope(
    api_for: ApiFor, agent_user: User, method: str, path: str, body: dict[str, Any]
) -> None:
    conversation = a_conversation()
    ids = _ids(conversation)
    before = _state(conversation)
    read_only = api_for(agent_user, scopes=["desk:read", "customers:read"])

    response = read_only.call(method, _fill(path, **ids), _fill(body, **ids))

    body_out = assert_problem(response, 403, "permission_denied")
    assert body_out["detail"] == "agent token may not desk work"
    assert _state(conversation) == before


def test_opening_a_conversation_needs_the_desk_write_scope(api_for: ApiFor, agent_user: User) -> None:
    read_only = api_for(agent_user, scopes=["desk:read", "customers:read"])

    response = read_only.post("/conversations", {"customer_id": CustomerFactory().pk, "body_text": "Hello"})

    assert_problem(response, 403, "permission_denied")
    assert Conversation.objects.count() == 0


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_an_analyst_reads_but_cannot_write(
    analyst_api: ApiClient, method: str, path: str, body: dict[str, Any]
) -> None:
    conversation = a_conversation()
    ids = _ids(conversation)
    before = _state(conversation)

    response = analyst_api.call(method, _fill(path, **ids), _fill(body, **ids))

    assert_problem(response, 403, "permission_denied")
    assert _state(conversation) == before
    assert analyst_api.get(f"/conversations/{conversation.pk}").status_code == 200


def test_an_analyst_cannot_open_a_conversation(analyst_api: ApiClient) -> None:
    response = analyst_api.post("/conversations", {"customer_id": CustomerFactory().pk, "body_text": "Hi"})

    assert_problem(response, 403, "permission_denied")
    assert Conversation.objects.count() == 0


@pytest.mark.parametrize("path", READS)
def test_every_desk_read_needs_the_desk_read_scope(api_for: ApiFor, admin_user: User, path: str) -> None:
    ids = _ids(a_conversation(subject="Lost parcel"))
    customers_only = api_for(admin_user, scopes=["customers:read", "customers:write"])

    response = customers_only.get(_fill(path, **ids))

    body = assert_problem(response, 403, "permission_denied")
    assert body["detail"] == "admin token may not desk view"


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_an_outsider_of_a_private_team_gets_404_on_every_write(
    outsider_api: ApiClient,
    private_conversation: Conversation,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    ids = _ids(private_conversation)
    before = _state(private_conversation)

    response = outsider_api.call(method, _fill(path, **ids), _fill(body, **ids))

    assert response.status_code == 404, response.content
    assert response.json()["code"] in {"conversation_not_found", "message_not_found"}
    assert _state(private_conversation) == before


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/conversations/{id}", "conversation_not_found"),
        ("/conversations/{id}/messages", "conversation_not_found"),
        ("/conversations/{id}/events", "conversation_not_found"),
        ("/attachments/{attachment}/download", "attachment_not_found"),
    ],
)
def test_an_outsider_of_a_private_team_gets_404_on_every_read(
    outsider_api: ApiClient, private_conversation: Conversation, path: str, code: str
) -> None:
    ids = _ids(private_conversation)

    assert_problem(outsider_api.get(_fill(path, **ids)), 404, code)


def test_an_outsider_cannot_merge_a_visible_conversation_into_a_private_one(
    outsider_api: ApiClient, private_conversation: Conversation
) -> None:
    visible = a_conversation(customer=private_conversation.customer, body_text="open to all")

    response = outsider_api.post(f"/conversations/{visible.pk}/merge", {"target_id": private_conversation.pk})

    assert_problem(response, 404, "conversation_not_found")
    visible.refresh_from_db()
    assert visible.merged_into_id is None


def test_an_outsider_never_sees_private_conversations_in_lists_search_or_the_event_stream(
    outsider_api: ApiClient, private_conversation: Conversation
) -> None:
    public = a_conversation(subject="Public parcel", body_text="where is my parcel")

    listed = outsider_api.get("/conversations", {"view": "all"}).json()
    found = outsider_api.get("/search", {"q": "parcel"}).json()
    stream = outsider_api.get("/desk/events", {"limit": 500}).json()

    assert [row["id"] for row in listed["items"]] == [public.pk]
    assert listed["count"] == 1
    assert [row["id"] for row in found["items"]] == [public.pk]
    assert {event["conversation_id"] for event in stream["items"]} == {public.pk}


def test_a_member_of_the_private_team_sees_its_conversations(
    api_for: ApiFor, private_conversation: Conversation
) -> None:
    member = User.objects.get(team=private_conversation.team)

    response = api_for(member).get(f"/conversations/{private_conversation.pk}")

    assert response.status_code == 200
    assert response.json()["subject"] == "VIP parcel"


# GET /conversations


def test_list_conversations_pages_most_recent_activity_first(agent_api: ApiClient) -> None:
    first = a_conversation(subject="First")
    second = a_conversation(subject="Second")
    services.receive_message(conversation=first, body_text="hello again")

    page = agent_api.get("/conversations", {"limit": 1})
    rest = agent_api.get("/conversations", {"limit": 1, "offset": 1})

    assert page.status_code == 200
    assert page.json()["count"] == 2
    assert [row["subject"] for row in page.json()["items"]] == ["First"]
    assert [row["id"] for row in rest.json()["items"]] == [second.pk]
    row = page.json()["items"][0]
    assert row["status"] == "new"
    assert row["customer_id"] == first.customer_id
    assert row["customer_name"] == first.customer.name
    assert row["message_count"] == 2
    assert row["sla_state"] == "none"


def test_list_conversations_by_view_and_filters(agent_api: ApiClient) -> None:
    a_conversation(subject="Urgent", priority="urgent", tags=["vip"])
    waiting = a_conversation(subject="Waiting", channel="phone")
    done = a_conversation(subject="Done")
    agent_api.post(f"/conversations/{waiting.pk}/status", {"status": "pending"})
    agent_api.post(f"/conversations/{done.pk}/status", {"status": "resolved"})

    def subjects(**params: Any) -> list[str]:
        response = agent_api.get("/conversations", params)
        assert response.status_code == 200, response.content
        return sorted(row["subject"] for row in response.json()["items"])

    assert subjects() == ["Urgent", "Waiting"]
    assert subjects(view="all") == ["Done", "Urgent", "Waiting"]
    assert subjects(view="all", status=["new", "resolved"]) == ["Done", "Urgent"]
    assert subjects(priority="urgent") == ["Urgent"]
    assert subjects(tag="vip") == ["Urgent"]
    assert subjects(channel="phone") == ["Waiting"]
    assert subjects(unassigned=True) == ["Urgent", "Waiting"]
    assert subjects(view="all", q="done") == ["Done"]
    assert subjects(created_from=timezone.localdate().isoformat()) == ["Urgent", "Waiting"]
    assert subjects(created_to="2000-01-01") == []


def test_list_conversations_reads_a_fixed_number_of_queries(agent_api: ApiClient) -> None:
    def queries_for_a_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert agent_api.get("/conversations", {"view": "all"}).status_code == 200
        return len(queries)

    for _ in range(2):
        a_conversation(tags=["one", "two"])
    queries_for_a_page()  # the token's first use is recorded once
    with_two = queries_for_a_page()
    for _ in range(6):
        a_conversation(tags=["three"], team=TeamFactory())

    assert queries_for_a_page() == with_two


@pytest.mark.parametrize(
    "params",
    [
        {"view": "everything"},
        {"status": "lost"},
        {"sla": "met"},
        {"created_to": "9999-12-31"},
        {"created_from": "0001-01-01"},
    ],
)
def test_list_conversations_refuses_unknown_filter_values(
    agent_api: ApiClient, params: dict[str, str]
) -> None:
    assert_problem(agent_api.get("/conversations", params), 422, "invalid_request")


# POST /conversations


def test_open_conversation_with_everything(agent_api: ApiClient, agent_user: User) -> None:
    customer = CustomerFactory(name="Ada Lovelace")
    order = OrderFactory(customer=customer)
    CustomFieldFactory(key="order_value", kind="number")
    team = TeamFactory()

    response = agent_api.post(
        "/conversations",
        {
            "customer_id": customer.pk,
            "channel": "phone",
            "subject": "Broken mug",
            "body_text": "The mug arrived broken",
            "first_message": "note",
            "priority": "high",
            "tags": ["Damaged", "mugs"],
            "team_id": team.pk,
            "participants": ["Partner@Example.org"],
            "order_ids": [order.pk],
            "custom_fields": {"order_value": 19.5},
            "attachments": [_attachment(b"photo", filename="mug.jpg", content_type="image/jpeg")],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    conversation = Conversation.objects.get()
    assert body["id"] == conversation.pk
    assert body["channel"] == "phone"
    assert body["subject"] == "Broken mug"
    assert body["priority"] == "high"
    assert body["tags"] == ["damaged", "mugs"]
    assert body["team_id"] == team.pk
    assert body["participants"] == ["partner@example.org"]
    assert body["order_ids"] == [order.pk]
    assert body["custom_fields"] == {"order_value": "19.5"}
    assert body["counts"] == {"messages": 1, "inbound": 0, "outbound": 0, "notes": 1, "attachments": 1}
    assert body["created_by_id"] == agent_user.pk
    message = conversation.messages.get()
    assert (message.kind, message.body_text, message.author_id) == (
        "note",
        "The mug arrived broken",
        agent_user.pk,
    )
    assert message.attachments.get().filename == "mug.jpg"
    assert conversation.events.filter(kind="conversation.opened").exists()


def test_open_conversation_defaults_to_an_inbound_message_on_the_api_channel(agent_api: ApiClient) -> None:
    customer = CustomerFactory()

    response = agent_api.post("/conversations", {"customer_id": customer.pk, "body_text": "Where is it?"})

    assert response.status_code == 201
    assert response.json()["channel"] == "api"
    assert response.json()["subject"] == "Where is it?"
    assert Message.objects.get().kind == MessageKind.INBOUND


def test_open_conversation_for_an_unknown_customer_is_404(agent_api: ApiClient) -> None:
    response = agent_api.post("/conversations", {"customer_id": 999_999, "body_text": "Hello"})

    assert_problem(response, 404, "customer_not_found")
    assert Conversation.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"body_text": ""}, "empty_message"),
        ({"subject": "x" * 301}, "subject_too_long"),
        ({"participants": ["not an address"]}, "invalid_email"),
        ({"custom_fields": {"nope": "1"}}, "invalid_custom_fields"),
        ({"order_ids": [999_999]}, "order_not_found"),
        ({"team_id": 999_999}, "team_not_found"),
    ],
)
def test_open_conversation_refuses_bad_input_with_the_services_code(
    agent_api: ApiClient, overrides: dict[str, Any], code: str
) -> None:
    payload = {"customer_id": CustomerFactory().pk, "body_text": "Hello", **overrides}

    assert_problem(agent_api.post("/conversations", payload), 422, code)
    assert Conversation.objects.count() == 0
    assert Message.objects.count() == 0


# GET and PATCH /conversations/{id}


def test_get_conversation_shows_sla_assignment_and_counts(agent_api: ApiClient) -> None:
    conversation = a_conversation(subject="Late parcel")
    services.add_note(
        actor=Actor(user=UserFactory(role=Role.AGENT)), conversation=conversation, body_text="Checking"
    )

    response = agent_api.get(f"/conversations/{conversation.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["subject"] == "Late parcel"
    assert body["counts"] == {"messages": 2, "inbound": 1, "outbound": 0, "notes": 1, "attachments": 0}
    assert body["sla"]["state"] == "none"
    assert body["sla"]["first_response_due_at"] is None
    assert body["assignee_id"] is None
    assert body["assigned_reason"] == ""
    assert body["last_inbound_at"] is not None


def test_get_conversation_that_does_not_exist_is_404(agent_api: ApiClient) -> None:
    assert_problem(agent_api.get("/conversations/999999"), 404, "conversation_not_found")


def test_patch_conversation_changes_only_what_is_sent(agent_api: ApiClient) -> None:
    conversation = a_conversation(subject="Old", priority="normal")
    order = OrderFactory(customer=conversation.customer)
    CustomFieldFactory(key="size", kind="choice", choices=["S", "M"])

    response = agent_api.patch(
        f"/conversations/{conversation.pk}",
        {"subject": "New", "order_ids": [order.pk], "custom_fields": {"size": "M"}, "priority": "urgent"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["subject"], body["priority"], body["order_ids"]) == ("New", "urgent", [order.pk])
    assert body["custom_fields"] == {"size": "M"}
    assert body["participants"] == []
    kinds = list(conversation.events.values_list("kind", flat=True))
    assert "conversation.updated" in kinds
    assert "conversation.priority_changed" in kinds


def test_patch_conversation_refusing_a_field_changes_nothing(agent_api: ApiClient) -> None:
    conversation = a_conversation(subject="Old")
    before = _state(conversation)

    response = agent_api.patch(
        f"/conversations/{conversation.pk}", {"subject": "New", "custom_fields": {"unknown": "x"}}
    )

    assert_problem(response, 422, "invalid_custom_fields")
    assert _state(conversation) == before


def test_patch_conversation_refuses_null_for_a_field_without_null(agent_api: ApiClient) -> None:
    conversation = a_conversation(subject="Old")

    assert_problem(
        agent_api.patch(f"/conversations/{conversation.pk}", {"subject": None}), 422, "invalid_request"
    )


# Status, assignment, tags


def test_change_status_records_an_event(agent_api: ApiClient) -> None:
    conversation = a_conversation()

    response = agent_api.post(f"/conversations/{conversation.pk}/status", {"status": "pending"})

    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    event = conversation.events.get(kind="conversation.status_changed")
    assert (event.data["from"], event.data["to"]) == ("new", "pending")


def test_snooze_needs_a_future_time(agent_api: ApiClient) -> None:
    conversation = a_conversation()
    until = timezone.now() + timedelta(days=1)

    refused = agent_api.post(f"/conversations/{conversation.pk}/status", {"status": "snoozed"})
    snoozed = agent_api.post(
        f"/conversations/{conversation.pk}/status", {"status": "snoozed", "snoozed_until": until.isoformat()}
    )

    assert_problem(refused, 422, "invalid_snooze")
    assert snoozed.status_code == 200
    assert snoozed.json()["snoozed_until"] == until.isoformat()


def test_an_invalid_status_transition_is_refused_and_changes_nothing(agent_api: ApiClient) -> None:
    conversation = a_conversation()
    before = _state(conversation)

    response = agent_api.post(f"/conversations/{conversation.pk}/status", {"status": "closed"})

    body = assert_problem(response, 422, "invalid_transition")
    assert body["detail"] == "a new conversation cannot become closed"
    assert _state(conversation) == before


def test_a_lead_assigns_a_conversation_and_the_reason_is_recorded(lead_api: ApiClient) -> None:
    conversation = a_conversation()
    agent = UserFactory(role=Role.AGENT)

    response = lead_api.post(f"/conversations/{conversation.pk}/assignment", {"assignee_id": agent.pk})

    assert response.status_code == 200
    assert response.json()["assignee_id"] == agent.pk
    assert response.json()["assigned_reason"] == "assigned by hand"
    assert conversation.events.filter(kind="conversation.assigned").count() == 1


def test_an_agent_takes_a_free_conversation_but_cannot_hand_it_to_someone_else(
    agent_api: ApiClient, agent_user: User
) -> None:
    conversation = a_conversation()
    colleague = UserFactory(role=Role.AGENT)

    taken = agent_api.post(f"/conversations/{conversation.pk}/assignment", {"assignee_id": agent_user.pk})
    handed = agent_api.post(f"/conversations/{conversation.pk}/assignment", {"assignee_id": colleague.pk})

    assert taken.json()["assigned_reason"] == "taken by the agent"
    assert_problem(handed, 403, "permission_denied")
    conversation.refresh_from_db()
    assert conversation.assignee_id == agent_user.pk


@pytest.mark.parametrize("assignee", ["analyst", "unknown"])
def test_assigning_to_someone_who_cannot_take_conversations_is_refused(
    lead_api: ApiClient, assignee: str
) -> None:
    conversation = a_conversation()
    user_id = UserFactory(role=Role.ANALYST).pk if assignee == "analyst" else 999_999

    response = lead_api.post(f"/conversations/{conversation.pk}/assignment", {"assignee_id": user_id})

    assert_problem(response, 422, "invalid_assignee")
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_change_tags_adds_and_removes(agent_api: ApiClient) -> None:
    conversation = a_conversation(tags=["late", "mugs"])

    response = agent_api.post(f"/conversations/{conversation.pk}/tags", {"add": ["VIP"], "remove": ["late"]})

    assert response.status_code == 200
    assert response.json()["tags"] == ["mugs", "vip"]
    event = conversation.events.get(kind="conversation.tags_changed")
    assert event.data["added"] == ["vip"]
    assert event.data["removed"] == ["late"]


# Messages


def test_list_messages_oldest_first_with_attachment_download_urls(agent_api: ApiClient) -> None:
    conversation = a_conversation(body_text="first")
    attachment_id = _with_attachment(
        conversation, filename="label.pdf", content_type="application/pdf", data=b"%PDF"
    )

    response = agent_api.get(f"/conversations/{conversation.pk}/messages")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [m["body_text"] for m in body["items"]] == ["first", "see attached"]
    assert [m["kind"] for m in body["items"]] == ["inbound", "note"]
    (attachment,) = body["items"][1]["attachments"]
    assert attachment["id"] == attachment_id
    assert attachment["filename"] == "label.pdf"
    assert attachment["size"] == 4
    assert attachment["download_url"] == f"/api/v1/attachments/{attachment_id}/download"
    assert agent_api.client.get(attachment["download_url"]).status_code == 200


def test_reply_with_an_attachment_and_a_status(agent_api: ApiClient, agent_user: User) -> None:
    conversation = a_conversation()

    response = agent_api.post(
        f"/conversations/{conversation.pk}/replies",
        {"body_text": "Here is your label", "then_status": "pending", "attachments": [_attachment()]},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["author_id"], body["body_text"]) == (
        "outbound",
        agent_user.pk,
        "Here is your label",
    )
    assert [a["filename"] for a in body["attachments"]] == ["receipt.pdf"]
    conversation.refresh_from_db()
    assert conversation.status == Status.PENDING
    assert conversation.first_response_at is not None


def test_html_with_scripts_and_event_handlers_is_stored_sanitised(agent_api: ApiClient) -> None:
    conversation = a_conversation()
    html = '<p onclick="steal()">Hi <b>there</b><script>alert(1)</script><img src=x onerror="alert(2)"></p>'

    response = agent_api.post(f"/conversations/{conversation.pk}/replies", {"body_html": html})

    assert response.status_code == 201
    stored = Message.objects.get(pk=response.json()["id"])
    assert "<script" not in stored.body_html
    assert "onerror" not in stored.body_html
    assert "onclick" not in stored.body_html
    assert "<b>there</b>" in stored.body_html
    assert stored.body_text == "Hi there"
    assert response.json()["body_html"] == stored.body_html


def test_a_reply_on_top_of_a_newer_customer_message_is_refused(agent_api: ApiClient) -> None:
    conversation = a_conversation()
    seen = agent_api.get(f"/conversations/{conversation.pk}").json()["last_inbound_at"]
    services.receive_message(conversation=conversation, body_text="Actually, it arrived")
    before = _state(conversation)

    stale = agent_api.post(
        f"/conversations/{conversation.pk}/replies", {"body_text": "Sending another", "seen_inbound_at": seen}
    )
    fresh_seen = agent_api.get(f"/conversations/{conversation.pk}").json()["last_inbound_at"]
    fresh = agent_api.post(
        f"/conversations/{conversation.pk}/replies",
        {"body_text": "Glad it came", "seen_inbound_at": fresh_seen},
    )

    assert_problem(stale, 409, "newer_customer_message")
    assert fresh.status_code == 201
    assert before[5] + 1 == Message.objects.filter(conversation=conversation).count()


def test_an_oversized_attachment_is_refused_and_no_message_is_written(agent_api: ApiClient) -> None:
    DeskSettings.objects.update_or_create(pk=1, defaults={"max_attachment_bytes": 10})
    conversation = a_conversation()
    before = _state(conversation)

    response = agent_api.post(
        f"/conversations/{conversation.pk}/replies",
        {"body_text": "Big file", "attachments": [_attachment(b"x" * 11)]},
    )

    body = assert_problem(response, 422, "attachment_too_large")
    assert body["detail"] == "receipt.pdf is 11 bytes; attachments may be at most 10 bytes"
    assert _state(conversation) == before


def test_a_body_over_the_server_limit_is_a_413_problem_and_writes_nothing(
    agent_api: ApiClient, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    conversation = a_conversation()
    before = _state(conversation)

    response = agent_api.post(
        f"/conversations/{conversation.pk}/replies",
        {"body_text": "Big file", "attachments": [_attachment(b"x" * 2000)]},
    )

    assert_problem(response, 413, "request_too_large")
    assert _state(conversation) == before


def test_an_oversized_attachment_opens_no_conversation(agent_api: ApiClient) -> None:
    DeskSettings.objects.update_or_create(pk=1, defaults={"max_attachment_bytes": 10})

    response = agent_api.post(
        "/conversations",
        {"customer_id": CustomerFactory().pk, "body_text": "Hi", "attachments": [_attachment(b"x" * 11)]},
    )

    assert_problem(response, 422, "attachment_too_large")
    assert (Conversation.objects.count(), Message.objects.count(), Attachment.objects.count()) == (0, 0, 0)


@pytest.mark.parametrize("encoded", ["not base64!", "YWJj=", "YW Jj"])
def test_an_attachment_that_is_not_base64_is_refused(agent_api: ApiClient, encoded: str) -> None:
    conversation = a_conversation()
    before = _state(conversation)

    response = agent_api.post(
        f"/conversations/{conversation.pk}/notes",
        {"body_text": "See file", "attachments": [_attachment(content_base64=encoded)]},
    )

    body = assert_problem(response, 422, "attachment_invalid")
    assert body["errors"] == {"attachments.0.content_base64": "not valid base64"}
    assert _state(conversation) == before


def test_add_note_stays_internal_and_keeps_the_inbox_order(agent_api: ApiClient) -> None:
    conversation = a_conversation()
    last_message_at = conversation.last_message_at

    response = agent_api.post(
        f"/conversations/{conversation.pk}/notes", {"body_html": "<p>Called <i>depot</i></p>"}
    )

    assert response.status_code == 201
    assert response.json()["kind"] == "note"
    assert response.json()["body_text"] == "Called depot"
    conversation.refresh_from_db()
    assert conversation.last_message_at == last_message_at
    assert conversation.status == Status.NEW


def test_logging_an_inbound_message_reopens_a_pending_conversation(agent_api: ApiClient) -> None:
    conversation = a_conversation()
    agent_api.post(f"/conversations/{conversation.pk}/status", {"status": "pending"})

    response = agent_api.post(
        f"/conversations/{conversation.pk}/inbound",
        {"body_text": "Called: still waiting", "sender": "+441234"},
    )

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["author_id"]) == ("inbound", None)
    assert response.json()["sender"] == "+441234"
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN


def test_writing_to_a_closed_conversation_is_a_conflict(agent_api: ApiClient) -> None:
    conversation = a_conversation()
    agent_api.post(f"/conversations/{conversation.pk}/status", {"status": "resolved"})
    agent_api.post(f"/conversations/{conversation.pk}/status", {"status": "closed"})

    assert_problem(
        agent_api.post(f"/conversations/{conversation.pk}/replies", {"body_text": "Hi"}),
        409,
        "conversation_closed",
    )
    assert_problem(
        agent_api.post(f"/conversations/{conversation.pk}/inbound", {"body_text": "Hi"}),
        409,
        "conversation_closed",
    )


# Attachments


def test_download_streams_the_file_as_an_attachment(agent_api: ApiClient) -> None:
    conversation = a_conversation()
    attachment_id = _with_attachment(
        conversation, filename="label.pdf", content_type="application/pdf", data=b"%PDF-1"
    )

    response = agent_api.get(f"/attachments/{attachment_id}/download")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="label.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.parametrize(
    "declared",
    [
        "text/html",
        "TEXT/HTML; charset=utf-8",
        "image/svg+xml",
        "application/xhtml+xml",
        "text/xml",
        "application/javascript",
        "text/javascript",
        "application/x-unknown",
        "nonsense",
    ],
)
def test_download_never_serves_an_active_type(agent_api: ApiClient, declared: str) -> None:
    conversation = a_conversation()
    attachment_id = _with_attachment(
        conversation, filename="page.html", content_type=declared, data=b"<script>alert(1)</script>"
    )

    response = agent_api.get(f"/attachments/{attachment_id}/download")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_download_of_an_unknown_attachment_is_404(agent_api: ApiClient) -> None:
    assert_problem(agent_api.get("/attachments/999999/download"), 404, "attachment_not_found")


def test_download_of_an_attachment_whose_file_is_gone_is_404(agent_api: ApiClient) -> None:
    attachment_id = _with_attachment(a_conversation(), filename="a.txt", content_type="text/plain", data=b"x")
    blobs.blob_path(Attachment.objects.get(pk=attachment_id).sha256).unlink()

    assert_problem(agent_api.get(f"/attachments/{attachment_id}/download"), 404, "attachment_missing")


# Events


def test_conversation_events_oldest_first(agent_api: ApiClient, agent_user: User) -> None:
    conversation = a_conversation()
    agent_api.post(f"/conversations/{conversation.pk}/tags", {"add": ["vip"]})

    response = agent_api.get(f"/conversations/{conversation.pk}/events")

    assert response.status_code == 200
    kinds = [event["kind"] for event in response.json()["items"]]
    assert kinds[0] == "conversation.opened"
    assert kinds[-1] == "conversation.tags_changed"
    assert response.json()["count"] == len(kinds)
    last = response.json()["items"][-1]
    assert (last["actor_id"], last["summary"], last["data"]["added"]) == (
        agent_user.pk,
        "Tags: +vip",
        ["vip"],
    )


def test_the_event_stream_reads_every_change_in_id_order_after_a_cursor(agent_api: ApiClient) -> None:
    first = a_conversation()
    second = a_conversation()
    agent_api.post(f"/conversations/{first.pk}/status", {"status": "pending"})
    all_ids = list(ConversationEvent.objects.order_by("pk").values_list("pk", flat=True))

    head = agent_api.get("/desk/events", {"limit": 2}).json()
    tail = agent_api.get("/desk/events", {"after_id": head["next_after_id"], "limit": 500}).json()
    done = agent_api.get("/desk/events", {"after_id": tail["next_after_id"]}).json()

    assert [e["id"] for e in head["items"]] == all_ids[:2]
    assert [e["id"] for e in tail["items"]] == all_ids[2:]
    assert tail["items"][-1]["kind"] == "conversation.status_changed"
    assert {e["conversation_id"] for e in head["items"] + tail["items"]} == {first.pk, second.pk}
    assert done == {"items": [], "next_after_id": all_ids[-1]}


# Merge and split


def test_merge_moves_the_messages_into_the_target(agent_api: ApiClient) -> None:
    target = a_conversation(body_text="first thread")
    source = a_conversation(customer=target.customer, body_text="second thread")

    response = agent_api.post(f"/conversations/{source.pk}/merge", {"target_id": target.pk})

    assert response.status_code == 200, response.content
    assert response.json()["id"] == target.pk
    assert response.json()["counts"]["messages"] == 2
    source.refresh_from_db()
    assert (source.merged_into_id, source.status) == (target.pk, Status.CLOSED)
    assert agent_api.get(f"/conversations/{source.pk}").json()["merged_into_id"] == target.pk


def test_merging_conversations_of_different_customers_is_refused(agent_api: ApiClient) -> None:
    target, source = a_conversation(), a_conversation()

    response = agent_api.post(f"/conversations/{source.pk}/merge", {"target_id": target.pk})

    assert_problem(response, 422, "merge_other_customer")
    source.refresh_from_db()
    assert source.merged_into_id is None


def test_split_moves_a_customer_message_into_a_new_conversation(agent_api: ApiClient) -> None:
    conversation = a_conversation(subject="Parcel")
    message = services.receive_message(conversation=conversation, body_text="Also, my invoice is wrong")

    response = agent_api.post(f"/messages/{message.pk}/split")

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["id"] != conversation.pk
    assert created["subject"] == "Parcel (split)"
    assert created["customer_id"] == conversation.customer_id
    assert Message.objects.get(pk=message.pk).conversation_id == created["id"]


def test_split_of_a_reply_is_refused(agent_api: ApiClient) -> None:
    conversation = a_conversation()
    reply = agent_api.post(f"/conversations/{conversation.pk}/replies", {"body_text": "Hi"}).json()

    assert_problem(agent_api.post(f"/messages/{reply['id']}/split"), 422, "split_not_inbound")
    assert Conversation.objects.count() == 1


# Macros


def test_list_macros_shows_shared_ones_and_the_callers_teams(api_for: ApiFor) -> None:
    team, other_team = TeamFactory(), TeamFactory()
    agent = UserFactory(role=Role.AGENT, team=team)
    MacroFactory(name="Shared")
    MacroFactory(name="Ours", team=team)
    MacroFactory(name="Theirs", team=other_team)
    MacroFactory(name="Retired", is_active=False)

    response = api_for(agent).get("/macros")

    assert response.status_code == 200
    assert [m["name"] for m in response.json()["items"]] == ["Ours", "Shared"]
    assert response.json()["count"] == 2


def test_apply_macro_returns_its_text_and_runs_its_actions(agent_api: ApiClient, agent_user: User) -> None:
    conversation = a_conversation(customer=CustomerFactory(name="Ada Lovelace"))
    macro = MacroFactory(
        body="Hello {{ customer.first_name }}, your order {{ order.number }} is on its way.",
        actions={"status": "pending", "add_tags": ["shipping"]},
    )

    response = agent_api.post(f"/conversations/{conversation.pk}/macros/{macro.pk}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["text"] == "Hello Ada, your order {{ order.number }} is on its way."
    assert body["unresolved_variables"] == ["order.number"]
    assert body["conversation"]["status"] == "pending"
    assert body["conversation"]["tags"] == ["shipping"]
    event = conversation.events.get(kind="macro.applied")
    assert (event.actor_id, event.data["macro_id"]) == (agent_user.pk, macro.pk)
    macro.refresh_from_db()
    assert macro.usage_count == 1


def test_another_teams_macro_cannot_be_applied(agent_api: ApiClient) -> None:
    conversation = a_conversation()
    macro = MacroFactory(team=TeamFactory(), actions={"status": "pending"})
    before = _state(conversation)

    response = agent_api.post(f"/conversations/{conversation.pk}/macros/{macro.pk}")

    assert_problem(response, 404, "macro_not_found")
    assert _state(conversation) == before


def test_a_macro_whose_action_is_refused_changes_nothing(agent_api: ApiClient) -> None:
    conversation = a_conversation()
    colleague = UserFactory(role=Role.AGENT)
    macro = MacroFactory(actions={"add_tags": ["handover"], "assign": colleague.pk})
    before = _state(conversation)

    response = agent_api.post(f"/conversations/{conversation.pk}/macros/{macro.pk}")

    assert_problem(response, 403, "permission_denied")
    assert _state(conversation) == before


# Search


def test_search_finds_words_in_subjects_and_messages(agent_api: ApiClient) -> None:
    by_subject = a_conversation(subject="Refund request", body_text="hello")
    by_message = a_conversation(subject="Question", body_text="I would like a refund please")
    a_conversation(subject="Other", body_text="nothing to see")

    response = agent_api.get("/search", {"q": "refund"})

    assert response.status_code == 200
    assert {row["id"] for row in response.json()["items"]} == {by_subject.pk, by_message.pk}
    assert response.json()["count"] == 2


def test_search_needs_words(agent_api: ApiClient) -> None:
    assert_problem(agent_api.get("/search", {"q": ""}), 422, "invalid_request")
