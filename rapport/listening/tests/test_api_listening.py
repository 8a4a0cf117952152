"""The listening API: scoring text, a conversation's and a customer's signals, tag suggestions, alerts
and follow-ups, and what outsiders and tokens without the scope get."""

# The API fixtures live in rapport/api/tests/conftest.py; imported here, pytest injects them by name.
# ruff: noqa: F811

from __future__ import annotations

import json

import pytest

from rapport.accounts.models import Role, User
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.api.openapi import render_document
from rapport.api.tests.conftest import (  # noqa: F401 (fixtures used by name)
    ApiClient,
    ApiFor,
    admin_api,
    agent_api,
    api_for,
    assert_problem,
)
from rapport.api.urls import api
from rapport.desk.models import Conversation
from rapport.desk.tests.factories import TeamDeskFactory
from rapport.listening.models import AlertStatus, FollowUpStatus
from rapport.listening.services import scoring
from rapport.listening.tests.factories import (
    AlertFactory,
    FollowUpFactory,
    a_customer_conversation,
    a_customer_message,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_conversation() -> Conversation:
    team = TeamFactory(name="VIP care")
    TeamDeskFactory(team=team, is_private=True)
    conversation = a_customer_conversation(text="I am furious, this is awful", team=team)
    scoring.score_new_messages()
    return conversation


@pytest.fixture
def outsider_api(api_for: ApiFor) -> ApiClient:
    """An agent of another team: every scope of the role, but not in the private team."""
    return api_for(UserFactory(role=Role.AGENT, team=TeamFactory(name="General")))


def test_scores_texts_with_labels_and_scores_in_range(agent_api: ApiClient) -> None:
    response = agent_api.post("/listening/sentiment", {"texts": ["Thank you, wonderful!", "This is awful."]})

    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["label"] for r in body["results"]] == ["positive", "negative"]
    assert all(-1 <= r["score"] <= 1 for r in body["results"])
    # VADER is the default: on service text it beats the trained model (docs/benchmarks.md).
    assert body["engine"] == "vader"
    assert body["model_version"].startswith("vader-")


def test_more_texts_than_the_limit_are_refused(agent_api: ApiClient) -> None:
    response = agent_api.post("/listening/sentiment", {"texts": ["ok"] * (scoring.MAX_TEXTS + 1)})

    assert_problem(response, 422, "too_many_texts")


def test_a_too_long_text_is_refused(agent_api: ApiClient) -> None:
    response = agent_api.post("/listening/sentiment", {"texts": ["a" * (scoring.MAX_TEXT_LENGTH + 1)]})

    body = assert_problem(response, 422, "text_too_long")
    assert body["errors"] == {"texts": [0]}


def test_token_without_listening_read_is_refused(api_for: ApiFor, agent_user: User) -> None:
    client = api_for(agent_user, scopes=["desk:read"])

    assert_problem(client.post("/listening/sentiment", {"texts": ["hi"]}), 403, "permission_denied")
    assert_problem(client.get("/listening/alerts"), 403, "permission_denied")


def test_conversation_signals_list_each_customer_message(agent_api: ApiClient) -> None:
    conversation = a_customer_conversation(text="Thank you so much, lovely!")
    a_customer_message(conversation, "This will be my last order, I am switching to another store.")
    scoring.score_new_messages()

    body = agent_api.get(f"/listening/conversations/{conversation.pk}/signals").json()

    assert [m["defection"] for m in body["messages"]] == [False, True]
    assert body["messages"][0]["sentiment_label"] == "positive"
    assert body["mean_score"] is not None


def test_outsider_of_a_private_team_gets_404(
    outsider_api: ApiClient, private_conversation: Conversation
) -> None:
    for path in ("signals", "tag-suggestions"):
        response = outsider_api.get(f"/listening/conversations/{private_conversation.pk}/{path}")
        assert_problem(response, 404, "conversation_not_found")


def test_customer_sentiment_leaves_out_conversations_the_caller_may_not_see(
    outsider_api: ApiClient, admin_api: ApiClient, private_conversation: Conversation
) -> None:
    path = f"/listening/customers/{private_conversation.customer_id}/sentiment"

    hidden = outsider_api.get(path).json()
    seen = admin_api.get(path).json()

    assert hidden["points"] == []
    assert len(seen["points"]) == 1
    assert seen["label_30_days"] == "negative"


def test_tag_suggestions_say_when_no_model_is_trained(agent_api: ApiClient) -> None:
    conversation = a_customer_conversation()

    body = agent_api.get(f"/listening/conversations/{conversation.pk}/tag-suggestions").json()

    assert body == {"conversation_id": conversation.pk, "trained": False, "suggestions": []}


def test_agent_sees_and_acknowledges_only_their_alerts_and_a_lead_any(
    api_for: ApiFor, agent_user: User, lead_user: User
) -> None:
    mine = AlertFactory(recipient=agent_user)
    theirs = AlertFactory(recipient=UserFactory(role=Role.AGENT))
    agent, lead = api_for(agent_user), api_for(lead_user)

    listed = agent.get("/listening/alerts").json()
    refused = agent.post(f"/listening/alerts/{theirs.pk}/acknowledge")
    acknowledged = agent.post(f"/listening/alerts/{mine.pk}/acknowledge")
    by_lead = lead.post(f"/listening/alerts/{theirs.pk}/acknowledge")

    assert [a["id"] for a in listed["items"]] == [mine.pk]
    assert_problem(refused, 404, "alert_not_found")
    assert acknowledged.json()["status"] == AlertStatus.ACKNOWLEDGED
    assert by_lead.status_code == 200
    assert_problem(lead.post(f"/listening/alerts/{theirs.pk}/acknowledge"), 409, "alert_acknowledged")
    assert lead.get("/listening/alerts", {"status": "all"}).json()["count"] == 2


def test_follow_ups_are_listed_and_closed_by_their_assignee(api_for: ApiFor, agent_user: User) -> None:
    mine = FollowUpFactory(assignee=agent_user)
    theirs = FollowUpFactory(assignee=UserFactory(role=Role.AGENT))
    agent = api_for(agent_user)

    listed = agent.get("/listening/follow-ups").json()
    done = agent.post(f"/listening/follow-ups/{mine.pk}/done", {"outcome": "Called back, sorted."})
    refused = agent.post(f"/listening/follow-ups/{theirs.pk}/done", {"outcome": ""})

    assert [f["id"] for f in listed["items"]] == [mine.pk]
    assert done.json()["status"] == FollowUpStatus.DONE
    assert done.json()["outcome"] == "Called back, sorted."
    assert_problem(refused, 404, "follow_up_not_found")


MY_PATHS = [
    "sentiment",
    "conversations/{conversation_id}/signals",
    "customers/{customer_id}/sentiment",
    "conversations/{conversation_id}/tag-suggestions",
    "alerts",
    "alerts/{alert_id}/acknowledge",
    "follow-ups",
    "follow-ups/{follow_up_id}/done",
]


def test_listening_operations_are_documented_with_their_problems() -> None:
    document = json.loads(render_document(api))
    mine = {f"/api/v1/listening/{path}" for path in MY_PATHS}
    paths = {path: ops for path, ops in document["paths"].items() if path in mine}

    assert len([op for ops in paths.values() for op in ops]) == 8
    for ops in paths.values():
        for operation in ops.values():
            assert operation["tags"] == ["listening"]
            assert {"401", "403", "422"} <= set(operation["responses"])
    pages = document["components"]["schemas"]
    assert {"AlertPage", "FollowUpPage", "SentimentResults"} <= set(pages)
