"""Customer messages in bulk: what open_conversation and receive_message write, for many at once.

A burst of inbound mail is processed in batches inside one transaction. Writing each message through
the one-at-a-time services costs a dozen queries a message, and the ORM's work per query, not SQLite,
is most of the time. These functions write the same rows (they share the builders and rules of
``conversations``), with one insert per table for the whole batch: conversations, messages,
attachments, and, through the unit of work, their history rows. Only what varies per conversation
stays per conversation: routing a new one, and saving a conversation a reply changed.

They take no actor: only channels call them, for customers writing in. Any refusal (a merged
customer, a closed conversation, an empty message) raises for the whole call, as the one-at-a-time
service would for that message; a batch caller then writes its items one at a time to quarantine
only the one at fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import Team
from rapport.core.errors import Conflict
from rapport.customers.models import Customer
from rapport.desk.models import Attachment, Conversation, Message, MessageKind, Priority
from rapport.desk.services import routing, sla
from rapport.desk.services.conversations import (
    AttachmentInput,
    attachment_rows,
    check_customer_message,
    check_opening,
    conversation_row,
    count_message,
    message_row,
    record_message,
    record_opened,
    reopen_for_customer,
)


@dataclass(frozen=True)
class NewInbound:
    """A customer's first message, which opens a conversation."""

    customer: Customer
    channel: str
    subject: str
    body_text: str
    body_html: str = ""
    attachments: Sequence[AttachmentInput] = ()
    team: Team | None = None
    participants: Sequence[str] = ()
    sender: str = ""
    external_id: str = ""


@dataclass(frozen=True)
class InboundReply:
    """A customer's message on an existing conversation."""

    conversation_id: int
    body_text: str
    body_html: str = ""
    attachments: Sequence[AttachmentInput] = ()
    sender: str = ""
    external_id: str = ""


@transaction.atomic
def open_inbound_conversations(items: Sequence[NewInbound]) -> list[tuple[Conversation, Message]]:
    """open_conversation(actor=None, ...) for each item, in item order; the conversation and its message."""
    if not items:
        return []
    now = timezone.now()
    conversations: list[Conversation] = []
    messages: list[Message] = []
    for item in items:
        text, html = check_opening(
            customer=item.customer,
            channel=item.channel,
            priority=Priority.NORMAL,
            subject=item.subject,
            body_text=item.body_text,
            body_html=item.body_html,
            attachments=item.attachments,
        )
        conversation = conversation_row(
            customer=item.customer,
            channel=item.channel,
            subject=item.subject,
            text=text,
            priority=Priority.NORMAL,
            team=item.team,
            participants=item.participants,
            custom_fields={},
            actor=None,
            at=now,
        )
        conversations.append(conversation)
        messages.append(_customer_message(conversation, item, text=text, html=html, at=now))
    # The first message's counters and the SLA targets go in with the row: it is written once.
    for conversation, message in zip(conversations, messages, strict=True):
        count_message(conversation, message)
        sla.start_clock(conversation=conversation, at=now)
    Conversation.objects.bulk_create(conversations)
    for conversation in conversations:
        record_opened(conversation, actor=None)
    _insert(messages, [item.attachments for item in items])
    for conversation, message, item in zip(conversations, messages, items, strict=True):
        record_message(conversation, message, actor=None, attachments=len(item.attachments))
    for conversation in conversations:
        _route(conversation, at=now)
    return list(zip(conversations, messages, strict=True))


@transaction.atomic
def receive_inbound_messages(items: Sequence[InboundReply]) -> list[Message]:
    """receive_message(conversation=..., ...) for each item, in item order; the messages."""
    if not items:
        return []
    now = timezone.now()
    locked = {
        conversation.pk: conversation
        for conversation in Conversation.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk__in={item.conversation_id for item in items})
    }
    before = {pk: _values(conversation) for pk, conversation in locked.items()}
    messages: list[Message] = []
    for item in items:
        conversation = locked.get(item.conversation_id)
        if conversation is None:
            raise Conflict("this conversation no longer exists", code="conversation_not_found")
        if conversation.is_merged:
            raise Conflict("this conversation was merged into another", code="conversation_merged")
        text, html = check_customer_message(
            conversation, body_text=item.body_text, body_html=item.body_html, attachments=item.attachments
        )
        messages.append(_customer_message(conversation, item, text=text, html=html, at=now))
    _insert(messages, [item.attachments for item in items])
    for message, item in zip(messages, items, strict=True):
        conversation = locked[item.conversation_id]
        count_message(conversation, message)
        record_message(conversation, message, actor=None, attachments=len(item.attachments))
        reopen_for_customer(conversation, at=now)
    for conversation_id in dict.fromkeys(item.conversation_id for item in items):
        conversation = locked[conversation_id]
        # Only the columns that changed: rewriting the whole row would touch every index on it (and
        # the subject's search index) for a new message's counters.
        before_values = before[conversation_id]
        changed = [name for name, value in _values(conversation).items() if value != before_values[name]]
        conversation.save(update_fields=changed)
    return messages


def _customer_message(
    conversation: Conversation, item: NewInbound | InboundReply, *, text: str, html: str, at: datetime
) -> Message:
    return message_row(
        conversation=conversation,
        kind=MessageKind.INBOUND,
        actor=None,
        text=text,
        html=html,
        sender=item.sender,
        external_id=item.external_id,
        at=at,
    )


def _values(conversation: Conversation) -> dict[str, object]:
    return {
        field.name: getattr(conversation, field.attname)
        for field in Conversation._meta.concrete_fields
        if not field.primary_key and not getattr(field, "generated", False)
    }


def _insert(messages: list[Message], attachments: list[Sequence[AttachmentInput]]) -> None:
    Message.objects.bulk_create(messages)
    rows = [
        row
        for message, items in zip(messages, attachments, strict=True)
        for row in attachment_rows(message, items)
    ]
    if rows:
        Attachment.objects.bulk_create(rows)


def _route(conversation: Conversation, *, at: datetime) -> None:
    """Route as open_conversation does; the row is written again only when routing changed it."""
    before = (conversation.team_id, conversation.assignee_id)
    routing.route_new_conversation(conversation=conversation, at=at)
    if (conversation.team_id, conversation.assignee_id) != before:
        conversation.save(update_fields=["team", "assignee", "assigned_reason", "assigned_at", "updated_at"])
