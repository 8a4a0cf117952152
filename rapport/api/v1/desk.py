"""Desk API: conversations, messages, notes, assignment, status, tags, attachments, events and search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from rapport.accounts.models import Team, User
from rapport.accounts.permissions import Actor
from rapport.api.auth import api_actor
from rapport.api.v1.pagination import paginate
from rapport.api.v1.schemas.common import Id, PageParams, problems
from rapport.api.v1.schemas.desk import (
    AssignmentIn,
    ConversationDetailOut,
    ConversationEventPage,
    ConversationFilters,
    ConversationIn,
    ConversationMergeIn,
    ConversationPage,
    ConversationPatch,
    EventStream,
    EventStreamParams,
    InboundIn,
    MacroAppliedOut,
    MacroFilters,
    MacroPage,
    MessageIn,
    MessageOut,
    MessagePage,
    ReplyIn,
    SearchParams,
    StatusIn,
    TagsIn,
    conversation_filter_values,
)
from rapport.core.errors import ValidationFailed
from rapport.customers import selectors as customer_selectors
from rapport.desk import downloads
from rapport.desk.models import Conversation, Message
from rapport.desk.selectors import conversations as selectors
from rapport.desk.selectors import inbox, macros
from rapport.desk.selectors import search as desk_search
from rapport.desk.services import conversations as services
from rapport.desk.services import macros as macro_services
from rapport.desk.services import merge, routing

router = Router(tags=["desk"])


def _slice(items: Sequence[Any], page: PageParams) -> dict[str, Any]:
    """A page of a list a selector already bounded (one thread, one search's hits)."""
    return {"count": len(items), "items": list(items[page.offset : page.offset + page.limit])}


def _team(actor: Actor, team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = inbox.inbox_teams(actor).filter(pk=team_id).first()
    if team is None:
        raise ValidationFailed(f"no team {team_id}", code="team_not_found")
    return team


def _assignee(actor: Actor, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = inbox.assignable_agents(actor).filter(pk=user_id).first()
    if user is None:
        raise ValidationFailed(f"staff member {user_id} cannot take conversations", code="invalid_assignee")
    return user


# Conversations


@router.get("/conversations", response={200: ConversationPage, **problems(422)})
def list_conversations(
    request: HttpRequest, filters: Query[ConversationFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """An inbox view (default: all open) narrowed by filters, most recent activity first."""
    conversations = inbox.conversations_matching(
        api_actor(request), inbox.InboxFilters(**conversation_filter_values(filters)), now=timezone.now()
    )
    return paginate(inbox.inbox_rows(conversations), page)


@router.post("/conversations", response={201: ConversationDetailOut, **problems(404, 409, 422)})
def open_conversation(request: HttpRequest, payload: ConversationIn) -> Status[Conversation]:
    """Open a conversation with its first message and route it; needs customers:read to name the customer."""
    actor = api_actor(request)
    customer = customer_selectors.access_customer(actor, payload.customer_id)
    conversation = services.open_conversation(
        actor=actor,
        customer=customer,
        channel=payload.channel,
        subject=payload.subject,
        body_text=payload.body_text,
        body_html=payload.body_html,
        first_message=payload.first_message,
        priority=payload.priority,
        tags=payload.tags,
        team=_team(actor, payload.team_id),
        participants=payload.participants,
        order_ids=payload.order_ids,
        custom_fields=payload.custom_fields,
        attachments=payload.attachment_inputs(),
    )
    return Status(201, conversation)


@router.get("/conversations/{conversation_id}", response={200: ConversationDetailOut, **problems(404, 422)})
def get_conversation(request: HttpRequest, conversation_id: Id) -> Conversation:
    """One conversation with its SLA clock, assignment and its reason, linked orders, fields and counts."""
    return selectors.access_conversation(api_actor(request), conversation_id)


@router.patch(
    "/conversations/{conversation_id}", response={200: ConversationDetailOut, **problems(404, 409, 422)}
)
def update_conversation(
    request: HttpRequest, conversation_id: Id, payload: ConversationPatch
) -> Conversation:
    """Change the fields sent; custom fields are merged into the current ones."""
    actor = api_actor(request)
    conversation = selectors.access_conversation(actor, conversation_id)
    details = payload.model_dump(exclude_unset=True)
    priority = details.pop("priority", None)
    # Both or neither: a refused priority must not leave the details changed.
    with transaction.atomic():
        conversation = services.update_details(actor=actor, conversation=conversation, **details)
        if priority is not None:
            conversation = services.set_priority(actor=actor, conversation=conversation, priority=priority)
    return conversation


@router.post(
    "/conversations/{conversation_id}/status",
    response={200: ConversationDetailOut, **problems(404, 409, 422)},
)
def change_status(request: HttpRequest, conversation_id: Id, payload: StatusIn) -> Conversation:
    """Move to another status; 422 `invalid_transition` when the lifecycle does not allow it."""
    actor = api_actor(request)
    conversation = selectors.access_conversation(actor, conversation_id)
    return services.change_status(
        actor=actor, conversation=conversation, status=payload.status, snoozed_until=payload.snoozed_until
    )


@router.post(
    "/conversations/{conversation_id}/assignment",
    response={200: ConversationDetailOut, **problems(404, 422)},
)
def assign_conversation(request: HttpRequest, conversation_id: Id, payload: AssignmentIn) -> Conversation:
    """Assign (a lead: anyone; an agent: themselves when free) or unassign, optionally moving team."""
    actor = api_actor(request)
    conversation = selectors.access_conversation(actor, conversation_id)
    return routing.assign_conversation(
        actor=actor,
        conversation=conversation,
        assignee=_assignee(actor, payload.assignee_id),
        team=_team(actor, payload.team_id),
    )


@router.post(
    "/conversations/{conversation_id}/tags", response={200: ConversationDetailOut, **problems(404, 409, 422)}
)
def change_conversation_tags(request: HttpRequest, conversation_id: Id, payload: TagsIn) -> Conversation:
    """Add and remove tags by name; tags are created on first use."""
    actor = api_actor(request)
    conversation = selectors.access_conversation(actor, conversation_id)
    return services.change_tags(
        actor=actor, conversation=conversation, add=payload.add, remove=payload.remove
    )


# Messages


@router.get("/conversations/{conversation_id}/messages", response={200: MessagePage, **problems(404, 422)})
def list_messages(request: HttpRequest, conversation_id: Id, page: Query[PageParams]) -> dict[str, Any]:
    """The thread, oldest first, internal notes included, with attachments' metadata."""
    actor = api_actor(request)
    conversation = selectors.access_conversation(actor, conversation_id)
    return _slice(selectors.thread_of(actor, conversation), page)


@router.post(
    "/conversations/{conversation_id}/replies", response={201: MessageOut, **problems(404, 409, 422)}
)
def reply_to_conversation(request: HttpRequest, conversation_id: Id, payload: ReplyIn) -> Status[Message]:
    """Reply to the customer; 409 `newer_customer_message` when they wrote after seen_inbound_at."""
    actor = api_actor(request)
    conversation = selectors.access_conversation(actor, conversation_id)
    message = services.reply(
        actor=actor,
        conversation=conversation,
        body_text=payload.body_text,
        body_html=payload.body_html,
        attachments=payload.attachment_inputs(),
        then_status=payload.then_status,
        seen_inbound_at=payload.seen_inbound_at,
    )
    return Status(201, message)


@router.post("/conversations/{conversation_id}/notes", response={201: MessageOut, **problems(404, 409, 422)})
def add_conversation_note(request: HttpRequest, conversation_id: Id, payload: MessageIn) -> Status[Message]:
    """An internal note: staff only, never sent to the customer."""
    actor = api_actor(request)
    conversation = selectors.access_conversation(actor, conversation_id)
    message = services.add_note(
        actor=actor,
        conversation=conversation,
        body_text=payload.body_text,
        body_html=payload.body_html,
        attachments=payload.attachment_inputs(),
    )
    return Status(201, message)


@router.post(
    "/conversations/{conversation_id}/inbound", response={201: MessageOut, **problems(404, 409, 422)}
)
def log_inbound_message(request: HttpRequest, conversation_id: Id, payload: InboundIn) -> Status[Message]:
    """Log what the customer said (a call, a letter); reopens a pending, snoozed or resolved conversation."""
    actor = api_actor(request)
    conversation = selectors.access_conversation(actor, conversation_id)
    message = services.receive_message(
        actor=actor,
        conversation=conversation,
        body_text=payload.body_text,
        body_html=payload.body_html,
        attachments=payload.attachment_inputs(),
        sender=payload.sender,
    )
    return Status(201, message)


@router.get(
    "/attachments/{attachment_id}/download",
    response=problems(404, 422),
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as an attachment; active types come as application/octet-stream",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_attachment(request: HttpRequest, attachment_id: Id) -> FileResponse:
    """The file's bytes, for someone who may see its conversation; never shown inline."""
    return downloads.attachment_response(selectors.access_attachment(api_actor(request), attachment_id))


# Events


@router.get(
    "/conversations/{conversation_id}/events", response={200: ConversationEventPage, **problems(404, 422)}
)
def list_conversation_events(
    request: HttpRequest, conversation_id: Id, page: Query[PageParams]
) -> dict[str, Any]:
    """Every change to the conversation, oldest first."""
    actor = api_actor(request)
    conversation = selectors.access_conversation(actor, conversation_id)
    return _slice(selectors.events_of(actor, conversation), page)


@router.get("/desk/events", response={200: EventStream, **problems(422)})
def stream_desk_events(request: HttpRequest, params: Query[EventStreamParams]) -> EventStream:
    """Changes to every conversation the caller may see, in id order; poll with after_id=next_after_id."""
    events = selectors.events_after(api_actor(request), after_id=params.after_id, limit=params.limit)
    return EventStream.of(events, after_id=params.after_id)


# Merge and split


@router.post(
    "/conversations/{conversation_id}/merge", response={200: ConversationDetailOut, **problems(404, 409, 422)}
)
def merge_conversation(
    request: HttpRequest, conversation_id: Id, payload: ConversationMergeIn
) -> Conversation:
    """Merge this conversation into target_id (same customer); returns the target, which survives."""
    actor = api_actor(request)
    source = selectors.access_conversation(actor, conversation_id)
    target = selectors.access_conversation(actor, payload.target_id)
    return merge.merge_conversations(actor=actor, source=source, target=target)


@router.post("/messages/{message_id}/split", response={201: ConversationDetailOut, **problems(404, 409, 422)})
def split_message(request: HttpRequest, message_id: Id) -> Status[Conversation]:
    """Move a customer's message into a new conversation of its own, which is returned."""
    actor = api_actor(request)
    message = selectors.access_message(actor, message_id)
    return Status(201, merge.split_message(actor=actor, message=message))


# Macros


@router.get("/macros", response={200: MacroPage, **problems(404, 422)})
def list_macros(
    request: HttpRequest, filters: Query[MacroFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Active macros the caller may use (shared ones and their team's), by name."""
    actor = api_actor(request)
    conversation = (
        selectors.access_conversation(actor, filters.conversation_id) if filters.conversation_id else None
    )
    return _slice(macros.macros_for(actor, conversation=conversation), page)


@router.post(
    "/conversations/{conversation_id}/macros/{macro_id}",
    response={200: MacroAppliedOut, **problems(404, 409, 422)},
)
def apply_macro(request: HttpRequest, conversation_id: Id, macro_id: Id) -> dict[str, Any]:
    """Run the macro's actions (status, priority, tags, assignment) and return its text for a reply."""
    actor = api_actor(request)
    conversation = selectors.access_conversation(actor, conversation_id)
    macro = macros.access_macro(actor, macro_id, conversation=conversation)
    text = macro_services.render_macro(macro=macro, conversation=conversation, actor=actor)
    conversation = macro_services.apply_macro(actor=actor, macro=macro, conversation=conversation)
    return {
        "text": text,
        "unresolved_variables": macro_services.unresolved_variables(text),
        "conversation": conversation,
    }


# Search


@router.get("/search", response={200: ConversationPage, **problems(422)})
def search_conversations(
    request: HttpRequest, params: Query[SearchParams], page: Query[PageParams]
) -> dict[str, Any]:
    """Conversations whose subject or messages hold every word, most recent first."""
    hits = desk_search.search_conversations(api_actor(request), params.q)
    return _slice(list(inbox.inbox_rows(hits)), page)
