"""Routing: the customer's associate first, then the least-loaded teammate; reassignment rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from rapport.accounts.models import Role, Team, User
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.core.errors import PermissionDenied, ValidationFailed
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import AgentPresence, ConversationEvent
from rapport.desk.services.routing import assign_conversation, set_presence
from rapport.desk.tests.factories import BusinessCalendarFactory, TeamDeskFactory, a_conversation

pytestmark = pytest.mark.django_db

SATURDAY_NOON = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _agent(team: Team, **presence: object) -> User:
    user = UserFactory(role=Role.AGENT, team=team)
    if presence:
        AgentPresence.objects.create(user=user, **presence)
    return user


def test_a_new_conversation_goes_to_the_customers_associate(agent: Actor) -> None:
    team = TeamFactory()
    associate = _agent(team)
    _agent(team)

    conversation = a_conversation(actor=agent, customer=CustomerFactory(associate=associate))

    assert conversation.assignee == associate
    assert conversation.assigned_reason == "associate of this customer"
    assert conversation.team == team


def test_an_away_associate_is_skipped_for_the_least_loaded_teammate(agent: Actor) -> None:
    team = TeamFactory()
    associate = _agent(team, available=False)
    busy, free = _agent(team), _agent(team)
    a_conversation(actor=agent, team=team)  # goes to busy or free
    for _ in range(2):
        conversation = a_conversation(actor=agent, team=team)
    loads = {u: u.assigned_conversations.count() for u in (busy, free)}
    assert sorted(loads.values()) == [1, 2]

    routed = a_conversation(actor=agent, customer=CustomerFactory(associate=associate))

    least = min(loads, key=lambda u: loads[u])
    assert routed.assignee == least
    assert routed.assigned_reason == f"round robin in {team.name}"
    assert conversation.assignee in (busy, free)


def test_an_associate_at_capacity_is_skipped(agent: Actor) -> None:
    team = TeamFactory()
    associate = _agent(team, capacity=1)
    teammate = _agent(team)
    customer = CustomerFactory(associate=associate)
    a_conversation(actor=agent, customer=customer)

    second = a_conversation(actor=agent, customer=customer)

    assert second.assignee == teammate


def test_an_associate_outside_their_hours_is_skipped(agent: Actor) -> None:
    team = TeamFactory()
    weekdays = BusinessCalendarFactory(time_zone="UTC")
    associate = _agent(team, calendar=weekdays)
    weekend_cover = _agent(team)

    with time_machine.travel(SATURDAY_NOON, tick=False):
        conversation = a_conversation(actor=agent, customer=CustomerFactory(associate=associate))

    assert conversation.assignee == weekend_cover


def test_ties_go_to_whoever_waited_longest(agent: Actor) -> None:
    team = TeamFactory()
    first, second = _agent(team), _agent(team)

    one = a_conversation(actor=agent, team=team)
    two = a_conversation(actor=agent, team=team)

    assert {one.assignee, two.assignee} == {first, second}


def test_with_nobody_available_the_conversation_waits_with_a_reason(agent: Actor) -> None:
    team = TeamFactory()
    _agent(team, available=False)

    conversation = a_conversation(actor=agent, team=team)

    assert conversation.assignee is None
    event = ConversationEvent.objects.get(conversation=conversation, kind="conversation.unassigned")
    assert event.data["reasons"] == [f"nobody in {team.name} is working and under capacity"]


def test_team_rules_can_turn_off_associate_routing(agent: Actor) -> None:
    team = TeamFactory()
    TeamDeskFactory(team=team, route_to_associate=False, round_robin=False)
    associate = _agent(team)

    conversation = a_conversation(actor=agent, customer=CustomerFactory(associate=associate))

    assert conversation.assignee is None


def test_a_lead_reassigns_and_the_reason_is_recorded(lead: Actor, agent: Actor) -> None:
    conversation = a_conversation(actor=agent)
    other = UserFactory(role=Role.AGENT)

    assign_conversation(actor=lead, conversation=conversation, assignee=other)

    conversation.refresh_from_db()
    assert conversation.assignee == other
    assert conversation.assigned_reason == "assigned by hand"


def test_an_agent_takes_an_unassigned_conversation_but_cannot_reassign_anothers(agent: Actor) -> None:
    conversation = a_conversation(actor=agent)
    assign_conversation(actor=agent, conversation=conversation, assignee=agent.user)
    conversation.refresh_from_db()
    assert conversation.assigned_reason == "taken by the agent"

    colleague = Actor(user=UserFactory(role=Role.AGENT))
    with pytest.raises(PermissionDenied):
        assign_conversation(actor=colleague, conversation=conversation, assignee=colleague.user)
    conversation.refresh_from_db()
    assert conversation.assignee == agent.user


def test_an_analyst_cannot_be_assigned(lead: Actor, agent: Actor, analyst: Actor) -> None:
    conversation = a_conversation(actor=agent)

    with pytest.raises(ValidationFailed):
        assign_conversation(actor=lead, conversation=conversation, assignee=analyst.user)


def test_agents_mark_themselves_away_but_not_others(agent: Actor) -> None:
    set_presence(actor=agent, user=agent.user, available=False)
    assert AgentPresence.objects.get(user=agent.user).available is False

    with pytest.raises(PermissionDenied):
        set_presence(actor=agent, user=UserFactory(role=Role.AGENT), available=False)
    with pytest.raises(PermissionDenied):
        set_presence(actor=agent, user=agent.user, capacity=50)
