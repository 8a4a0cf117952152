"""Themes: a run over 60 days of customers' messages, stored with trends; examples respect privacy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.desk.models import Conversation, Message, MessageKind, TeamDesk
from rapport.desk.tests.factories import a_conversation
from rapport.listening.models import Theme
from rapport.listening.reports.trends import latest_themes
from rapport.listening.services.themes import refresh_themes
from rapport.listening.tasks.dashboard import refresh_themes_task

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
REFUND = [
    "I still have not received my refund for the returned jacket",
    "When will the refund reach my card, it has been two weeks",
    "Refund missing after return, please check my refund status",
]
DELIVERY = [
    "My parcel delivery is late and the tracking has not moved",
    "The courier lost my parcel, delivery tracking shows nothing",
    "Delivery is delayed again, where is my parcel",
]


def _messages(conversations: list[Conversation], texts: list[str], n: int, *, days_ago: int) -> None:
    at = NOW - timedelta(days=days_ago)
    Message.objects.bulk_create(
        [
            Message(
                conversation=conversations[i % len(conversations)],
                kind=MessageKind.INBOUND,
                channel="email",
                body_text=f"{texts[i % len(texts)]} (order {i})",
                created_at=at + timedelta(minutes=i),
            )
            for i in range(n)
        ]
    )


def _desk() -> tuple[Conversation, Conversation]:
    """A conversation anyone may see and one of a private team."""
    private_team = TeamFactory(name="VIP desk")
    TeamDesk.objects.create(team=private_team, is_private=True)
    with time_machine.travel(NOW - timedelta(days=70), tick=False):
        public = a_conversation(body_text="Hello")
        private = a_conversation(body_text="Hello", team=private_team)
    # Refund questions were the big topic, now parcels are: delivery rises, refunds fall.
    _messages([public, private], REFUND, 60, days_ago=45)
    _messages([public, private], DELIVERY, 20, days_ago=44)
    _messages([public, private], REFUND, 15, days_ago=10)
    _messages([public, private], DELIVERY, 65, days_ago=9)
    return public, private


def test_themes_are_stored_as_one_run_with_counts_and_trends() -> None:
    _desk()

    with time_machine.travel(NOW, tick=False):
        found = refresh_themes(k=2)

    stored = list(Theme.objects.order_by("position"))
    assert len(stored) == len(found) == 2
    assert {theme.run_at for theme in stored} == {NOW}
    by_topic = {("parcel" if "parcel" in theme.top_terms else "refund"): theme for theme in stored}
    assert by_topic["parcel"].trend == "rising"
    assert by_topic["refund"].trend == "falling"
    assert by_topic["parcel"].message_count > by_topic["parcel"].previous_count
    assert all(theme.example_message_ids for theme in stored)


def test_without_any_message_in_the_earlier_period_the_trend_is_unknown_not_steady() -> None:
    public = a_conversation(body_text="Hello")
    _messages([public], DELIVERY, 30, days_ago=9)
    _messages([public], REFUND, 30, days_ago=8)

    refresh_themes(k=2, now=NOW)

    assert {theme.trend for theme in Theme.objects.all()} == {"unknown"}


def test_no_messages_no_run() -> None:
    assert refresh_themes(now=NOW) == []
    assert not Theme.objects.exists()


def test_the_task_runs_a_refresh() -> None:
    _desk()

    with time_machine.travel(NOW, tick=False):
        assert refresh_themes_task.call() > 0

    assert Theme.objects.exists()


def test_theme_examples_hide_conversations_the_viewer_cannot_see() -> None:
    public, private = _desk()
    with time_machine.travel(NOW, tick=False):
        refresh_themes(k=2)
    outsider = Actor(user=UserFactory(role=Role.AGENT))
    member = Actor(user=UserFactory(role=Role.AGENT, team=private.team))

    seen_by_outsider = latest_themes(outsider, examples=10)
    seen_by_member = latest_themes(member, examples=10)

    outsider_conversations = {m.conversation_id for item in seen_by_outsider for m in item.examples}
    member_conversations = {m.conversation_id for item in seen_by_member for m in item.examples}
    assert outsider_conversations == {public.pk}
    assert member_conversations == {public.pk, private.pk}


def test_a_new_run_replaces_the_shown_one() -> None:
    _desk()
    with time_machine.travel(NOW, tick=False):
        refresh_themes(k=2)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        refresh_themes(k=3)

    shown = latest_themes(Actor(user=UserFactory(role=Role.LEAD)))

    assert {item.theme.run_at for item in shown} == {NOW + timedelta(days=1)}
