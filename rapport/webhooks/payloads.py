"""The desk's and the customers' webhook events: which timeline rows they come from and their JSON.

A payload is built inside the transaction that records the change, from the timeline row and the
objects it names. The row's data wins over a re-read of the object where the two can differ (a status
or assignee changed in memory and saved after the event is recorded).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rapport.customers.models import Customer, Identity, IdentityKind, TimelineEvent
from rapport.desk.models import Conversation, Message
from rapport.webhooks.catalogue import register_event_type


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def _customer(customer_id: int) -> dict[str, Any]:
    customer = Customer.objects.filter(pk=customer_id).order_by().first()
    if customer is None:
        return {"id": customer_id}
    identities = list(
        Identity.objects.filter(customer_id=customer_id)
        .order_by("kind", "-is_primary", "value")
        .only("kind", "value")
    )
    return {
        "id": customer.pk,
        "external_id": customer.external_id,
        "name": customer.name,
        "language": customer.language,
        "time_zone": customer.time_zone,
        "country": customer.country,
        "emails": [i.value for i in identities if i.kind == IdentityKind.EMAIL],
        "phones": [i.value for i in identities if i.kind == IdentityKind.PHONE],
        "social": [i.value for i in identities if i.kind == IdentityKind.SOCIAL],
        "tags": sorted(customer.tags.values_list("name", flat=True)),
        "associate_id": customer.associate_id,
        "marketing_consent": customer.marketing_consent,
        "created_at": _time(customer.created_at),
        "updated_at": _time(customer.updated_at),
    }


def _conversation(event: TimelineEvent) -> dict[str, Any]:
    conversation_id = _int_or_none(event.data.get("conversation_id")) or _int_or_none(event.subject_id)
    conversation = (
        Conversation.objects.filter(pk=conversation_id).order_by().first() if conversation_id else None
    )
    if conversation is None:
        return {"id": conversation_id, "customer_id": event.customer_id}
    return {
        "id": conversation.pk,
        "customer_id": conversation.customer_id,
        "subject": conversation.subject,
        "channel": conversation.channel,
        "status": conversation.status,
        "priority": conversation.priority,
        "team_id": conversation.team_id,
        "assignee_id": conversation.assignee_id,
        "order_ids": sorted(conversation.orders.values_list("pk", flat=True)),
        "created_at": _time(conversation.created_at),
    }


def _base(event: TimelineEvent) -> dict[str, Any]:
    return {"customer_id": event.customer_id, "actor_id": event.actor_id, "summary": event.summary}


def conversation_opened(event: TimelineEvent) -> dict[str, Any]:
    return {**_base(event), "conversation": _conversation(event)}


def conversation_status_changed(event: TimelineEvent) -> dict[str, Any]:
    conversation = _conversation(event)
    if event.data.get("to"):
        conversation["status"] = event.data["to"]
    return {
        **_base(event),
        "conversation": conversation,
        "from": event.data.get("from"),
        "to": event.data.get("to"),
        "reason": event.data.get("reason", ""),
        "snoozed_until": event.data.get("snoozed_until"),
    }


def conversation_assigned(event: TimelineEvent) -> dict[str, Any]:
    conversation = _conversation(event)
    conversation["assignee_id"] = event.data.get("to")
    return {
        **_base(event),
        "conversation": conversation,
        "assignee_id": event.data.get("to"),
        "previous_assignee_id": event.data.get("from"),
        "reason": event.data.get("reason", ""),
    }


def _message_payload(event: TimelineEvent) -> dict[str, Any]:
    message_id = _int_or_none(event.data.get("message_id"))
    message = Message.objects.filter(pk=message_id).order_by().first() if message_id else None
    shown: dict[str, Any] = {"id": message_id}
    if message is not None:
        shown = {
            "id": message.pk,
            "kind": message.kind,
            "channel": message.channel,
            "sender": message.sender,
            "author_id": message.author_id,
            "text": message.body_text,
            "attachments": event.data.get("attachments", 0),
            "created_at": _time(message.created_at),
        }
    return {**_base(event), "conversation": _conversation(event), "message": shown}


def customer_created(event: TimelineEvent) -> dict[str, Any]:
    return {**_base(event), "customer": _customer(event.customer_id)}


def customer_updated(event: TimelineEvent) -> dict[str, Any]:
    return {**_base(event), "customer": _customer(event.customer_id), "change": event.kind}


def customer_merged(event: TimelineEvent) -> dict[str, Any]:
    return {
        **_base(event),
        "customer": _customer(event.customer_id),
        "merged_customer_id": event.data.get("source_id"),
    }


def register_core_event_types() -> None:
    """The catalogue entries of the desk and the customers (the recovery app registers its own)."""
    register_event_type(
        "conversation.opened",
        description="A conversation started: a customer wrote in on any channel, or staff opened one.",
        timeline_kinds=["desk.conversation.opened"],
        payload=conversation_opened,
    )
    register_event_type(
        "conversation.status_changed",
        description="A conversation was resolved, closed, reopened, snoozed or set pending.",
        timeline_kinds=["desk.conversation.status_changed"],
        payload=conversation_status_changed,
    )
    register_event_type(
        "conversation.assigned",
        description="A conversation was assigned to an agent, by routing or by hand, or unassigned.",
        timeline_kinds=["desk.conversation.assigned"],
        payload=conversation_assigned,
    )
    register_event_type(
        "message.received",
        description="A customer's message arrived in a conversation (its text included).",
        timeline_kinds=["desk.message.inbound"],
        payload=_message_payload,
    )
    register_event_type(
        "message.sent",
        description="An agent replied to the customer (internal notes are never sent).",
        timeline_kinds=["desk.message.outbound"],
        payload=_message_payload,
    )
    register_event_type(
        "customer.created",
        description="A new customer: created by staff, an import, the API or their first message.",
        timeline_kinds=["customer.created"],
        payload=customer_created,
    )
    register_event_type(
        "customer.updated",
        description="A customer's details changed: associate, identities (email, phone, social) or tags.",
        timeline_kinds=[
            "customer.updated",
            "customer.associate_changed",
            "identity.added",
            "identity.removed",
            "tag.added",
            "tag.removed",
        ],
        payload=customer_updated,
    )
    register_event_type(
        "customer.merged",
        description="A duplicate customer was merged into this one; the duplicate's id no longer exists.",
        timeline_kinds=["customer.merged"],
        payload=customer_merged,
    )
