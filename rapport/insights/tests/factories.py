"""Hand-made conversations for the dashboards: every moment given, so the figures are known in advance."""

from __future__ import annotations

from datetime import datetime

from rapport.accounts.models import Team, User
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import BusinessCalendar, Conversation, Message, MessageKind, Status
from rapport.desk.tests.factories import SlaPolicyFactory


def a_conversation(
    *,
    opened: datetime,
    channel: str = "email",
    team: Team | None = None,
    assignee: User | None = None,
    first_response_at: datetime | None = None,
    resolved_at: datetime | None = None,
    closed_at: datetime | None = None,
    status: str | None = None,
    calendar: BusinessCalendar | None = None,
    first_response_due_at: datetime | None = None,
    resolution_due_at: datetime | None = None,
    first_response_breached: bool = False,
    resolution_breached: bool = False,
    inbound: list[datetime] | None = None,
) -> Conversation:
    """A conversation with exactly these moments; with a calendar, under an SLA policy on that calendar.

    Its status follows the moments unless given: closed, resolved, open (answered) or new. Inbound messages
    are written at the moments in ``inbound`` (none by default).
    """
    if status is None:
        status = (
            Status.CLOSED
            if closed_at
            else Status.RESOLVED
            if resolved_at
            else Status.OPEN
            if first_response_at
            else Status.NEW
        )
    conversation = Conversation.objects.create(
        customer=CustomerFactory(),
        channel=channel,
        subject="Dashboard case",
        status=status,
        team=team,
        assignee=assignee,
        sla_policy=SlaPolicyFactory(calendar=calendar) if calendar is not None else None,
        first_response_at=first_response_at,
        resolved_at=resolved_at,
        closed_at=closed_at,
        first_response_due_at=first_response_due_at,
        resolution_due_at=resolution_due_at,
        first_response_breached=first_response_breached,
        resolution_breached=resolution_breached,
        created_at=opened,
        last_message_at=opened,
    )
    Message.objects.bulk_create(
        [
            Message(conversation=conversation, kind=MessageKind.INBOUND, channel=channel, created_at=moment)
            for moment in inbound or []
        ]
    )
    return conversation
