"""The clock's rules: snoozes end on time, resolved conversations close after quiet days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from rapport.accounts.permissions import Actor
from rapport.desk.models import DeskSettings, Status
from rapport.desk.services import conversations as service
from rapport.desk.services.lifecycle import close_resolved, wake_snoozed
from rapport.desk.tests.factories import a_conversation

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_a_snooze_ends_by_itself_at_its_time(agent: Actor) -> None:
    with time_machine.travel(NOON, tick=False):
        conversation = a_conversation(actor=agent)
        service.change_status(
            actor=agent, conversation=conversation, status="snoozed", snoozed_until=NOON + timedelta(hours=2)
        )

    assert wake_snoozed(now=NOON + timedelta(hours=1)) == 0
    assert wake_snoozed(now=NOON + timedelta(hours=2)) == 1

    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert conversation.snoozed_until is None
    event = conversation.customer.events.filter(kind="desk.conversation.status_changed").latest("id")
    assert "snooze ended" in event.summary


def test_resolved_conversations_close_after_the_configured_days(agent: Actor) -> None:
    DeskSettings.objects.update_or_create(pk=1, defaults={"auto_close_after_days": 3})
    with time_machine.travel(NOON, tick=False):
        conversation = a_conversation(actor=agent)
        service.change_status(actor=agent, conversation=conversation, status="resolved")

    assert close_resolved(now=NOON + timedelta(days=2, hours=23)) == 0
    assert close_resolved(now=NOON + timedelta(days=3)) == 1

    conversation.refresh_from_db()
    assert conversation.status == Status.CLOSED
    assert conversation.closed_at == NOON + timedelta(days=3)


def test_a_reopened_conversation_is_not_auto_closed(agent: Actor) -> None:
    with time_machine.travel(NOON, tick=False):
        conversation = a_conversation(actor=agent)
        service.change_status(actor=agent, conversation=conversation, status="resolved")
        service.receive_message(conversation=conversation, body_text="still broken")

    assert close_resolved(now=NOON + timedelta(days=30)) == 0


def test_the_clock_command_enqueues_the_desk_sweep(agent: Actor, capsys: pytest.CaptureFixture[str]) -> None:
    with time_machine.travel(NOON, tick=False):
        conversation = a_conversation(actor=agent)
        service.change_status(
            actor=agent,
            conversation=conversation,
            status="snoozed",
            snoozed_until=NOON + timedelta(minutes=5),
        )

    with time_machine.travel(NOON + timedelta(minutes=6), tick=False):
        call_command("clock", "--once")

    assert "enqueued desk.clock" in capsys.readouterr().out
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
