"""Opening conversations, adding messages and notes, and changing status, priority, tags and fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.accounts.audit import record_audit
from rapport.accounts.models import Team
from rapport.accounts.permissions import Actor, Perm
from rapport.commerce.models import Order
from rapport.core.errors import Conflict, ValidationFailed
from rapport.core.memo import remember
from rapport.core.normalise import normalise_email
from rapport.customers.models import Customer, Tag
from rapport.desk import blobs, outbound
from rapport.desk.events import record_conversation_event
from rapport.desk.html import html_to_text, sanitise_html
from rapport.desk.models import (
    Attachment,
    Channel,
    Conversation,
    CustomField,
    CustomFieldKind,
    DeskSettings,
    Message,
    MessageKind,
    Priority,
    Status,
)
from rapport.desk.services import routing, sla

MAX_SUBJECT = 300
MAX_BODY = 200_000
MAX_PARTICIPANTS = 20

# Which status may follow which when a person changes it. Customer replies and the clock (snooze
# ending, auto-close) move conversations by their own rules, in receive_message and lifecycle.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.SNOOZED, Status.RESOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.SNOOZED, Status.RESOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.SNOOZED, Status.RESOLVED}),
    Status.SNOOZED: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

DETAIL_LABELS = {
    "subject": "subject",
    "participants": "people in copy",
    "custom_fields": "custom fields",
    "orders": "linked orders",
}

REOPENED_BY_CUSTOMER = frozenset({Status.PENDING, Status.SNOOZED, Status.RESOLVED})


@dataclass(frozen=True)
class AttachmentInput:
    filename: str
    content_type: str
    data: bytes


def desk_settings() -> DeskSettings:
    return remember("desk.settings", lambda: DeskSettings.objects.get_or_create(pk=1)[0])


def _clean_body(body_text: str, body_html: str) -> tuple[str, str]:
    if len(body_text) > MAX_BODY or len(body_html) > MAX_BODY:
        raise ValidationFailed(f"a message may hold at most {MAX_BODY} characters", code="body_too_long")
    clean_html = sanitise_html(body_html) if body_html else ""
    text = body_text.strip() or (html_to_text(clean_html) if clean_html else "")
    return text, clean_html


def _check_attachments(attachments: Sequence[AttachmentInput]) -> None:
    limit = desk_settings().max_attachment_bytes
    for item in attachments:
        if len(item.data) > limit:
            raise ValidationFailed(
                f"{item.filename} is {len(item.data)} bytes; attachments may be at most {limit} bytes",
                code="attachment_too_large",
            )
        if not item.filename.strip():
            raise ValidationFailed("an attachment needs a file name", code="attachment_invalid")


def _safe_filename(name: str) -> str:
    # Only the last path part, without control characters: the name goes into a download header.
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"')
    return cleaned[:255] or "attachment"


def _clean_participants(raw: Sequence[str]) -> list[str]:
    emails: list[str] = []
    for value in raw:
        email = normalise_email(value)
        if email not in emails:
            emails.append(email)
    if len(emails) > MAX_PARTICIPANTS:
        raise ValidationFailed(f"at most {MAX_PARTICIPANTS} people in copy", code="too_many_participants")
    return emails


def clean_custom_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Values checked against the admin's field definitions; unknown keys and bad values are refused."""
    fields = {field.key: field for field in CustomField.objects.filter(is_active=True, key__in=list(values))}
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in values.items():
        field = fields.get(key)
        if field is None:
            errors[key] = "no such field"
            continue
        if value is None or value == "":
            cleaned[key] = None
            continue
        try:
            cleaned[key] = _field_value(field, value)
        except ValueError as exc:
            errors[key] = str(exc) or f"not a valid {field.kind}"
    if errors:
        raise ValidationFailed(
            "some custom fields are not valid", code="invalid_custom_fields", errors=errors
        )
    return cleaned


