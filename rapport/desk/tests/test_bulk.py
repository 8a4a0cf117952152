"""Bulk actions from the inbox: each conversation on its own, refusals reported with their reason."""

from __future__ import annotations

import pytest

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.core.errors import PermissionDenied, ValidationFailed
from rapport.desk.models import Conversation, ConversationEvent, Status
from rapport.desk.services.bulk import NOT_FOUND, BulkResult, bulk_update
from rapport.desk.tests.factories import TeamDeskFactory, a_conversation

pytestmark = pytest.mark.django_db


def _conversation(
    *, assignee: User | None = None, status: str | None = None, **kwargs: object
) -> Conversation:
    conversation = a_conversation(**kwargs)
    changes: dict[str, object] = {"assignee": assignee}
    if status is not None:
        changes["status"] = status
    Conversation.objects.filter(pk=conversation.pk).update(**changes)
    conversation.refresh_from_db()
    return conversation


def _fresh(conversation: Conversation) -> Conversation:
    return Conversation.objects.get(pk=conversation.pk)


def test_a_lead_assigns_several_conversations_to_an_agent(lead: Actor) -> None:
    agent = UserFactory(role=Role.AGENT)
    first, second = _conversation(), _conversation()

    result = bulk_update(actor=lead, conversation_ids=[first.pk, second.pk], assignee_id=agent.pk)

    assert result == BulkResult(updated=[first.pk, second.pk], skipped={})
    assert _fresh(first).assignee == agent
    assert _fresh(second).assigned_reason == "assigned by hand"
    assert ConversationEvent.objects.filter(kind="conversation.assigned", actor=lead.user).count() == 2


def test_setting_a_status_skips_the_conversations_that_cannot_take_it(agent: Actor) -> None:
    open_one = _conversation(status=Status.OPEN)
    closed = _conversation(status=Status.CLOSED)

    result = bulk_update(actor=agent, conversation_ids=[open_one.pk, closed.pk], status=Status.RESOLVED)

    assert result.updated == [open_one.pk]
    assert result.skipped == {closed.pk: "a closed conversation cannot become resolved"}
    assert _fresh(open_one).status == Status.RESOLVED
    assert _fresh(closed).status == Status.CLOSED


def test_a_refused_step_undoes_the_earlier_steps_on_that_conversation_only(lead: Actor) -> None:
    agent = UserFactory(role=Role.AGENT)
    fine = _conversation(status=Status.OPEN)
    closed = _conversation(status=Status.CLOSED)

    result = bulk_update(
        actor=lead,
        conversation_ids=[closed.pk, fine.pk],
        assignee_id=agent.pk,
        add_tags=["refund"],
        status=Status.RESOLVED,
    )

    assert result.updated == [fine.pk]
    assert list(result.skipped) == [closed.pk]
    untouched = _fresh(closed)
    assert (untouched.assignee, untouched.status, list(untouched.tags.all())) == (None, Status.CLOSED, [])
    assert not ConversationEvent.objects.filter(
        conversation=closed, kind__in=["conversation.assigned", "conversation.tags_changed"]
    ).exists()
    done = _fresh(fine)
    assert (done.assignee, done.status) == (agent, Status.RESOLVED)
    assert [tag.name for tag in done.tags.all()] == ["refund"]


def test_an_agent_takes_unassigned_work_but_cannot_take_a_colleagues(agent: Actor) -> None:
    colleague = UserFactory(role=Role.AGENT)
    free = _conversation()
    theirs = _conversation(assignee=colleague)

    result = bulk_update(actor=agent, conversation_ids=[free.pk, theirs.pk], assignee_id=agent.user.pk)

    assert result.updated == [free.pk]
    assert result.skipped == {theirs.pk: "only a lead can reassign a conversation"}
    assert _fresh(free).assigned_reason == "taken by the agent"
    assert _fresh(theirs).assignee == colleague


def test_tags_are_added_to_every_selected_conversation(agent: Actor) -> None:
    tagged = _conversation(tags=["vip"])
    plain = _conversation()

    result = bulk_update(actor=agent, conversation_ids=[tagged.pk, plain.pk], add_tags=["VIP", "refund"])

    assert result.updated == [tagged.pk, plain.pk]
    assert sorted(t.name for t in _fresh(tagged).tags.all()) == ["refund", "vip"]
    assert sorted(t.name for t in _fresh(plain).tags.all()) == ["refund", "vip"]


def test_unassigning_lets_go_of_my_own_conversations(agent: Actor) -> None:
    mine = _conversation(assignee=agent.user)

    result = bulk_update(actor=agent, conversation_ids=[mine.pk], unassign=True)

    assert result.updated == [mine.pk]
    assert _fresh(mine).assignee is None


def test_an_analyst_may_not_change_anything(analyst: Actor) -> None:
    conversation = _conversation(status=Status.OPEN)

    with pytest.raises(PermissionDenied):
        bulk_update(actor=analyst, conversation_ids=[conversation.pk], status=Status.RESOLVED)

    assert _fresh(conversation).status == Status.OPEN


def test_a_private_teams_conversation_is_skipped_as_not_found_for_an_outsider() -> None:
    team = TeamFactory()
    TeamDeskFactory(team=team, is_private=True)
    outsider = Actor(user=UserFactory(role=Role.LEAD, team=TeamFactory()))
    secret = _conversation(team=team, status=Status.OPEN)
    visible = _conversation(status=Status.OPEN)

    result = bulk_update(
        actor=outsider, conversation_ids=[secret.pk, visible.pk, 999_999], status=Status.PENDING
    )

    assert result.updated == [visible.pk]
    assert result.skipped == {secret.pk: NOT_FOUND, 999_999: NOT_FOUND}
    assert _fresh(secret).status == Status.OPEN


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"conversation_ids": []}, "nothing_selected"),
        ({"status": "snoozed"}, "invalid_snooze"),
        ({"status": "lost"}, "invalid_status"),
        ({}, "invalid_bulk_action"),
        ({"assignee_id": 1, "unassign": True}, "invalid_bulk_action"),
        ({"assignee_id": 999_999}, "invalid_assignee"),
        ({"conversation_ids": list(range(1, 202)), "status": "open"}, "too_many_selected"),
    ],
)
def test_a_request_that_makes_no_sense_is_refused_whole(
    lead: Actor, arguments: dict[str, object], code: str
) -> None:
    conversation = _conversation()
    arguments = {"conversation_ids": [conversation.pk], **arguments}

    with pytest.raises(ValidationFailed) as refused:
        bulk_update(actor=lead, **arguments)  # type: ignore[arg-type]

    assert refused.value.code == code
    assert _fresh(conversation).status == conversation.status
