"""set_first_response_due: a first response promised for a moment, with or without an SLA policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import ConversationEvent, Priority, SlaState
from rapport.desk.services.conversations import open_conversation, reply, set_priority
from rapport.desk.services.sla import flag_sla_changes, set_first_response_due
from rapport.desk.tests.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _opened() -> object:
    return open_conversation(
        actor=None, customer=CustomerFactory(), channel="phone", body_text="Call me back"
    )


@time_machine.travel(NOON, tick=False)
def test_a_promised_due_time_runs_the_clock_without_any_policy() -> None:
    conversation = _opened()

    updated = set_first_response_due(
        conversation=conversation, due_at=NOON + timedelta(hours=4), warn_at=NOON + timedelta(hours=2)
    )

    updated.refresh_from_db()
    assert updated.sla_policy is None
    assert (updated.first_response_due_at, updated.first_response_warn_at) == (
        NOON + timedelta(hours=4),
        NOON + timedelta(hours=2),
    )
    assert (updated.sla_due_at, updated.sla_warn_at, updated.sla_state) == (
        NOON + timedelta(hours=4),
        NOON + timedelta(hours=2),
        SlaState.OK,
    )
    event = ConversationEvent.objects.get(conversation=updated, kind="sla.first_response_due_set")
    assert event.summary == "First response promised by 2026-11-24 16:00 UTC"


@time_machine.travel(NOON, tick=False)
def test_it_replaces_the_policys_first_response_target_and_keeps_the_resolution_target() -> None:
    SlaPolicyFactory(first_response_minutes=60, resolution_minutes=24 * 60)
    conversation = _opened()

    updated = set_first_response_due(conversation=conversation, due_at=NOON + timedelta(hours=3))

    assert updated.first_response_due_at == NOON + timedelta(hours=3)
    assert updated.resolution_due_at == NOON + timedelta(hours=24)
    assert updated.sla_due_at == NOON + timedelta(hours=3)
    # Without a warning moment: the desk's near-breach share (80%) of the time left.
    assert updated.first_response_warn_at == NOON + timedelta(minutes=144)


def test_answering_inside_the_promise_meets_it_and_missing_it_is_flagged() -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    with time_machine.travel(NOON, tick=False):
        kept, missed = _opened(), _opened()
        for conversation in (kept, missed):
            set_first_response_due(conversation=conversation, due_at=NOON + timedelta(hours=1))
    with time_machine.travel(NOON + timedelta(minutes=30), tick=False):
        reply(actor=agent, conversation=kept, body_text="Calling you now")
    with time_machine.travel(NOON + timedelta(hours=2), tick=False):
        flag_sla_changes(now=NOON + timedelta(hours=2))

    kept.refresh_from_db()
    missed.refresh_from_db()
    assert (kept.sla_state, kept.first_response_breached) == (SlaState.MET, False)
    assert (missed.sla_state, missed.first_response_breached) == (SlaState.BREACHED, True)


@time_machine.travel(NOON, tick=False)
def test_a_priority_change_with_no_policy_keeps_the_promise() -> None:
    conversation = _opened()
    set_first_response_due(conversation=conversation, due_at=NOON + timedelta(hours=4))

    changed = set_priority(
        actor=Actor(user=UserFactory(role=Role.AGENT)), conversation=conversation, priority=Priority.HIGH
    )

    assert changed.first_response_due_at == NOON + timedelta(hours=4)
    assert changed.sla_due_at == NOON + timedelta(hours=4)
