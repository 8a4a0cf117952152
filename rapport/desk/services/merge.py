"""Merging two conversations into one, splitting a message out into its own, and following customer merges."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import Conflict, ValidationFailed
from rapport.customers.models import Customer
from rapport.desk.events import record_conversation_event
from rapport.desk.models import Conversation, Message, MessageKind, Status
from rapport.desk.services import routing, sla

# What other apps keep on a conversation (recovery actions, say) follows a merge: each registers a step
# that moves its records from the merged-away conversation to the one it went into, and counts them.
ConversationMergeStep = Callable[[Conversation, Conversation], dict[str, int]]

_merge_steps: dict[str, ConversationMergeStep] = {}


def register_conversation_merge_step(name: str, step: ConversationMergeStep) -> None:
    _merge_steps[name] = step


def _recount(conversation: Conversation) -> None:
    """Counters and activity times from the messages the conversation now holds."""
    messages = Message.objects.filter(conversation=conversation)
    conversation.message_count = messages.count()
    latest = messages.exclude(kind=MessageKind.NOTE).aggregate(last=Max("created_at"))["last"]
    conversation.last_message_at = latest or conversation.created_at
    conversation.last_inbound_at = messages.filter(kind=MessageKind.INBOUND).aggregate(
        last=Max("created_at")
    )["last"]
    first_reply = messages.filter(kind=MessageKind.OUTBOUND).aggregate(first=Min("created_at"))["first"]
    conversation.first_response_at = first_reply


@transaction.atomic
def merge_conversations(*, actor: Actor, source: Conversation, target: Conversation) -> Conversation:
    """Move everything of source into target and close source, pointing at target. Returns target.

    Only conversations of the same customer merge: moving one customer's messages into another's
    thread would show them to the wrong person.
    """
    actor.require(Perm.DESK_WORK)
    if source.pk == target.pk:
        raise ValidationFailed("a conversation cannot be merged into itself", code="merge_same")
    # Lock both rows in id order so two merges of the same pair cannot deadlock.
    locked = {
        c.pk: c
        for c in Conversation.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    for conversation in (source, target):
        if conversation.is_merged:
            raise Conflict(f"conversation {conversation.pk} was already merged", code="conversation_merged")
    if source.customer_id != target.customer_id:
        raise ValidationFailed(
            "only conversations of the same customer can be merged", code="merge_other_customer"
        )
    if target.status == Status.CLOSED:
        raise Conflict("cannot merge into a closed conversation", code="conversation_closed")
    now = timezone.now()
    moved = Message.objects.filter(conversation=source).update(conversation=target)
    moved_by_apps = {
        f"{name}.{what}": count
        for name, step in _merge_steps.items()
        for what, count in step(source, target).items()
    }
    target.tags.add(*source.tags.all())
    target.orders.add(*source.orders.all())
    target.participants = list(dict.fromkeys([*target.participants, *source.participants]))
    target.custom_fields = {**source.custom_fields, **target.custom_fields}
    _recount(target)
    _recount(source)
    target.updated_at = now
    sla.on_status_change(conversation=target, previous=target.status, at=now)
    target.save()

    previous_status = source.status
    source.status = Status.CLOSED
    source.closed_at = now
    source.snoozed_until = None
    source.merged_into = target
    source.updated_at = now
    sla.on_status_change(conversation=source, previous=previous_status, at=now)
    source.save()
    record_conversation_event(
        conversation=source,
        kind="conversation.merged",
        summary=f"Merged into conversation {target.pk}: {target.subject}",
        actor=actor,
        data={"into": target.pk, "messages": moved, **moved_by_apps},
    )
    record_conversation_event(
        conversation=target,
        kind="conversation.merged_in",
        summary=f"Conversation {source.pk} merged in ({moved} messages): {source.subject}",
        actor=actor,
        data={"from": source.pk, "messages": moved, **moved_by_apps},
    )
    return target


@transaction.atomic
def split_message(*, actor: Actor, message: Message) -> Conversation:
    """Move one customer message (with its attachments) into a new conversation of the same customer."""
    actor.require(Perm.DESK_WORK)
    original = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=message.conversation_id)
    )
    message = Message.objects.select_for_update().get(pk=message.pk)
    if original.is_merged:
        raise Conflict("this conversation was merged into another", code="conversation_merged")
    if message.kind != MessageKind.INBOUND:
        raise ValidationFailed(
            "only a customer's message can start a conversation of its own", code="split_not_inbound"
        )
    if Message.objects.filter(conversation=original).count() < 2:
        raise ValidationFailed("the conversation has only this message", code="split_only_message")
    now = timezone.now()
    subject = (original.subject or "")[:280]
    created = Conversation.objects.create(
        customer=original.customer,
        channel=message.channel,
        subject=f"{subject} (split)" if subject else message.body_text[:80],
        priority=original.priority,
        team=original.team,
        participants=original.participants,
        created_by=actor.user,
        created_at=now,
        updated_at=now,
        last_message_at=message.created_at,
    )
    created.tags.set(original.tags.all())
    Message.objects.filter(pk=message.pk).update(conversation=created)
    _recount(created)
    _recount(original)
    record_conversation_event(
        conversation=created,
        kind="conversation.opened",
        summary=f"Split from conversation {original.pk}: {created.subject}",
        actor=actor,
        data={"split_from": original.pk, "message_id": message.pk},
    )
    sla.start_clock(conversation=created, at=now)
    routing.route_new_conversation(conversation=created, at=now)
    created.save()
    original.updated_at = now
    original.save()
    record_conversation_event(
        conversation=original,
        kind="conversation.split",
        summary=f"A message was split into conversation {created.pk}",
        actor=actor,
        data={"into": created.pk, "message_id": message.pk},
    )
    return created


def move_desk_records(source: Customer, target: Customer) -> dict[str, int]:
    """Customer merge step: the merged-away customer's conversations now belong to the survivor."""
    moved = Conversation.objects.filter(customer=source).update(customer=target)
    return {"conversations": moved}
