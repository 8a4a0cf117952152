"""The conversation's stored "done at", which the database keeps from its status and moments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rapport.accounts.permissions import Actor
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import Conversation, Status
from rapport.desk.services import conversations as service
from rapport.desk.services.merge import merge_conversations
from rapport.desk.tests.factories import a_conversation

pytestmark = pytest.mark.django_db

EARLIER = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
LATER = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


def stored_done_at(conversation: Conversation) -> datetime | None:
    return Conversation.objects.values_list("done_at", flat=True).get(pk=conversation.pk)


def test_done_at_follows_resolving_reopening_and_closing(agent: Actor) -> None:
    conversation = a_conversation(actor=agent)
    assert stored_done_at(conversation) is None

    service.change_status(actor=agent, conversation=conversation, status=Status.RESOLVED)
    conversation.refresh_from_db()
    first_resolution = conversation.resolved_at
    assert first_resolution is not None
    assert stored_done_at(conversation) == first_resolution

    service.change_status(actor=agent, conversation=conversation, status=Status.OPEN)
    assert stored_done_at(conversation) is None

    service.change_status(actor=agent, conversation=conversation, status=Status.RESOLVED)
    service.change_status(actor=agent, conversation=conversation, status=Status.CLOSED)
    conversation.refresh_from_db()
    # Closing a resolved conversation keeps the moment it was resolved.
    assert conversation.closed_at is not None
    assert conversation.resolved_at is not None
    assert conversation.resolved_at != first_resolution
    assert stored_done_at(conversation) == conversation.resolved_at


def test_a_conversation_merged_away_is_done_when_it_was_closed(agent: Actor) -> None:
    customer = CustomerFactory()
    target = a_conversation(actor=agent, customer=customer)
    source = a_conversation(actor=agent, customer=customer)

    merge_conversations(actor=agent, source=source, target=target)

    source.refresh_from_db()
    assert source.closed_at is not None
    assert stored_done_at(source) == source.closed_at
    assert stored_done_at(target) is None


@pytest.mark.parametrize(
    ("status", "resolved_at", "closed_at", "expected"),
    [
        (Status.RESOLVED, EARLIER, None, EARLIER),
        (Status.CLOSED, EARLIER, LATER, EARLIER),
        (Status.CLOSED, None, LATER, LATER),
        # Reopened after being closed: the old closed_at stays on the row, but it is not done.
        (Status.OPEN, None, LATER, None),
        (Status.PENDING, EARLIER, None, None),
        (Status.NEW, None, None, None),
    ],
)
def test_done_at_is_resolved_else_closed_only_while_resolved_or_closed(
    status: str, resolved_at: datetime | None, closed_at: datetime | None, expected: datetime | None
) -> None:
    conversation = Conversation.objects.create(
        customer=CustomerFactory(),
        channel="email",
        status=status,
        resolved_at=resolved_at,
        closed_at=closed_at,
    )
    assert conversation.done_at == expected  # returned by the insert

    Conversation.objects.filter(pk=conversation.pk).update(status=Status.OPEN, resolved_at=None)
    Conversation.objects.filter(pk=conversation.pk).update(
        status=status, resolved_at=resolved_at, closed_at=closed_at
    )

    assert stored_done_at(conversation) == expected
