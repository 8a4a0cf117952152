"""Append-only timeline rows: every app records what happened with a customer through this module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from rapport.accounts.permissions import Actor
from rapport.customers.models import Customer, TimelineEvent


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
    return TimelineEvent.objects.create(
        customer=customer,
        kind=kind,
        summary=summary[:300],
        actor=actor.user if actor else None,
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        data=data or {},
        occurred_at=occurred_at or timezone.now(),
    )
