"""Append-only timeline rows: every app records what happened with a customer through this module.

Other apps may listen to the timeline (outbound webhooks do): a listener is called for every row
recorded here, inside the transaction that records it, so what it writes commits or rolls back with
the change itself. Inside a unit of work (``rapport.core.unit_of_work``: a batch of inbound mail) the
rows are inserted together when the unit ends, and the listeners are called then, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from rapport.accounts.permissions import Actor
from rapport.core.unit_of_work import append_row
from rapport.customers.models import Customer, TimelineEvent

TimelineListener = Callable[[TimelineEvent], None]

_LISTENERS: list[TimelineListener] = []


def register_timeline_listener(listener: TimelineListener) -> None:
    """Call `listener` with every timeline row recorded from now on (once per listener)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def record_event(
    *,
    customer: Customer,
    kind: str,
    summary: str,
    actor: Actor | None = None,
    subject: models.Model | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> TimelineEvent:
    event = TimelineEvent(
        customer=customer,
        kind=kind,
        summary=summary[:300],
        actor=actor.user if actor else None,
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        data=data or {},
        occurred_at=occurred_at or timezone.now(),
    )
    return append_row(event, after_insert=_notify_listeners)


def _notify_listeners(event: TimelineEvent) -> None:
    for listener in _LISTENERS:
        listener(event)
