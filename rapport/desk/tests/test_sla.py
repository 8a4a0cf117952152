"""SLA clocks: policy choice, due times in business hours, pausing while pending, breach flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from rapport.accounts.permissions import Actor
from rapport.customers.tests.factories import CustomerFactory, TagFactory
from rapport.desk.models import ConversationEvent, SlaState
from rapport.desk.services import conversations as service
from rapport.desk.services.sla import flag_sla_changes
from rapport.desk.tests.factories import BusinessCalendarFactory, SlaPolicyFactory, a_conversation

pytestmark = pytest.mark.django_db

# A Friday, 16:00 in London (GMT in November).
FRIDAY_4PM = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


def test_first_matching_policy_by_position_applies(agent: Actor) -> None:
    vip = TagFactory(name="vip")
    SlaPolicyFactory(name="Everyone", position=2, first_response_minutes=240)
    SlaPolicyFactory(name="VIP", position=1, customer_tag=vip, first_response_minutes=30)
    SlaPolicyFactory(name="Urgent", position=0, priority="urgent", first_response_minutes=15)
    customer = CustomerFactory()
    customer.tags.add(vip)

    with time_machine.travel(FRIDAY_4PM, tick=False):
        vip_normal = a_conversation(actor=agent, customer=customer)
        someone_else = a_conversation(actor=agent)
        urgent = a_conversation(actor=agent, priority="urgent")

    assert vip_normal.sla_policy is not None
    assert vip_normal.sla_policy.name == "VIP"
    assert vip_normal.first_response_due_at == FRIDAY_4PM + timedelta(minutes=30)
    assert someone_else.sla_policy is not None
    assert someone_else.sla_policy.name == "Everyone"
    assert urgent.sla_policy is not None
    assert urgent.sla_policy.name == "Urgent"


def test_due_times_count_only_business_hours(agent: Actor) -> None:
    calendar = BusinessCalendarFactory(time_zone="Europe/London")  # Mon-Fri 09:00-17:00
    SlaPolicyFactory(calendar=calendar, first_response_minutes=120, resolution_minutes=16 * 60)

    with time_machine.travel(FRIDAY_4PM, tick=False):
        conversation = a_conversation(actor=agent)

    # One hour left on Friday, the second on Monday morning.
    assert conversation.first_response_due_at == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    # Sixteen business hours: 1 on Friday, 8 on Monday, 7 on Tuesday.
    assert conversation.resolution_due_at == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert conversation.sla_due_at == conversation.first_response_due_at
    assert conversation.sla_state == SlaState.OK


def test_the_clock_stops_while_pending_on_the_customer(agent: Actor) -> None:
    SlaPolicyFactory(first_response_minutes=60, resolution_minutes=240)
    with time_machine.travel(FRIDAY_4PM, tick=False):
        conversation = a_conversation(actor=agent)
    with time_machine.travel(FRIDAY_4PM + timedelta(minutes=30), tick=False):
        service.reply(
            actor=agent, conversation=conversation, body_text="Photo please?", then_status="pending"
        )
    conversation.refresh_from_db()
    assert conversation.sla_state == SlaState.PAUSED
    assert conversation.sla_due_at is None

    # The customer answers three hours later: the resolution target moves on by those three hours.
    with time_machine.travel(FRIDAY_4PM + timedelta(hours=3, minutes=30), tick=False):
        service.receive_message(conversation=conversation, body_text="Here")

    conversation.refresh_from_db()
    assert conversation.resolution_due_at == FRIDAY_4PM + timedelta(hours=7)
    assert conversation.sla_due_at == conversation.resolution_due_at
    assert conversation.sla_paused_seconds == 3 * 3600
    assert conversation.sla_status(FRIDAY_4PM + timedelta(hours=5)) == SlaState.OK


def test_a_late_first_reply_is_flagged_as_breached_once(agent: Actor) -> None:
    SlaPolicyFactory(first_response_minutes=60, resolution_minutes=None)
    with time_machine.travel(FRIDAY_4PM, tick=False):
        conversation = a_conversation(actor=agent)
    with time_machine.travel(FRIDAY_4PM + timedelta(minutes=90), tick=False):
        service.reply(actor=agent, conversation=conversation, body_text="Sorry for the wait")

    conversation.refresh_from_db()
    assert conversation.first_response_breached
    assert conversation.sla_state == SlaState.BREACHED
    assert ConversationEvent.objects.filter(conversation=conversation, kind="sla.breached").count() == 1
    assert conversation.customer.events.filter(kind="desk.sla.breached").exists()


def test_the_clock_flags_near_breach_then_breach_with_one_event_each(agent: Actor) -> None:
    SlaPolicyFactory(first_response_minutes=100, resolution_minutes=None)
    with time_machine.travel(FRIDAY_4PM, tick=False):
        conversation = a_conversation(actor=agent)

    assert flag_sla_changes(now=FRIDAY_4PM + timedelta(minutes=50)) == 0
    assert flag_sla_changes(now=FRIDAY_4PM + timedelta(minutes=85)) == 1
    assert flag_sla_changes(now=FRIDAY_4PM + timedelta(minutes=90)) == 0
    conversation.refresh_from_db()
    assert conversation.sla_state == SlaState.NEAR
    assert flag_sla_changes(now=FRIDAY_4PM + timedelta(minutes=101)) == 1
    assert flag_sla_changes(now=FRIDAY_4PM + timedelta(minutes=120)) == 0

    conversation.refresh_from_db()
    assert conversation.sla_state == SlaState.BREACHED
    kinds = list(ConversationEvent.objects.filter(kind__startswith="sla.").values_list("kind", flat=True))
    assert kinds == ["sla.near_breach", "sla.breached"]


def test_resolving_in_time_meets_the_sla(agent: Actor) -> None:
    SlaPolicyFactory(first_response_minutes=60, resolution_minutes=120)
    with time_machine.travel(FRIDAY_4PM, tick=False):
        conversation = a_conversation(actor=agent)
    with time_machine.travel(FRIDAY_4PM + timedelta(minutes=20), tick=False):
        service.reply(actor=agent, conversation=conversation, body_text="Done", then_status="resolved")

    conversation.refresh_from_db()
    assert conversation.sla_status(FRIDAY_4PM + timedelta(days=3)) in (SlaState.PAUSED, SlaState.MET)
    assert not conversation.first_response_breached
    assert not conversation.resolution_breached
    assert flag_sla_changes(now=FRIDAY_4PM + timedelta(days=3)) == 0


def test_raising_the_priority_applies_the_stricter_policy(agent: Actor) -> None:
    SlaPolicyFactory(name="Urgent", position=0, priority="urgent", first_response_minutes=15)
    SlaPolicyFactory(name="Normal", position=1, first_response_minutes=240)
    with time_machine.travel(FRIDAY_4PM, tick=False):
        conversation = a_conversation(actor=agent)
    with time_machine.travel(FRIDAY_4PM + timedelta(minutes=5), tick=False):
        service.set_priority(actor=agent, conversation=conversation, priority="urgent")

    conversation.refresh_from_db()
    assert conversation.sla_policy is not None
    assert conversation.sla_policy.name == "Urgent"
    assert conversation.first_response_due_at == FRIDAY_4PM + timedelta(minutes=15)


def test_without_a_policy_there_is_no_clock(agent: Actor) -> None:
    conversation = a_conversation(actor=agent)

    assert conversation.sla_policy is None
    assert conversation.sla_state == SlaState.NONE
    assert conversation.sla_due_at is None
