"""Append-only history of conversations: every change is a row here and on the customer's timeline."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from rapport.accounts.permissions import Actor
from rapport.core.unit_of_work import append_row
from rapport.customers.events import record_event
from rapport.desk.models import Conversation, ConversationEvent


def record_conversation_event(
    *,
    conversation: Conversation,
    kind: str,
    summary: str,
    actor: Actor | None = None,
    data: dict[str, Any] | None = None,
) -> ConversationEvent:
    """Write the change on the conversation and on its customer's 360 timeline, at the same instant."""
    now = timezone.now()
    payload = {"conversation_id": conversation.pk, **(data or {})}
    event = append_row(
        ConversationEvent(
            conversation=conversation,
            kind=kind,
            actor=actor.user if actor else None,
            summary=summary[:300],
            data=payload,
            created_at=now,
        )
    )
    record_event(
        customer=conversation.customer,
        kind=f"desk.{kind}",
        summary=summary,
        actor=actor,
        subject=conversation,
        data=payload,
        occurred_at=now,
    )
    return event
