"""Factories for survey tests: resolved conversations, invitations with a known token, paid orders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.commerce.models import Order
from rapport.commerce.tests.factories import OrderFactory
from rapport.customers.models import Customer
from rapport.customers.tests.factories import CustomerFactory, EmailIdentityFactory
from rapport.desk.models import Conversation, Status
from rapport.desk.services.conversations import change_status
from rapport.desk.services.routing import assign_conversation
from rapport.desk.tests.factories import a_conversation
from rapport.listening.models import InvitationStatus, SurveyInvitation, SurveyKind
from rapport.listening.services.surveys import hash_token


def a_customer(*, email: bool = True, **kwargs: Any) -> Customer:
    customer = CustomerFactory(**kwargs)
    if email:
        EmailIdentityFactory(customer=customer)
    return customer


def a_resolved_conversation(
    *, customer: Customer | None = None, agent: Any = None, **kwargs: Any
) -> Conversation:
    """A conversation opened and resolved by its agent, who is also its assignee."""
    agent = agent or UserFactory(role=Role.AGENT)
    actor = Actor(user=agent)
    conversation = a_conversation(actor=actor, customer=customer or a_customer(), **kwargs)
    if conversation.assignee_id != agent.pk:
        lead = Actor(user=UserFactory(role=Role.LEAD))
        conversation = assign_conversation(actor=lead, conversation=conversation, assignee=agent)
    return change_status(actor=actor, conversation=conversation, status=Status.RESOLVED)


def an_invitation(
    *,
    token: str = "",
    kind: str = SurveyKind.CSAT,
    customer: Customer | None = None,
    conversation: Conversation | None = None,
    status: str = InvitationStatus.SENT,
    **kwargs: Any,
) -> SurveyInvitation:
    """A sent invitation whose raw token is known to the test (it replaces the one a resolve scheduled)."""
    now = timezone.now()
    customer = customer or (conversation.customer if conversation is not None else a_customer())
    kwargs.setdefault("send_at", now)
    kwargs.setdefault("sent_at", now)
    kwargs.setdefault("expires_at", now + timedelta(days=14))
    if conversation is not None:
        # Resolving the conversation scheduled one already: it is the one sent.
        SurveyInvitation.objects.filter(conversation=conversation, kind=kind).delete()
    return SurveyInvitation.objects.create(
        kind=kind,
        customer=customer,
        conversation=conversation,
        agent=conversation.assignee if conversation is not None else None,
        token_hash=hash_token(token or f"token-{SurveyInvitation.objects.count()}-{now.timestamp()}"),
        status=status,
        **kwargs,
    )


def a_paid_order(customer: Customer, *, days_ago: int, status: str = "paid") -> Order:
    return OrderFactory(customer=customer, status=status, placed_at=timezone.now() - timedelta(days=days_ago))
