"""Listening reads that pages and the API share, each limited to what the asking person may see."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from rapport.accounts.permissions import Actor, Perm
from rapport.listening.models import (
    Alert,
    AlertStatus,
    FollowUp,
    FollowUpStatus,
    SurveyInvitation,
    SurveyResponse,
)


def visible_alerts(actor: Actor, *, status: str = AlertStatus.OPEN) -> QuerySet[Alert]:
    """Leads and admins see every alert; anyone else only those raised for them."""
    actor.require(Perm.LISTENING_VIEW)
    alerts = Alert.objects.select_related("customer", "conversation", "recipient").order_by(
        "-raised_at", "-pk"
    )
    if status:
        alerts = alerts.filter(status=status)
    if not actor.can(Perm.LISTENING_MANAGE):
        alerts = alerts.filter(recipient=actor.user)
    return alerts


def visible_follow_ups(actor: Actor, *, status: str = FollowUpStatus.OPEN) -> QuerySet[FollowUp]:
    """Leads and admins see every follow-up; anyone else only their own."""
    actor.require(Perm.LISTENING_VIEW)
    follow_ups = FollowUp.objects.select_related("customer", "conversation", "assignee", "response").order_by(
        "due_at", "pk"
    )
    if status:
        follow_ups = follow_ups.filter(status=status)
    if not actor.can(Perm.LISTENING_MANAGE):
        follow_ups = follow_ups.filter(assignee=actor.user)
    return follow_ups


def visible_survey_responses(
    actor: Actor,
    *,
    kind: str = "",
    since: datetime | None = None,
    agent_id: int | None = None,
    team_id: int | None = None,
) -> QuerySet[SurveyResponse]:
    """Survey answers, newest first: leads and admins see all; anyone else those about their own work
    or their own customers."""
    actor.require(Perm.LISTENING_VIEW)
    responses = SurveyResponse.objects.select_related("customer", "agent", "team").order_by(
        "-answered_at", "-pk"
    )
    if not actor.can(Perm.LISTENING_MANAGE):
        responses = responses.filter(Q(agent=actor.user) | Q(customer__associate=actor.user))
    if kind:
        responses = responses.filter(kind=kind)
    if since is not None:
        responses = responses.filter(answered_at__gte=since)
    if agent_id is not None:
        responses = responses.filter(agent_id=agent_id)
    if team_id is not None:
        responses = responses.filter(team_id=team_id)
    return responses


def visible_survey_invitations(
    actor: Actor, *, kind: str = "", status: str = "", customer_id: int | None = None
) -> QuerySet[SurveyInvitation]:
    """Invitations, newest first, with the addresses they went to: for leads and admins only."""
    actor.require(Perm.LISTENING_MANAGE)
    invitations = SurveyInvitation.objects.order_by("-created_at", "-pk")
    if kind:
        invitations = invitations.filter(kind=kind)
    if status:
        invitations = invitations.filter(status=status)
    if customer_id is not None:
        invitations = invitations.filter(customer_id=customer_id)
    return invitations
