"""Schemas of the desk router: conversations, messages with attachments, events, macros and filters."""

from __future__ import annotations

import binascii
from datetime import date, datetime
from typing import Annotated, Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Schema

from rapport.api.v1.schemas.common import UNSENT, Id, Instant, Text
from rapport.core.errors import ValidationFailed
from rapport.desk.models import (
    Attachment,
    Channel,
    Conversation,
    MessageKind,
    Priority,
    SlaState,
    Status,
)
from rapport.desk.selectors.inbox import SLA_FILTERS, VIEWS
from rapport.desk.services.conversations import AttachmentInput

TagName = Annotated[Text, Field(min_length=1, max_length=50)]
FieldKey = Annotated[Text, Field(min_length=1, max_length=50)]
# A custom field's value as JSON gives it; the admin's definition decides what is valid.
FieldValue = str | int | Annotated[float, Field(allow_inf_nan=False)] | bool | None
# Subject, body and people-in-copy limits are the services' (subject_too_long, body_too_long,
# too_many_participants), so a client gets the same code from the API as from the pages.
MAX_ATTACHMENTS = 10
# Days whose start, in any time zone, is a time the database can hold (year 1 and 9999 are not).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9999, 12, 30)
MAX_ORDERS = 100
MAX_TAGS = 50


# Input


class AttachmentIn(Schema):
    filename: Text = Field(min_length=1, max_length=255)
    content_type: Text = Field("application/octet-stream", max_length=100)
    content_base64: str = Field(
        description="The file's bytes, base64 (RFC 4648, standard alphabet, padded)",
        json_schema_extra={"contentEncoding": "base64"},
    )

    def to_input(self, position: int) -> AttachmentInput:
        """The decoded file; bad base64 is a 422 `attachment_invalid` naming the attachment."""
        try:
            # Strict: stray characters, whitespace or wrong padding mean the sender encoded it wrong,
            # and a lenient decoder would store different bytes than they meant.
            if len(self.content_base64) % 4:
                raise ValueError("padded base64 comes in groups of four characters")
            data = binascii.a2b_base64(self.content_base64, strict_mode=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(
                f"attachment {position + 1} ({self.filename}) is not valid base64",
                code="attachment_invalid",
                errors={f"attachments.{position}.content_base64": "not valid base64"},
            ) from None
        return AttachmentInput(filename=self.filename, content_type=self.content_type, data=data)


class MessageIn(Schema):
    body_text: Text = Field("", description="Plain text; derived from body_html when left empty")
    body_html: Text = Field("", description="Sanitised before it is stored: no scripts or event handlers")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)

    def attachment_inputs(self) -> list[AttachmentInput]:
        return [item.to_input(position) for position, item in enumerate(self.attachments)]


class ReplyIn(MessageIn):
    then_status: Status | None = Field(None, description="Status to set with the reply, e.g. pending")
    seen_inbound_at: Instant | None = Field(
        None,
        description=(
            "last_inbound_at as the agent saw it; when the customer wrote since, the reply is refused "
            "with 409 `newer_customer_message`"
        ),
    )


class InboundIn(MessageIn):
    sender: Text = Field("", max_length=254, description="The customer's address on the channel")


class ConversationIn(MessageIn):
    customer_id: Id
    channel: Channel = Channel.API
    subject: Text = Field("", description="At most 300 characters; defaults to the start of the message")
    first_message: MessageKind = Field(
        MessageKind.INBOUND, description="inbound (the customer wrote), outbound (staff wrote first) or note"
    )
    priority: Priority = Priority.NORMAL
    tags: list[TagName] = Field(default_factory=list, max_length=MAX_TAGS)
    team_id: Id | None = Field(None, description="Routed to the customer's associate or the team")
    participants: list[Text] = Field(default_factory=list, description="Email addresses in copy (at most 20)")
    order_ids: list[Id] = Field(default_factory=list, max_length=MAX_ORDERS)
    custom_fields: dict[FieldKey, FieldValue] = Field(default_factory=dict)