def _field_value(field: CustomField, value: Any) -> Any:
    if field.kind == CustomFieldKind.NUMBER:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            raise ValueError("enter a number, such as 12 or 4.5")
        return str(number)
    if field.kind == CustomFieldKind.DATE:
        try:
            return date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError("enter a date as YYYY-MM-DD") from None
    if field.kind == CustomFieldKind.CHOICE:
        if str(value) not in field.choices:
            raise ValueError(f"choose one of {', '.join(field.choices)}")
        return str(value)
    text = str(value).strip()
    if len(text) > 1000:
        raise ValueError("at most 1000 characters")
    return text


def _tags(names: Sequence[str]) -> list[Tag]:
    tags = []
    for raw in names:
        name = raw.strip().lower()[:50]
        if name:
            tags.append(Tag.objects.get_or_create(name=name)[0])
    return tags


def _orders_of(customer: Customer, order_ids: Sequence[int]) -> list[Order]:
    orders = list(Order.objects.filter(customer=customer, pk__in=order_ids))
    if len(orders) != len(set(order_ids)):
        raise ValidationFailed(
            "orders can only be linked to a conversation of the same customer", code="order_not_found"
        )
    return orders


def _lock(conversation: Conversation) -> Conversation:
    locked = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=conversation.pk)
    )
    if locked.is_merged:
        raise Conflict("this conversation was merged into another", code="conversation_merged")
    return locked


@transaction.atomic
def open_conversation(
    *,
    actor: Actor | None,
    customer: Customer,
    channel: str,
    subject: str = "",
    body_text: str = "",
    body_html: str = "",
    first_message: str = MessageKind.INBOUND,
    priority: str = Priority.NORMAL,
    tags: Sequence[str] = (),
    team: Team | None = None,
    participants: Sequence[str] = (),
    order_ids: Sequence[int] = (),
    custom_fields: dict[str, Any] | None = None,
    attachments: Sequence[AttachmentInput] = (),
    sender: str = "",
    external_id: str = "",
) -> Conversation:
    """Start a conversation (a logged phone call, a form, an API client) and route it.

    Channels call this without an actor when a customer writes first; people and tokens pass themselves.
    """
    if actor is not None:
        actor.require(Perm.DESK_WORK)
    text, html = check_opening(
        customer=customer,
        channel=channel,
        priority=priority,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        attachments=attachments,
    )
    fields = clean_custom_fields(custom_fields or {})
    now = timezone.now()
    conversation = conversation_row(
        customer=customer,
        channel=channel,
        subject=subject,
        text=text,
        priority=priority,
        team=team,
        participants=participants,
        custom_fields=fields,
        actor=actor,
        at=now,
    )
    conversation.save(force_insert=True)
    if tags:
        conversation.tags.set(_tags(tags))
    if order_ids:
        conversation.orders.set(_orders_of(customer, order_ids))
    record_opened(conversation, actor=actor)
    _append_message(
        conversation=conversation,
        kind=first_message,
        actor=actor,
        text=text,
        html=html,
        attachments=attachments,
        sender=sender,
        external_id=external_id,
        at=now,
    )
    if first_message == MessageKind.OUTBOUND:
        # The company spoke first (outreach, a call we made): there is no first response to wait for.
        conversation.first_response_at = now
        conversation.status = Status.OPEN
    sla.start_clock(conversation=conversation, at=now)
    routing.route_new_conversation(conversation=conversation, at=now)
    conversation.save()
    return conversation


def check_opening(
    *,
    customer: Customer,
    channel: str,
    priority: str,
    subject: str,
    body_text: str,
    body_html: str,
    attachments: Sequence[AttachmentInput],
) -> tuple[str, str]:
    """Refuse a conversation that cannot be opened; the first message's clean text and HTML."""
    if customer.is_merged:
        raise Conflict("this customer was merged into another", code="customer_merged")
    if channel not in Channel.values:
        raise ValidationFailed(f"unknown channel {channel!r}", code="invalid_channel")
    if priority not in Priority.values:
        raise ValidationFailed(f"unknown priority {priority!r}", code="invalid_priority")
    if len(subject) > MAX_SUBJECT:
        raise ValidationFailed(
            f"a subject may hold at most {MAX_SUBJECT} characters", code="subject_too_long"
        )
    text, html = _clean_body(body_text, body_html)
    if not text and not attachments:
        raise ValidationFailed("a conversation starts with a message", code="empty_message")
    _check_attachments(attachments)
    return text, html


