"""The inbox pages: the list and its fragments, live counts, bulk actions, presence and saved views."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rapport.accounts.models import Role, Team, User
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import AgentPresence, Conversation, SavedView, Status
from rapport.desk.selectors.inbox import InboxFilters
from rapport.desk.services.saved_views import save_view
from rapport.desk.tests.factories import SlaPolicyFactory, TeamDeskFactory, a_conversation

pytestmark = pytest.mark.django_db

INBOX = reverse("desk:inbox")
BULK = reverse("desk:inbox_bulk")


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _conversation(*, assignee: User | None = None, status: str | None = None, **kwargs: Any) -> Conversation:
    conversation = a_conversation(**kwargs)
    changes: dict[str, Any] = {"assignee": assignee}
    if status is not None:
        changes["status"] = status
    Conversation.objects.filter(pk=conversation.pk).update(**changes)
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def private_team() -> Team:
    team = TeamFactory(name="VIP desk")
    TeamDeskFactory(team=team, is_private=True)
    return team


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    conversation = _conversation()

    for response in (
        client.get(INBOX),
        client.get(reverse("desk:inbox_counts")),
        client.post(BULK, {"ids": [conversation.pk], "action": "status", "status": "resolved"}),
        client.post(reverse("desk:inbox_presence"), {"available": "0"}),
        client.post(reverse("desk:inbox_save_view"), {"name": "x"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert Conversation.objects.get(pk=conversation.pk).status == conversation.status


def test_a_row_shows_what_an_agent_needs_at_a_glance(agent_user: User) -> None:
    SlaPolicyFactory(first_response_minutes=60, resolution_minutes=None, calendar=None)
    customer = CustomerFactory(name="Ada Lovelace")
    _conversation(
        customer=customer,
        subject="Parcel never arrived",
        priority="high",
        channel="chat",
        tags=["late"],
        assignee=agent_user,
    )

    response = _client(agent_user).get(INBOX, {"view": "mine"})

    assert response.status_code == 200
    row = response.text.split('class="inbox-row"')[1]
    for shown in (
        "Ada Lovelace",
        "Parcel never arrived",
        "New",
        "High",
        agent_user.display_name,
        "late",
        "Chat",
    ):
        assert shown in row, shown
    assert "due in 59 min" in row or "due in 60 min" in row
    assert "under a minute ago" in row
    assert 'data-inbox-url="/desk/"' in response.text
    assert "rapport/shortcuts.js" in response.text


def test_search_by_htmx_returns_only_the_list(agent_client: Client) -> None:
    _conversation(subject="Broken zipper", body_text="the zipper broke")
    _conversation(subject="Late parcel")

    response = agent_client.get(INBOX, {"view": "all", "q": "zipper"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="results"' in response.text
    assert "Broken zipper" in response.text
    assert "Late parcel" not in response.text


def _inbox_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(INBOX, {"view": "open"})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD])
def test_the_first_page_costs_the_same_queries_for_5_and_60_conversations(
    role: str, django_assert_max_num_queries: Any
) -> None:
    user = UserFactory(role=role)
    client = _client(user)
    team = TeamFactory()
    for n in range(5):
        _conversation(subject=f"c{n}", team=team, tags=["a", f"t{n}"], assignee=user)
    few = _inbox_queries(client)
    for n in range(5, 60):
        _conversation(subject=f"c{n}", team=team, tags=["a", f"t{n}"], assignee=user)

    # The counts are not on the first page (its navigation fetches them), so 14 is all it takes.
    with django_assert_max_num_queries(14):
        many = _inbox_queries(client)

    assert many == few


def test_the_page_leaves_the_counts_to_its_navigation_and_the_views_work_without_them(
    agent_user: User,
) -> None:
    _conversation(assignee=agent_user, subject="mine")
    client = _client(agent_user)

    page = client.get(INBOX, {"view": "open"})
    mine = client.get(INBOX, {"view": "mine"})

    assert _counts(page.text) == {}
    nav = page.text.split('id="inbox-nav"')[1].split("</nav>")[0]
    assert 'hx-get="/desk/inbox/counts/?view=open"' in nav
    assert 'hx-trigger="load, every 15s, inbox-changed from:body"' in nav
    # Without JavaScript the views are plain links, and they filter.
    assert '<a href="/desk/?view=mine">' in nav
    assert _subjects(mine.text) == ["mine"]


def test_both_agent_pickers_list_the_staff_and_the_filter_keeps_its_choice(lead_user: User) -> None:
    chosen = UserFactory(role=Role.AGENT, full_name="Sam <Jones>")
    UserFactory(role=Role.ANALYST, full_name="Ann Alyst")

    html = _client(lead_user).get(INBOX, {"view": "all", "assignee": chosen.pk}).text

    filter_picker = html.split('id="filter-assignee"')[1].split("</select>")[0]
    bulk_picker = html.split('id="bulk-assignee"')[1].split("</select>")[0]
    assert f'<option value="{chosen.pk}" selected>Sam &lt;Jones&gt;</option>' in filter_picker
    assert f'<option value="{chosen.pk}">Sam &lt;Jones&gt;</option>' in bulk_picker
    assert f'<option value="{lead_user.pk}">{lead_user.display_name}</option>' in bulk_picker
    assert "Ann Alyst" not in filter_picker + bulk_picker


def test_older_pages_follow_a_cursor_link(agent_client: Client, settings: Any) -> None:
    settings.RAPPORT_LIST_PAGE_SIZE = 5
    for n in range(7):
        _conversation(subject=f"conversation {n:02d}")

    first = agent_client.get(INBOX, {"view": "open"})
    next_url = first.context["next_url"]
    second = agent_client.get(next_url)

    assert [row["subject"] for row in first.context["rows"]] == [
        f"conversation {n:02d}" for n in range(6, 1, -1)
    ]
    assert [row["subject"] for row in second.context["rows"]] == ["conversation 01", "conversation 00"]
    assert second.context["next_url"] == ""
    assert parse_qs(urlsplit(next_url).query)["view"] == ["open"]


def test_a_bad_cursor_or_filter_is_ignored_not_an_error(agent_client: Client) -> None:
    _conversation(subject="still here")

    response = agent_client.get(
        INBOX, {"view": "nope", "before": "yesterday", "before_id": "x", "created_from": "soon", "team": "a"}
    )

    assert response.status_code == 200
    assert "still here" in response.text


def _counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-view-count="(\w+)">([^<]+)<', html))


def _subjects(html: str) -> list[str]:
    return re.findall(r'<span class="subject">([^<]+)</span>', html)


def _next_url(html: str) -> str:
    found = re.search(r'<a href="([^"]+)" rel="next"', html)
    return unescape(found.group(1)) if found else ""


def test_counts_fragment_counts_each_view(agent_user: User) -> None:
    _conversation(assignee=agent_user)
    _conversation()
    _conversation(status=Status.SNOOZED)

    response = _client(agent_user).get(reverse("desk:inbox_counts"), {"view": "mine"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'hx-trigger="every 15s, inbox-changed from:body"' in response.text
    assert _counts(response.text) == {
        "mine": "1",
        "unassigned": "1",
        "team": "0",
        "breaching": "0",
        "open": "2",
        "snoozed": "1",
    }
    assert 'aria-current="page">\n          <span>Mine</span>' in response.text


def test_an_outsider_sees_nothing_of_a_private_team(private_team: Team) -> None:
    insider = UserFactory(role=Role.AGENT, team=private_team)
    outsider = UserFactory(role=Role.LEAD, team=TeamFactory())
    secret = _conversation(team=private_team, subject="Secret matter", body_text="secret words")
    client = _client(outsider)

    page = client.get(INBOX, {"view": "all"})
    search = client.get(INBOX, {"view": "all", "q": "secret"})
    counts = client.get(reverse("desk:inbox_counts"))
    bulk = client.post(
        BULK, {"ids": [secret.pk], "action": "status", "status": "resolved"}, HTTP_HX_REQUEST="true"
    )

    assert "Secret matter" not in page.text
    assert "Secret matter" not in search.text
    assert _counts(counts.text)["unassigned"] == "0"
    assert "not found" in bulk.text
    assert Conversation.objects.get(pk=secret.pk).status == Status.NEW
    assert "Secret matter" in _client(insider).get(INBOX, {"view": "team"}).text


def test_an_analyst_reads_the_inbox_but_cannot_act_on_it(analyst_user: User) -> None:
    conversation = _conversation(subject="Read only")
    client = _client(analyst_user)

    page = client.get(INBOX)
    bulk = client.post(BULK, {"ids": [conversation.pk], "action": "status", "status": "resolved"})
    presence = client.post(reverse("desk:inbox_presence"), {"available": "0"})

    assert page.status_code == 200
    assert "Read only" in page.text
    assert 'name="ids"' not in page.text
    assert 'id="presence"' not in page.text
    assert (bulk.status_code, presence.status_code) == (403, 403)
    assert Conversation.objects.get(pk=conversation.pk).status == Status.NEW


def test_bulk_status_by_htmx_shows_what_was_skipped_and_why(agent_client: Client) -> None:
    fine = _conversation(status=Status.OPEN, subject="fine")
    closed = _conversation(status=Status.CLOSED, subject="closed")

    response = agent_client.post(
        BULK,
        {"ids": [fine.pk, closed.pk], "action": "status", "status": "resolved", "filters": "view=all"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "inbox-changed"
    assert "Updated 1 conversation." in response.text
    assert f"#{closed.pk}: a closed conversation cannot become resolved" in response.text
    assert Conversation.objects.get(pk=fine.pk).status == Status.RESOLVED
    # The list comes back as the agent left it: everything, with the resolved one in it.
    assert _subjects(response.text) == ["closed", "fine"]


def test_bulk_take_without_javascript_redirects_with_a_message(agent_user: User) -> None:
    conversation = _conversation()
    client = _client(agent_user)

    response = client.post(
        BULK, {"ids": [conversation.pk], "action": "take", "filters": "view=unassigned"}, follow=True
    )

    assert response.redirect_chain[0][0] == f"{INBOX}?view=unassigned"
    assert "Updated 1 conversation." in response.text
    assert Conversation.objects.get(pk=conversation.pk).assignee == agent_user


def test_bulk_without_a_selection_says_so(agent_client: Client) -> None:
    response = agent_client.post(BULK, {"action": "take"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 422
    assert "Select at least one conversation." in response.text


def test_a_lead_assigns_from_the_bulk_bar(lead_user: User) -> None:
    agent = UserFactory(role=Role.AGENT)
    conversation = _conversation()

    response = _client(lead_user).post(
        BULK, {"ids": [conversation.pk], "action": "assign", "assignee": agent.pk}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert Conversation.objects.get(pk=conversation.pk).assignee == agent


def test_the_presence_toggle_marks_the_agent_away_and_back(agent_user: User) -> None:
    client = _client(agent_user)

    away = client.post(reverse("desk:inbox_presence"), {"available": "0"}, HTTP_HX_REQUEST="true")
    assert AgentPresence.objects.get(user=agent_user).available is False
    assert "Away" in away.text
    assert "Become available" in away.text

    back = client.post(reverse("desk:inbox_presence"), {"available": "1"})
    assert back.status_code == 302
    assert AgentPresence.objects.get(user=agent_user).available is True


def test_saving_the_current_filters_as_a_view(agent_user: User) -> None:
    client = _client(agent_user)
    _conversation(subject="urgent one", priority="urgent")
    _conversation(subject="normal one")

    response = client.post(
        reverse("desk:inbox_save_view"),
        {"name": "Urgent", "shared": "on", "filters": "view=open&priority=urgent&before=x"},
    )

    saved = SavedView.objects.get(owner=agent_user)
    assert response.status_code == 302
    assert response["Location"] == f"{INBOX}?saved={saved.pk}"
    assert (saved.name, saved.shared, saved.filters) == (
        "Urgent",
        True,
        {"view": "open", "priority": ["urgent"]},
    )
    page = client.get(response["Location"])
    assert "urgent one" in page.text
    assert "normal one" not in page.text
    assert "<h1>Urgent" in page.text


def test_a_duplicate_view_name_is_reported(agent_user: User) -> None:
    save_view(actor=Actor(user=agent_user), name="Urgent", filters=InboxFilters())

    response = _client(agent_user).post(
        reverse("desk:inbox_save_view"), {"name": "Urgent", "filters": "view=mine"}, follow=True
    )

    assert "The view was not saved: you already have a view named &#x27;Urgent&#x27;" in response.text
    assert SavedView.objects.count() == 1


def test_someone_elses_private_view_is_not_found_and_cannot_be_deleted(agent_user: User) -> None:
    owner = Actor(user=UserFactory(role=Role.AGENT))
    private = save_view(actor=owner, name="Mine", filters=InboxFilters())
    shared = save_view(actor=owner, name="Ours", filters=InboxFilters(), shared=True)
    client = _client(agent_user)

    assert client.get(INBOX, {"saved": private.pk}).status_code == 404
    assert client.get(INBOX, {"saved": shared.pk}).status_code == 200
    assert client.post(reverse("desk:inbox_delete_view", args=[private.pk])).status_code == 404
    assert client.post(reverse("desk:inbox_delete_view", args=[shared.pk])).status_code == 403
    assert SavedView.objects.count() == 2


def test_the_owner_deletes_their_view(agent_user: User) -> None:
    saved = save_view(actor=Actor(user=agent_user), name="Old", filters=InboxFilters())

    response = _client(agent_user).post(reverse("desk:inbox_delete_view", args=[saved.pk]))

    assert response.status_code == 302
    assert not SavedView.objects.exists()


def test_the_inbox_only_answers_get(agent_client: Client) -> None:
    assert agent_client.post(INBOX).status_code == 405
    assert agent_client.get(BULK).status_code == 405