class ConversationPatch(Schema):
    """Only the fields sent change; omitted fields keep their value."""

    subject: Text = Field(UNSENT)
    participants: list[Text] = Field(UNSENT, description="Replaces the people in copy")
    order_ids: list[Id] = Field(UNSENT, max_length=MAX_ORDERS, description="Replaces the linked orders")
    custom_fields: dict[FieldKey, FieldValue] = Field(
        UNSENT, description="Merged into the current values; null clears one"
    )
    priority: Priority = Field(UNSENT)


class StatusIn(Schema):
    status: Status
    snoozed_until: Instant | None = Field(None, description="Required with status snoozed, in the future")


class AssignmentIn(Schema):
    assignee_id: Id | None = Field(description="null leaves the conversation unassigned")
    team_id: Id | None = Field(None, description="Move the conversation to this team as well")


class TagsIn(Schema):
    add: list[TagName] = Field(default_factory=list, max_length=MAX_TAGS)
    remove: list[TagName] = Field(default_factory=list, max_length=MAX_TAGS)


class ConversationMergeIn(Schema):
    target_id: Id = Field(description="The conversation that receives this one's messages and survives")


class ConversationFilters(Schema):
    view: str = Field(
        "open",
        description="mine, unassigned, team, breaching, open, snoozed or all",
        json_schema_extra={"enum": list(VIEWS)},
        pattern="^(" + "|".join(VIEWS) + ")$",
    )
    status: list[Status] = Field(default_factory=list, max_length=len(Status.values))
    priority: list[Priority] = Field(default_factory=list, max_length=len(Priority.values))
    tag: Text = Field("", max_length=50)
    channel: Channel | None = None
    assignee_id: Id | None = None
    unassigned: bool = Field(False, description="Only conversations nobody is assigned to")
    team_id: Id | None = None
    sla: str = Field(
        "",
        description="SLA state as of now: ok, near, breached or paused",
        json_schema_extra={"enum": ["", *SLA_FILTERS]},
        pattern="^(" + "|".join(SLA_FILTERS) + ")?$",
    )
    created_from: date | None = Field(
        None, ge=FIRST_DAY, le=LAST_DAY, description="Opened on or after this day (the desk's time zone)"
    )
    created_to: date | None = Field(
        None, ge=FIRST_DAY, le=LAST_DAY, description="Opened on or before this day (the desk's time zone)"
    )
    q: Text = Field("", max_length=200, description="Words in the subject or the messages")


class SearchParams(Schema):
    q: Text = Field(min_length=1, max_length=200, description="Words in the subject or the messages")


class MacroFilters(Schema):
    conversation_id: Id | None = Field(None, description="Only macros usable on this conversation")


class EventStreamParams(Schema):
    after_id: int = Field(0, ge=0, le=2**63 - 1, description="id of the last event already read")
    limit: int = Field(100, ge=1, le=500, description="Events per answer")


# Output


class ConversationOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    channel: Channel
    subject: str
    status: Status
    priority: Priority
    tags: list[str]
    team_id: int | None
    assignee_id: int | None
    sla_state: SlaState = Field(description="As of the answer: ok, near, breached, paused, met or none")
    sla_due_at: datetime | None = Field(description="When the earliest running SLA target falls due")
    snoozed_until: datetime | None
    message_count: int
    last_message_at: datetime
    last_inbound_at: datetime | None = Field(description="Send as seen_inbound_at with a reply")
    merged_into_id: int | None = Field(description="Set when this conversation was merged into another")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer_name(obj: Conversation) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_tags(obj: Conversation) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())

    @staticmethod
    def resolve_sla_state(obj: Conversation) -> str:
        return obj.sla_status(timezone.now())


class ConversationPage(Schema):
    count: int
    items: list[ConversationOut]


class SlaOut(Schema):
    policy_id: int | None
    state: SlaState
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    first_response_breached: bool
    resolution_due_at: datetime | None
    resolution_breached: bool
    due_at: datetime | None
    warn_at: datetime | None
    paused_at: datetime | None = Field(description="Set while the clock stands still")


class CountsOut(Schema):
    messages: int
    inbound: int
    outbound: int
    notes: int
    attachments: int


