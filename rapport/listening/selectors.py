"""Listening reads that pages and the API share, each limited to what the asking person may see."""

from __future__ import annotations

from django.db.models import QuerySet

from rapport.accounts.permissions import Actor, Perm
from rapport.listening.models import Alert, AlertStatus, FollowUp, FollowUpStatus


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