def conversation_row(
    *,
    customer: Customer,
    channel: str,
    subject: str,
    text: str,
    priority: str,
    team: Team | None,
    participants: Sequence[str],
    custom_fields: dict[str, Any],
    actor: Actor | None,
    at: datetime,
) -> Conversation:
    """A new conversation to insert (this module and bulk intake share it)."""
    return Conversation(
        customer=customer,
        channel=channel,
        subject=subject.strip() or text[:80],
        priority=priority,
        team=team,
        participants=_clean_participants(participants),
        custom_fields=custom_fields,
        created_by=actor.user if actor is not None else None,
        created_at=at,
        updated_at=at,
        last_message_at=at,
    )


def record_opened(conversation: Conversation, *, actor: Actor | None) -> None:
    record_conversation_event(
        conversation=conversation,
        kind="conversation.opened",
        summary=f"Conversation opened on {conversation.get_channel_display()}: {conversation.subject}",
        actor=actor,
        data={"channel": conversation.channel, "priority": conversation.priority},
    )


def _append_message(
    *,
    conversation: Conversation,
    kind: str,
    actor: Actor | None,
    text: str,
    html: str,
    attachments: Sequence[AttachmentInput],
    sender: str,
    external_id: str,
    at: datetime,
) -> Message:
    message = message_row(
        conversation=conversation,
        kind=kind,
        actor=actor,
        text=text,
        html=html,
        sender=sender,
        external_id=external_id,
        at=at,
    )
    message.save(force_insert=True)
    Attachment.objects.bulk_create(attachment_rows(message, attachments))
    count_message(conversation, message)
    record_message(conversation, message, actor=actor, attachments=len(attachments))
    return message


def message_row(
    *,
    conversation: Conversation,
    kind: str,
    actor: Actor | None,
    text: str,
    html: str,
    sender: str,
    external_id: str,
    at: datetime,
) -> Message:
    """A message to insert on the conversation (this module and bulk intake share it)."""
    if kind not in MessageKind.values:
        raise ValidationFailed(f"unknown message kind {kind!r}", code="invalid_message_kind")
    staff = actor.user if actor is not None and kind != MessageKind.INBOUND else None
    return Message(
        conversation=conversation,
        kind=kind,
        channel=conversation.channel,
        author=staff,
        sender=sender[:254] or (staff.email if staff else ""),
        body_text=text,
        body_html=html,
        external_id=external_id[:998],
        created_at=at,
    )


def attachment_rows(message: Message, attachments: Sequence[AttachmentInput]) -> list[Attachment]:
    """The attachments' rows to insert once the message has its id; their bytes are stored now."""
    return [
        Attachment(
            message=message,
            filename=_safe_filename(item.filename),
            content_type=(item.content_type or "application/octet-stream")[:100],
            size=len(item.data),
            sha256=blobs.store_blob(item.data),
            created_at=message.created_at,
        )
        for item in attachments
    ]


MESSAGE_LABELS = {
    MessageKind.INBOUND: "Customer wrote",
    MessageKind.OUTBOUND: "Reply sent",
    MessageKind.NOTE: "Internal note",
}


def count_message(conversation: Conversation, message: Message) -> None:
    """A new message moves the conversation's counters (the caller saves)."""
    at = message.created_at
    conversation.message_count += 1
    conversation.last_message_at = at
    conversation.updated_at = at
    if message.kind == MessageKind.INBOUND:
        conversation.last_inbound_at = at


def record_message(
    conversation: Conversation, message: Message, *, actor: Actor | None, attachments: int
) -> None:
    """An inserted message goes on the conversation's history."""
    record_conversation_event(
        conversation=conversation,
        kind=f"message.{message.kind}",
        summary=f"{MESSAGE_LABELS[MessageKind(message.kind)]}: {message.body_text[:200]}",
        actor=actor if message.kind != MessageKind.INBOUND else None,
        data={"message_id": message.pk, "attachments": attachments},
    )


