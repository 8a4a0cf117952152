"""Visitors who never chatted are forgotten a month after their last visit; those who chatted stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport.channels.models import ChatSession, ChatVisitor
from rapport.channels.tests.widget.factories import WidgetFactory
from rapport.channels.widget.visitors import IDLE_VISITOR_DAYS, delete_idle_visitors, start_visitor
from rapport.desk.tests.factories import a_conversation

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=IDLE_VISITOR_DAYS + 1)


def test_only_idle_visitors_without_a_chat_are_deleted() -> None:
    widget = WidgetFactory()
    idle, _ = start_visitor(widget=widget, now=LONG_AGO)
    seen_lately, _ = start_visitor(widget=widget, now=LONG_AGO)
    ChatVisitor.objects.filter(pk=seen_lately.pk).update(last_seen_at=NOW - timedelta(days=2))
    new, _ = start_visitor(widget=widget, now=NOW - timedelta(days=1))
    chatted, _ = start_visitor(widget=widget, now=LONG_AGO)
    ChatSession.objects.create(visitor=chatted, conversation=a_conversation(channel="chat"))

    deleted = delete_idle_visitors(now=NOW)

    assert deleted == 1
    assert set(ChatVisitor.objects.values_list("pk", flat=True)) == {seen_lately.pk, new.pk, chatted.pk}
    assert not ChatVisitor.objects.filter(pk=idle.pk).exists()