class ConversationDetailOut(ConversationOut):
    participants: list[str]
    order_ids: list[int]
    custom_fields: dict[str, Any]
    assigned_reason: str = Field(description='Why it went to its assignee, e.g. "associate of this customer"')
    assigned_at: datetime | None
    sla: SlaOut
    counts: CountsOut
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    created_by_id: int | None

    @staticmethod
    def resolve_order_ids(obj: Conversation) -> list[int]:
        return sorted(order.pk for order in obj.orders.all())

    @staticmethod
    def resolve_sla(obj: Conversation) -> dict[str, Any]:
        return {
            "policy_id": obj.sla_policy_id,
            "state": obj.sla_status(timezone.now()),
            "first_response_due_at": obj.first_response_due_at,
            "first_response_at": obj.first_response_at,
            "first_response_breached": obj.first_response_breached,
            "resolution_due_at": obj.resolution_due_at,
            "resolution_breached": obj.resolution_breached,
            "due_at": obj.sla_due_at,
            "warn_at": obj.sla_warn_at,
            "paused_at": obj.sla_paused_at,
        }

    @staticmethod
    def resolve_counts(obj: Conversation) -> dict[str, int]:
        # One query; distinct because the join to attachments repeats a message per file.
        return obj.messages.aggregate(
            messages=Count("pk", distinct=True),
            inbound=Count("pk", filter=Q(kind=MessageKind.INBOUND), distinct=True),
            outbound=Count("pk", filter=Q(kind=MessageKind.OUTBOUND), distinct=True),
            notes=Count("pk", filter=Q(kind=MessageKind.NOTE), distinct=True),
            attachments=Count("attachments"),
        )


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    download_url: str = Field(description="Path of the download, with the same credentials")

    @staticmethod
    def resolve_download_url(obj: Attachment) -> str:
        return reverse("api-v1:download_attachment", args=[obj.pk])


class MessageOut(Schema):
    id: int
    conversation_id: int
    kind: MessageKind
    channel: Channel
    author_id: int | None = Field(description="Staff author of replies and notes")
    sender: str
    body_text: str
    body_html: str = Field(description="Sanitised HTML")
    created_at: datetime
    attachments: list[AttachmentOut]


class MessagePage(Schema):
    count: int
    items: list[MessageOut]


class ConversationEventOut(Schema):
    id: int
    conversation_id: int
    kind: str = Field(description="e.g. conversation.status_changed, message.outbound")
    actor_id: int | None
    summary: str
    data: dict[str, Any]
    created_at: datetime


class ConversationEventPage(Schema):
    count: int
    items: list[ConversationEventOut]


class EventStream(Schema):
    items: list[ConversationEventOut]
    next_after_id: int = Field(description="Pass as after_id for the next answer")

    @classmethod
    def of(cls, events: list[Any], *, after_id: int) -> EventStream:
        return cls.model_validate({"items": events, "next_after_id": events[-1].pk if events else after_id})


class MacroOut(Schema):
    id: int
    name: str
    body: str = Field(description="Template with customer and order variables")
    actions: dict[str, Any] = Field(description="Applied with the macro: status, priority, add_tags, assign")
    team_id: int | None = Field(description="null: shared with every team")
    usage_count: int


class MacroPage(Schema):
    count: int
    items: list[MacroOut]


class MacroAppliedOut(Schema):
    text: str = Field(description="The macro's body rendered for this conversation, to put in a reply")
    unresolved_variables: list[str] = Field(
        description="Variables left as written in text because the desk could not fill them"
    )
    conversation: ConversationDetailOut


def conversation_filter_values(filters: ConversationFilters) -> dict[str, Any]:
    """The filters as InboxFilters' keyword arguments."""
    return {
        "view": filters.view,
        "status": tuple(filters.status),
        "priority": tuple(filters.priority),
        "tag": filters.tag.strip(),
        "channel": filters.channel or "",
        "assignee_id": filters.assignee_id,
        "unassigned": filters.unassigned,
        "team_id": filters.team_id,
        "sla": filters.sla,
        "created_from": filters.created_from,
        "created_to": filters.created_to,
        "query": filters.q.strip(),
    }