@transaction.atomic
def receive_message(
    *,
    conversation: Conversation,
    body_text: str = "",
    body_html: str = "",
    attachments: Sequence[AttachmentInput] = (),
    sender: str = "",
    external_id: str = "",
    actor: Actor | None = None,
) -> Message:
    """A message from the customer. It reopens a pending, snoozed or resolved conversation.

    Channels call this without an actor; staff logging what a customer said pass themselves.
    A closed conversation is not reopened: the caller starts a follow-up (see follow_up_of).
    """
    if actor is not None:
        actor.require(Perm.DESK_WORK)
    conversation = _lock(conversation)
    text, html = check_customer_message(
        conversation, body_text=body_text, body_html=body_html, attachments=attachments
    )
    now = timezone.now()
    message = _append_message(
        conversation=conversation,
        kind=MessageKind.INBOUND,
        actor=actor,
        text=text,
        html=html,
        attachments=attachments,
        sender=sender,
        external_id=external_id,
        at=now,
    )
    reopen_for_customer(conversation, at=now)
    conversation.save()
    return message


def check_customer_message(
    conversation: Conversation, *, body_text: str, body_html: str, attachments: Sequence[AttachmentInput]
) -> tuple[str, str]:
    """Refuse a customer message the (locked) conversation cannot take; its clean text and HTML."""
    if conversation.status == Status.CLOSED:
        raise Conflict("this conversation is closed; start a follow-up", code="conversation_closed")
    text, html = _clean_body(body_text, body_html)
    if not text and not attachments:
        raise ValidationFailed("the message is empty", code="empty_message")
    _check_attachments(attachments)
    return text, html


def reopen_for_customer(conversation: Conversation, *, at: datetime) -> None:
    """A customer message reopens a pending, snoozed or resolved conversation (the caller saves)."""
    if conversation.status in REOPENED_BY_CUSTOMER:
        _set_status(conversation, Status.OPEN, actor=None, at=at, reason="the customer replied")


@transaction.atomic
def reply(
    *,
    actor: Actor,
    conversation: Conversation,
    body_text: str = "",
    body_html: str = "",
    attachments: Sequence[AttachmentInput] = (),
    then_status: str | None = None,
    seen_inbound_at: datetime | None = None,
) -> Message:
    """An agent's reply to the customer; optionally sets a status in the same step.

    seen_inbound_at is the newest customer message the agent had on screen: when the customer wrote
    again since, the reply is refused with `newer_customer_message` so the agent can read it first.
    """
    actor.require(Perm.DESK_WORK)
    conversation = _lock(conversation)
    if conversation.status == Status.CLOSED:
        raise Conflict("this conversation is closed", code="conversation_closed")
    if (
        seen_inbound_at is not None
        and conversation.last_inbound_at is not None
        and conversation.last_inbound_at > seen_inbound_at
    ):
        raise Conflict(
            "the customer wrote again while you were replying; read the new message first",
            code="newer_customer_message",
        )
    text, html = _clean_body(body_text, body_html)
    if not text and not attachments:
        raise ValidationFailed("the reply is empty", code="empty_message")
    _check_attachments(attachments)
    if then_status is not None:
        _check_transition(conversation, then_status)
    now = timezone.now()
    message = _append_message(
        conversation=conversation,
        kind=MessageKind.OUTBOUND,
        actor=actor,
        text=text,
        html=html,
        attachments=attachments,
        sender="",
        external_id="",
        at=now,
    )
    # The channel records what to send in this transaction; a rolled-back reply sends nothing.
    outbound.dispatch_reply(message)
    if conversation.first_response_at is None:
        conversation.first_response_at = now
        sla.record_first_response(conversation=conversation, at=now)
    target = then_status or (Status.OPEN if conversation.status == Status.NEW else None)
    if target is not None and target != conversation.status:
        _set_status(conversation, target, actor=actor, at=now)
    conversation.save()
    return message


