"""Signals on pages: indicators in the thread and the inbox, the conversation panel, the customer's
trend and the tagger page, and what outsiders get."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.desk.services.conversations import change_tags
from rapport.desk.tests.factories import TeamDeskFactory
from rapport.listening.models import TrainedModel
from rapport.listening.services import scoring
from rapport.listening.tests.factories import a_customer_conversation, a_customer_message
from rapport.listening.tests.test_tag_suggestions import TEXTS

pytestmark = pytest.mark.django_db

LEAVING = "This will be my last order, I am switching to another store."


def test_thread_shows_sentiment_and_the_defection_reason_per_customer_message(agent_client: Client) -> None:
    conversation = a_customer_conversation(text="Thank you so much, it is lovely!")
    a_customer_message(conversation, LEAVING)
    scoring.score_new_messages()

    page = agent_client.get(reverse("desk:conversation", args=[conversation.pk])).content.decode()

    assert 'aria-label="Sentiment: positive (+' in page
    assert "May be leaving</strong>: last order" in page
    assert 'id="signals-panel"' in page


def test_thread_reads_all_signals_in_one_query(
    agent_client: Client, django_assert_max_num_queries: object
) -> None:
    few = a_customer_conversation(text="one")
    many = a_customer_conversation(text="one")
    for i in range(8):
        a_customer_message(many, f"message {i}")
    scoring.score_new_messages()
    agent_client.get(reverse("desk:conversation", args=[few.pk]))  # warm caches

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        agent_client.get(reverse("desk:conversation", args=[few.pk]))
    with CaptureQueriesContext(connection) as large:
        agent_client.get(reverse("desk:conversation", args=[many.pk]))

    signal_reads = [q for q in large.captured_queries if "listening_messagesignal" in q["sql"]]
    assert len(signal_reads) == 1
    assert len(large.captured_queries) == len(small.captured_queries)


def test_inbox_rows_show_the_mean_sentiment_in_one_query(agent_client: Client) -> None:
    a_customer_conversation(text="This is awful, I am furious.")
    a_customer_conversation(text=LEAVING)
    scoring.score_new_messages()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = agent_client.get(reverse("desk:inbox")).content.decode()

    assert 'aria-label="Sentiment: negative (-' in page
    assert "may leave" in page
    assert len([q for q in queries.captured_queries if "listening_messagesignal" in q["sql"]]) == 1


def test_conversation_panel_shows_the_mean_and_suggested_tags(lead_client: Client, lead_user: User) -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    for tag, texts in TEXTS.items():
        for text in texts:
            change_tags(actor=agent, conversation=a_customer_conversation(text=text), add=[tag])
    lead_client.post(reverse("listening:train_tags"))
    conversation = a_customer_conversation(text="Please refund me, I want my money back")
    scoring.score_new_messages()

    page = lead_client.get(
        reverse("listening:conversation_signals", args=[conversation.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()

    assert "mean " in page
    assert 'value="refund"' in page
    assert reverse("desk:conversation_add_tag", args=[conversation.pk]) in page
    assert "<html" not in page


def test_customer_trend_shows_the_chart_data_and_recent_mean(agent_client: Client) -> None:
    conversation = a_customer_conversation(text="This is awful, I am furious.")
    scoring.score_new_messages()

    page = agent_client.get(
        reverse("listening:customer_sentiment", args=[conversation.customer_id])
    ).content.decode()

    assert 'id="sentiment-trend-data"' in page
    assert "Last 30 days: <strong>negative</strong>" in page


def test_customer_page_includes_the_trend(agent_client: Client) -> None:
    conversation = a_customer_conversation()

    page = agent_client.get(reverse("customers:detail", args=[conversation.customer_id])).content.decode()

    assert reverse("listening:customer_sentiment", args=[conversation.customer_id]) in page


def test_outsider_of_a_private_team_gets_404_on_the_panel() -> None:
    team = TeamFactory(name="VIP care")
    TeamDeskFactory(team=team, is_private=True)
    conversation = a_customer_conversation(text="secret", team=team)
    outsider = Client()
    outsider.force_login(UserFactory(role=Role.AGENT, team=TeamFactory(name="General")))

    response = outsider.get(reverse("listening:conversation_signals", args=[conversation.pk]))

    assert response.status_code == 404


def test_private_conversations_stay_out_of_an_outsiders_customer_trend() -> None:
    team = TeamFactory(name="VIP care")
    TeamDeskFactory(team=team, is_private=True)
    conversation = a_customer_conversation(text="This is awful, I am furious.", team=team)
    scoring.score_new_messages()
    outsider = Client()
    outsider.force_login(UserFactory(role=Role.AGENT, team=TeamFactory(name="General")))

    page = outsider.get(
        reverse("listening:customer_sentiment", args=[conversation.customer_id])
    ).content.decode()

    assert "No scored messages" in page


def test_tags_page_shows_the_model_and_agents_may_not_train(
    agent_client: Client, lead_client: Client
) -> None:
    refused = agent_client.post(reverse("listening:train_tags"))
    too_few = lead_client.post(reverse("listening:train_tags"), follow=True)

    assert refused.status_code == 403
    assert not TrainedModel.objects.exists()
    assert "at least two tags" in too_few.content.decode()
    assert "No model trained yet." in too_few.content.decode()
