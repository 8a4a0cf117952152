"""Follow-ups go to the customer's associate, else the conversation's assignee, else the leads."""

from __future__ import annotations

import pytest

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.core.errors import Conflict, NotFound, PermissionDenied
from rapport.customers.models import TimelineEvent
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.tests.factories import a_conversation
from rapport.listening.models import FollowUpStatus
from rapport.listening.selectors import visible_follow_ups
from rapport.listening.services.follow_ups import complete_follow_up, open_follow_up

pytestmark = pytest.mark.django_db


def test_a_follow_up_goes_to_the_associate_first() -> None:
    associate = UserFactory(role=Role.AGENT)
    customer = CustomerFactory(associate=associate)
    conversation = a_conversation(customer=customer)
    follow_up = open_follow_up(customer=customer, conversation=conversation, title="Call about the CSAT of 1")
    assert follow_up.assignee == associate
    assert TimelineEvent.objects.filter(customer=customer, kind="listening.follow_up_opened").exists()


def test_without_an_active_associate_the_assignee_gets_it_and_without_either_the_leads() -> None:
    gone = UserFactory(role=Role.AGENT, is_active=False)
    assignee = UserFactory(role=Role.AGENT)
    customer = CustomerFactory(associate=gone)
    conversation = a_conversation(customer=customer)
    conversation.assignee = assignee
    conversation.save()
    assert open_follow_up(customer=customer, conversation=conversation, title="x").assignee == assignee
    assert open_follow_up(customer=CustomerFactory(), title="y").assignee is None


def test_only_the_assignee_or_a_lead_can_close_a_follow_up() -> None:
    agent = UserFactory(role=Role.AGENT)
    follow_up = open_follow_up(customer=CustomerFactory(associate=agent), title="Call back")
    other = Actor(user=UserFactory(role=Role.AGENT))
    analyst = Actor(user=UserFactory(role=Role.ANALYST))
    assert list(visible_follow_ups(other)) == []
    with pytest.raises(NotFound):
        complete_follow_up(actor=other, follow_up_id=follow_up.pk)
    analyst_of_own = open_follow_up(customer=CustomerFactory(associate=analyst.user), title="z")
    with pytest.raises(NotFound):
        complete_follow_up(actor=analyst, follow_up_id=analyst_of_own.pk)

    done = complete_follow_up(
        actor=Actor(user=agent), follow_up_id=follow_up.pk, outcome="  Called, sent a voucher "
    )
    assert done.status == FollowUpStatus.DONE
    assert done.outcome == "Called, sent a voucher"
    assert done.done_by == agent
    with pytest.raises(Conflict):
        complete_follow_up(actor=Actor(user=UserFactory(role=Role.LEAD)), follow_up_id=follow_up.pk)


def test_a_token_without_listening_read_cannot_list_follow_ups() -> None:
    token = Actor(user=UserFactory(role=Role.AGENT), via="token", scopes=frozenset({"desk:read"}))
    with pytest.raises(PermissionDenied):
        visible_follow_ups(token)