@transaction.atomic
def add_note(
    *,
    actor: Actor,
    conversation: Conversation,
    body_text: str = "",
    body_html: str = "",
    attachments: Sequence[AttachmentInput] = (),
) -> Message:
    """An internal note: seen by staff only, never sent, and it does not count as a response."""
    actor.require(Perm.DESK_WORK)
    conversation = _lock(conversation)
    text, html = _clean_body(body_text, body_html)
    if not text and not attachments:
        raise ValidationFailed("the note is empty", code="empty_message")
    _check_attachments(attachments)
    message = _append_message(
        conversation=conversation,
        kind=MessageKind.NOTE,
        actor=actor,
        text=text,
        html=html,
        attachments=attachments,
        sender="",
        external_id="",
        at=timezone.now(),
    )
    # A note is not news for the customer: the conversation keeps its place in the inbox order.
    Conversation.objects.filter(pk=conversation.pk).update(
        message_count=conversation.message_count, updated_at=conversation.updated_at
    )
    return message


def _check_transition(conversation: Conversation, status: str) -> None:
    if status not in Status.values:
        raise ValidationFailed(f"unknown status {status!r}", code="invalid_status")
    if status != conversation.status and status not in ALLOWED_TRANSITIONS[Status(conversation.status)]:
        current, wanted = conversation.get_status_display().lower(), Status(status).label.lower()
        raise ValidationFailed(
            f"a {current} conversation cannot become {wanted}",
            code="invalid_transition",
        )


def _set_status(
    conversation: Conversation,
    status: str,
    *,
    actor: Actor | None,
    at: datetime,
    reason: str = "",
    snoozed_until: datetime | None = None,
) -> None:
    previous = conversation.status
    conversation.status = status
    conversation.updated_at = at
    conversation.snoozed_until = snoozed_until if status == Status.SNOOZED else None
    if status == Status.RESOLVED:
        conversation.resolved_at = at
    elif status != Status.CLOSED:
        conversation.resolved_at = None
    if status == Status.CLOSED:
        conversation.closed_at = at
    sla.on_status_change(conversation=conversation, previous=previous, at=at)
    label = Status(status).label.lower()
    if status == Status.SNOOZED and snoozed_until is not None:
        label = f"snoozed until {snoozed_until:%Y-%m-%d %H:%M} UTC"
    summary = f"Status: {Status(previous).label.lower()} → {label}"
    record_conversation_event(
        conversation=conversation,
        kind="conversation.status_changed",
        summary=f"{summary} ({reason})" if reason else summary,
        actor=actor,
        data={
            "from": previous,
            "to": status,
            "reason": reason,
            "snoozed_until": snoozed_until.isoformat() if snoozed_until else None,
        },
    )


def set_status_by_rule(*, conversation: Conversation, status: str, reason: str, at: datetime) -> None:
    """A status change the desk makes by itself (snooze ended, auto-close); the caller locks and saves."""
    _set_status(conversation, status, actor=None, at=at, reason=reason)


@transaction.atomic
def change_status(
    *,
    actor: Actor,
    conversation: Conversation,
    status: str,
    snoozed_until: datetime | None = None,
) -> Conversation:
    actor.require(Perm.DESK_WORK)
    conversation = _lock(conversation)
    _check_transition(conversation, status)
    now = timezone.now()
    if status == Status.SNOOZED:
        if snoozed_until is None or snoozed_until <= now:
            raise ValidationFailed("snooze until a time in the future", code="invalid_snooze")
    elif snoozed_until is not None:
        raise ValidationFailed("only a snoozed conversation has a snooze time", code="invalid_snooze")
    if status == conversation.status and status != Status.SNOOZED:
        return conversation
    _set_status(conversation, status, actor=actor, at=now, snoozed_until=snoozed_until)
    conversation.save()
    if status == Status.SNOOZED and snoozed_until is not None:
        from rapport.desk.tasks import schedule_wake_up

        schedule_wake_up(conversation.pk, snoozed_until)
    return conversation


