"""Alerts: raised once per cause, for one person or for the leads, acknowledged by the people they are for."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rapport.accounts.models import User
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import Conflict, NotFound
from rapport.customers.events import record_event
from rapport.customers.models import Customer
from rapport.desk.models import Conversation
from rapport.listening.models import Alert, AlertStatus

# Called after the commit that raised an alert (the alert mail is sent this way); registered at start-up.
AlertListener = Callable[[int], None]
_listeners: list[AlertListener] = []


def register_alert_listener(listener: AlertListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def raise_alert(
    *,
    kind: str,
    cause_key: str,
    title: str,
    detail: str = "",
    customer: Customer | None = None,
    conversation: Conversation | None = None,
    recipient: User | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Alert | None:
    """Record the alert, or nothing when this cause already raised one (then None is returned).

    ``at``: when what raised it happened (a survey answer's time), if not now.
    """
    if Alert.objects.filter(cause_key=cause_key[:120]).exists():
        return None
    try:
        # A savepoint: a concurrent raise of the same cause must not spoil the caller's transaction.
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=kind,
                cause_key=cause_key[:120],
                title=title[:200],
                detail=detail,
                customer=customer,
                conversation=conversation,
                recipient=recipient,
                data=data or {},
                raised_at=at or timezone.now(),
            )
    except IntegrityError:
        return None
    if customer is not None:
        record_event(
            customer=customer,
            kind="listening.alert_raised",
            summary=f"Alert: {alert.title}",
            subject=alert,
            data={"alert_id": alert.pk, "kind": kind},
            occurred_at=alert.raised_at,
        )
    for listener in _listeners:
        transaction.on_commit(functools.partial(listener, alert.pk))
    return alert


def can_see_alert(actor: Actor, alert: Alert) -> bool:
    if actor.can(Perm.LISTENING_MANAGE):
        return True
    return actor.can(Perm.LISTENING_VIEW) and alert.recipient_id == actor.user.pk


@transaction.atomic
def acknowledge_alert(*, actor: Actor, alert_id: int) -> Alert:
    """Mark the alert seen; only its recipient or a lead may, and acknowledging twice is refused."""
    actor.require(Perm.LISTENING_VIEW)
    alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
    if alert is None or not can_see_alert(actor, alert):
        raise NotFound("no such alert", code="alert_not_found")
    if alert.status == AlertStatus.ACKNOWLEDGED:
        raise Conflict("this alert was already acknowledged", code="alert_acknowledged")
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = actor.user
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    return alert