@transaction.atomic
def set_priority(*, actor: Actor, conversation: Conversation, priority: str) -> Conversation:
    actor.require(Perm.DESK_WORK)
    if priority not in Priority.values:
        raise ValidationFailed(f"unknown priority {priority!r}", code="invalid_priority")
    conversation = _lock(conversation)
    if conversation.priority == priority:
        return conversation
    previous = conversation.priority
    conversation.priority = priority
    conversation.updated_at = timezone.now()
    sla.reapply_policy(conversation=conversation, at=conversation.updated_at)
    record_conversation_event(
        conversation=conversation,
        kind="conversation.priority_changed",
        summary=f"Priority: {previous} → {priority}",
        actor=actor,
        data={"from": previous, "to": priority},
    )
    conversation.save()
    return conversation


@transaction.atomic
def change_tags(
    *, actor: Actor, conversation: Conversation, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> Conversation:
    actor.require(Perm.DESK_WORK)
    conversation = _lock(conversation)
    current = {tag.name for tag in conversation.tags.all()}
    adding = [tag for tag in _tags(add) if tag.name not in current]
    removing = [name.strip().lower() for name in remove if name.strip().lower() in current]
    if adding:
        conversation.tags.add(*adding)
    if removing:
        conversation.tags.remove(*Tag.objects.filter(name__in=removing))
    if adding or removing:
        parts = [f"+{tag.name}" for tag in adding] + [f"-{name}" for name in removing]
        record_conversation_event(
            conversation=conversation,
            kind="conversation.tags_changed",
            summary=f"Tags: {' '.join(parts)}",
            actor=actor,
            data={"added": [tag.name for tag in adding], "removed": removing},
        )
        conversation.updated_at = timezone.now()
        conversation.save(update_fields=["updated_at"])
    return conversation


@transaction.atomic
def update_details(
    *,
    actor: Actor,
    conversation: Conversation,
    subject: str | None = None,
    participants: Sequence[str] | None = None,
    order_ids: Sequence[int] | None = None,
    custom_fields: dict[str, Any] | None = None,
) -> Conversation:
    """Subject, people in copy, linked orders and custom fields; each change is recorded."""
    actor.require(Perm.DESK_WORK)
    conversation = _lock(conversation)
    changes: dict[str, Any] = {}
    if subject is not None and subject.strip() != conversation.subject:
        if len(subject) > MAX_SUBJECT:
            raise ValidationFailed(
                f"a subject may hold at most {MAX_SUBJECT} characters", code="subject_too_long"
            )
        changes["subject"] = [conversation.subject, subject.strip()]
        conversation.subject = subject.strip()
    if participants is not None:
        cleaned = _clean_participants(participants)
        if cleaned != conversation.participants:
            changes["participants"] = [conversation.participants, cleaned]
            conversation.participants = cleaned
    if custom_fields is not None:
        merged = {**conversation.custom_fields, **clean_custom_fields(custom_fields)}
        if merged != conversation.custom_fields:
            changes["custom_fields"] = [conversation.custom_fields, merged]
            conversation.custom_fields = merged
    if order_ids is not None:
        orders = _orders_of(conversation.customer, order_ids)
        before = sorted(conversation.orders.values_list("pk", flat=True))
        after = sorted(order.pk for order in orders)
        if before != after:
            conversation.orders.set(orders)
            changes["orders"] = [before, after]
    if changes:
        conversation.updated_at = timezone.now()
        conversation.save()
        record_conversation_event(
            conversation=conversation,
            kind="conversation.updated",
            summary=f"Changed {', '.join(DETAIL_LABELS[name] for name in changes)}",
            actor=actor,
            data={"changes": changes},
        )
        record_audit(
            actor=actor,
            action="desk.conversation.update",
            target=conversation,
            before={key: value[0] for key, value in changes.items()},
            after={key: value[1] for key, value in changes.items()},
        )
    return conversation


def record_automatic_mail(*, conversation: Conversation, kind: str, summary: str, sender: str) -> None:
    """An auto-reply or a bounce arrived on a conversation: shown in its history, never answered.

    It is not a customer message, so it neither reopens the conversation nor stops an SLA clock.
    """
    record_conversation_event(
        conversation=conversation,
        kind=f"email.{kind}",
        summary=summary,
        data={"sender": sender[:254]},
    )
